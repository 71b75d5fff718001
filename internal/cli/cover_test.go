package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCoverageMatchesGo: lockdep test with coverage validates the code
// (exit 3 for the module's AB-BA) and reports the coverage go test
// reports: the same percentages and the same profile, naming the user's
// files, lines and columns, which go tool cover -html reads against them.
// The rewritten files differ from the user's in their columns and in the
// code lockdep adds (methods for an embedded mutex, a function literal
// for a method expression); none of that shows. With -coverpkg=all, the
// standard library's packages lockdep's run-time code uses are in the test
// binaries too, and run more: the user's packages must have the same
// profile, and lockdep's run-time packages none.
func TestCoverageMatchesGo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     []string // PROFILE is the profile's path
		goflags  string
		userOnly bool // compare the user's packages only (-coverpkg=all)
	}{
		{"coverprofile", []string{"-coverprofile=PROFILE"}, "", false},
		{"atomic-coverpkg", []string{"-covermode=atomic", "-coverpkg=./...", "-coverprofile=PROFILE"}, "", false},
		{"goflags-count", []string{"-coverprofile=PROFILE"}, "-cover -covermode=count", false},
		{"coverpkg-all", []string{"-coverpkg=all", "-coverprofile=PROFILE"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env := []string{"GOFLAGS=" + tc.goflags}
			dir := sharedModule(t, "coverage")
			work := t.TempDir()
			args := func(profile string) []string {
				var a []string
				for _, s := range tc.args {
					a = append(a, strings.ReplaceAll(s, "PROFILE", profile))
				}
				return append(a, "./...")
			}
			plainProfile, lockdepProfile := filepath.Join(work, "go.out"), filepath.Join(work, "lockdep.out")
			c := exec.Command("go", append([]string{"test", "-count=1"}, args(plainProfile)...)...)
			c.Dir = dir
			c.Env = append(os.Environ(), env...)
			plain, err := c.Output()
			if err != nil {
				t.Fatalf("go test: %v\n%s", err, plain)
			}
			r := runChild(t, dir, "", env, append([]string{"test"}, args(lockdepProfile)...)...)
			if r.code != exitFindings {
				t.Fatalf("lockdep test: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
			}
			want, got := profileLines(t, plainProfile), profileLines(t, lockdepProfile)
			if slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, selfModule+"/") }) {
				t.Errorf("lockdep's run-time packages are in the profile")
			}
			if tc.userOnly {
				user := func(l string) bool { return !strings.HasPrefix(l, "example.com/") }
				want, got = slices.DeleteFunc(want, user), slices.DeleteFunc(got, user)
			} else if diff := cmp.Diff(coverageLines(string(plain)), coverageLines(r.stdout)); diff != "" {
				t.Errorf("coverage lines (-go test +lockdep test):\n%s", diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("profile (-go test +lockdep test):\n%s", diff)
			}
			html := exec.Command("go", "tool", "cover", "-html="+lockdepProfile, "-o", filepath.Join(work, "c.html"))
			html.Dir = dir
			html.Env = append(os.Environ(), env...)
			if out, err := html.CombinedOutput(); err != nil {
				t.Errorf("go tool cover -html of lockdep's profile: %v\n%s", err, out)
			}
		})
	}
}

// coverageLines returns go test's lines that report coverage, without
// their timings.
func coverageLines(out string) []string {
	timing := regexp.MustCompile(`\t[0-9.]+s\t`)
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "coverage: ") {
			lines = append(lines, timing.ReplaceAllString(l, "\t"))
		}
	}
	return lines
}

// profileLines returns the lines of a coverage profile, sorted.
func profileLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	slices.Sort(lines)
	return lines
}

// TestMain runs the test binary as lockdep's toolexecCommand when the go
// command runs it so: lockdep names its own executable in -toolexec, and
// in these tests that is the test binary. It runs it as the command when
// runChild does.
//
// Built with -race, the test binary sleeps a second when it exits, for
// races still being reported (GORACE's atexit_sleep_ms): the go command
// runs it for every compile of a build with coverage, and for the
// version of every tool. The processes the tests start do not sleep.
func TestMain(m *testing.M) {
	switch {
	case len(os.Args) > 1 && os.Args[1] == toolexecCommand:
		os.Exit(exitCode(Main(context.Background(), "", os.Args[1:], os.Stdin, os.Stdout, os.Stderr)))
	case os.Getenv(asCommandEnv) == "1":
		os.Exit(runAsCommand())
	}
	if gorace := os.Getenv("GORACE"); !strings.Contains(gorace, "atexit_sleep_ms") {
		os.Setenv("GORACE", strings.TrimSpace(gorace+" atexit_sleep_ms=0"))
	}
	os.Exit(m.Run())
}

// TestToolexecQuoting: the -toolexec value lockdep gives the go command
// splits, as the go command splits it, into lockdep's path, its command,
// the overlay file and the user's -toolexec, whatever spaces and quotes
// they hold.
func TestToolexecQuoting(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"plain", []string{"/usr/bin/lockdep", toolexecCommand, "/tmp/w/overlay.json", ""}},
		{"spaces", []string{"/home/a b/lockdep", toolexecCommand, "/tmp/x y/overlay.json", "toolstash -v"}},
		{"quotes", []string{`C:\it's\lockdep.exe`, toolexecCommand, `/tmp/"w"/overlay.json`, `'my tool' -x`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := joinQuoted(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			got, err := splitQuoted(s)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.args, got); diff != "" {
				t.Errorf("splitQuoted(joinQuoted(args)) = %q (-want +got):\n%s", s, diff)
			}
		})
	}
	if _, err := joinQuoted([]string{`it's "x"`}); err == nil {
		t.Error(`joinQuoted of an argument with both quotes: no error`)
	}
	if got, _ := splitQuoted(`'my tool' -x`); !slices.Equal(got, []string{"my tool", "-x"}) {
		t.Errorf("splitQuoted of a user's -toolexec = %q", got)
	}
}

// TestCoverVersion: the cover tool's version line, which the go command
// hashes into its cache keys, says lockdep runs it.
func TestCoverVersion(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"cover version go1.26.8\n", "cover version go1.26.8 " + coverToolID},
		{"cover version devel go1.27-abc buildID=x/y\n", "cover version devel go1.27-abc buildID=x/y+" + coverToolID},
	} {
		if got := coverVersion(tc.in); got != tc.want {
			t.Errorf("coverVersion(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
