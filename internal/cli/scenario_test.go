package cli

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// TestScenarios runs each testdata/scenario/NAME.txtar: a small module and,
// in the archive's comment, the command to run and what it must do. Lines
// of the comment that start with one of these words are instructions; the
// rest is prose:
//
//	lockdep test -json ./...   the command line (-C is added)
//	exit 3                     the exit status it must have
//	want circular A B          a finding it must report: its kind, then its
//	                           classes, sorted; with -json, the findings
//	                           must be exactly the wanted ones
//	stderr text                text that stderr must contain
//	!stderr text               text that stderr must not contain
func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs modules")
	}
	files, err := filepath.Glob(filepath.Join("testdata", "scenario", "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/scenario/*.txtar: %v", err)
	}
	for _, file := range files {
		file, name := file, strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sc := parseScenario(t, string(ar.Comment))
			r := run(t, extract(t, filepath.Join("scenario", name)), sc.args...)
			if r.code != sc.exit {
				t.Errorf("exit %d, want %d", r.code, sc.exit)
			}
			if slices.Contains(sc.args, "-json") {
				var got []string
				for _, f := range jsonFindings(t, r.stdout) {
					got = append(got, sortedSummary(f.Kind.String(), f.Classes()))
				}
				slices.Sort(got)
				if diff := cmp.Diff(sc.want, got); diff != "" {
					t.Errorf("findings (-want +got):\n%s", diff)
				}
			}
			for _, s := range sc.stderr {
				if !strings.Contains(r.stderr, s) {
					t.Errorf("stderr lacks %q", s)
				}
			}
			for _, s := range sc.notStderr {
				if strings.Contains(r.stderr, s) {
					t.Errorf("stderr has %q", s)
				}
			}
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
		})
	}
}

type scenario struct {
	args              []string
	exit              int
	want              []string
	stderr, notStderr []string
}

func parseScenario(t *testing.T, comment string) scenario {
	t.Helper()
	var sc scenario
	for _, line := range strings.Split(comment, "\n") {
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch word {
		case "lockdep":
			sc.args = strings.Fields(rest)
		case "exit":
			n, err := strconv.Atoi(rest)
			if err != nil {
				t.Fatalf("bad line %q", line)
			}
			sc.exit = n
		case "want":
			f := strings.Fields(rest)
			sc.want = append(sc.want, sortedSummary(f[0], f[1:]))
		case "stderr":
			sc.stderr = append(sc.stderr, rest)
		case "!stderr":
			sc.notStderr = append(sc.notStderr, rest)
		}
	}
	if len(sc.args) == 0 {
		t.Fatal("no lockdep command line in the archive's comment")
	}
	slices.Sort(sc.want)
	return sc
}

// sortedSummary is a finding's kind and its classes, sorted: the same
// whichever dependency closed a cycle.
func sortedSummary(kind string, classes []string) string {
	cs := slices.Clone(classes)
	slices.Sort(cs)
	return strings.Join(append([]string{kind}, cs...), " ")
}
