package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
	"github.com/google/go-cmp/cmp"
)

// baselineReports are findings of each kind a baseline lists differently.
var baselineReports = []report.Report{
	{Kind: report.Recursive, Lock: report.LockRef{Class: "example.com/m.Node.mu", Mode: "W"}, Holding: &report.LockRef{Class: "example.com/m.Node.mu", Mode: "W"}, Detail: "Both locks are of the same class."},
	{Kind: report.Circular, Chain: []report.Dependency{{Class: "example.com/m.Store.mu"}, {Class: "example.com/m.Log.mu"}}},
	{Kind: report.BadUnlock, Lock: report.LockRef{Class: "example.com/m.mu", Mode: "W"}, Detail: "The lock is not locked."},
	// The same cycle found from its other end is the same finding.
	{Kind: report.Circular, Chain: []report.Dependency{{Class: "example.com/m.Log.mu"}, {Class: "example.com/m.Store.mu"}}},
}

// TestBaselineFormat pins the baseline file (testdata/baseline.golden) and
// reads it back.
func TestBaselineFormat(t *testing.T) {
	got := formatBaseline(baselineReports)
	golden := filepath.Join("testdata", "baseline.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("baseline file (-want +got):\n%s", diff)
	}
	keys, err := parseBaseline(want)
	if err != nil {
		t.Fatal(err)
	}
	b := &baseline{known: map[string]bool{}}
	for _, k := range keys {
		b.known[k] = true
	}
	for i := range baselineReports {
		if !b.has(&baselineReports[i]) {
			t.Errorf("the baseline read back does not list finding %d, %s", i, reporting.Key(&baselineReports[i]))
		}
	}
	other := report.Report{Kind: report.Circular, Chain: []report.Dependency{{Class: "example.com/m.Store.mu"}, {Class: "example.com/m.Index.mu"}}}
	if b.has(&other) {
		t.Errorf("the baseline lists a finding it was not written with")
	}
}

func TestBaselineErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"empty", "", "not a JSON object: the file is empty or cut short"},
		{"cut-short", "{\n\t\"version\": 1,\n", "not a JSON object: the file is empty or cut short"},
		{"syntax", "{\n\t\"version\": 1,\n\t\"known\": [\"a\",]\n}\n", "line 3: invalid character ']'"},
		{"not-an-object", "[]\n", "line 1: a JSON array, want an object with version and known"},
		{"unknown-field", "{\n\t\"version\": 1,\n\t\"findings\": []\n}\n", `line 3: unknown field "findings"`},
		{"wrong-type", "{\n\t\"version\": 1,\n\t\"known\": [1]\n}\n", "line 3: known is a JSON number, want string"},
		{"version", "{\"version\": 2, \"known\": []}\n", "version 2, want 1"},
		{"no-version", "{\"known\": []}\n", "version 0, want 1"},
		{"bad-kind", "{\"version\": 1, \"known\": [\"circular:a|b\", \"circulr:a|b\"]}\n", `known[1] = "circulr:a|b": not the key of a finding (it starts with a kind: circular, recursive,`},
		{"two-values", "{\"version\": 1, \"known\": []}\n{}\n", "line 2: more than one JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseBaseline([]byte(tc.data))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestBaselineRun runs the command with a baseline: written from the
// findings of a run, it makes them known (printed, marked, exit 0); a
// new finding still fails the run; a bad baseline stops it before any
// test runs.
func TestBaselineRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	dir := extract(t, "baseline")
	file := filepath.Join(dir, "lockdep.baseline")
	const known = "circular:example.com/base.Log.mu|example.com/base.Store.mu"

	r := run(t, dir, "test", "-baseline", file, "-write-baseline", "./...")
	if r.code != 0 {
		t.Fatalf("-write-baseline: exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "{\n\t\"version\": 1,\n\t\"known\": [\n\t\t\"" + known + "\"\n\t]\n}\n"; string(data) != want {
		t.Errorf("baseline written:\n%s\nwant:\n%s", data, want)
	}
	if !strings.Contains(r.stderr, "lockdep: wrote 1 known finding to "+file) {
		t.Errorf("stderr lacks what was written:\n%s", r.stderr)
	}

	r = run(t, dir, "test", "-baseline", file, "./...")
	if r.code != 0 {
		t.Errorf("known finding: exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "WARNING: possible circular locking dependency detected (known: listed in "+file+")") {
		t.Errorf("the known finding is not printed as known:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "lockdep: 0 new findings, 1 known (listed in "+file+")") {
		t.Errorf("stderr lacks the baseline's summary:\n%s", r.stderr)
	}

	newBug := "package base\n\nimport \"sync\"\n\nvar a, b sync.Mutex\n\nfunc AB() { a.Lock(); b.Lock(); b.Unlock(); a.Unlock() }\nfunc BA() { b.Lock(); a.Lock(); a.Unlock(); b.Unlock() }\n"
	newTest := "package base\n\nimport \"testing\"\n\nfunc TestNew(t *testing.T) { AB(); BA() }\n"
	if err := os.WriteFile(filepath.Join(dir, "newbug.go"), []byte(newBug), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "newbug_test.go"), []byte(newTest), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, dir, "test", "-format=json", "-baseline", file, "./...")
	if r.code != exitFindings {
		t.Errorf("a new finding: exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
	}
	got := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var f struct {
			report.Report
			Known bool `json:"known"`
		}
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("stdout is not JSON lines: %v\n%s", err, r.stdout)
		}
		got[reporting.Key(&f.Report)] = f.Known
	}
	want := map[string]bool{known: true, "circular:example.com/base.a|example.com/base.b": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings and whether they are known (-want +got):\n%s", diff)
	}

	if err := os.WriteFile(file, []byte("{\n\t\"version\": 1,\n\t\"known\": [\n\t\t\"circular:x\",\n\t]\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, dir, "test", "-baseline", file, "./...")
	if r.code != exitUsage || !strings.Contains(r.stderr, "lockdep: baseline "+file+": line 5: invalid character ']'") {
		t.Errorf("malformed baseline: exit %d, want %d with the file and line named\nstderr:\n%s", r.code, exitUsage, r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("tests ran despite a malformed baseline:\n%s", r.stdout)
	}
	r = run(t, dir, "test", "-baseline", filepath.Join(dir, "missing.baseline"), "./...")
	if r.code != exitUsage || !strings.Contains(r.stderr, "lockdep: reading the baseline: open "+filepath.Join(dir, "missing.baseline")+": no such file or directory") {
		t.Errorf("missing baseline: exit %d, want %d naming the file\nstderr:\n%s", r.code, exitUsage, r.stderr)
	}
	r = run(t, dir, "test", "-write-baseline", "./...")
	if r.code != exitUsage || !strings.Contains(r.stderr, "lockdep test: -write-baseline needs -baseline file") {
		t.Errorf("-write-baseline alone: exit %d, want %d\nstderr:\n%s", r.code, exitUsage, r.stderr)
	}
}
