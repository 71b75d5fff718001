package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/svg/svgtest"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/tools/txtar"
)

// These tests run the command in process on small modules: each builds
// and tests code with the go command, so they take seconds each.

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, dir string, args ...string) result {
	t.Helper()
	return runIn(t, dir, "", args...)
}

// extract writes the module of testdata/name.txtar into a temporary
// directory.
func extract(t *testing.T, name string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range ar.Files {
		p := filepath.Join(dir, f.Name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot hashes every file under dir.
func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	m := map[string][32]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] = sha256.Sum256(b)
		}
		return nil
	})
	return m
}

// watchTree snapshots dir and returns a check, to call after a run, that
// fails t unless every file under dir is as it was: the command must never
// write to the user's tree.
func watchTree(t *testing.T, dir string) (unchanged func()) {
	t.Helper()
	before := snapshot(t, dir)
	return func() {
		t.Helper()
		if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
			t.Errorf("%s changed during the run (-before +after):\n%s", dir, diff)
		}
	}
}

func jsonFindings(t *testing.T, out string) []lockdep.Report {
	t.Helper()
	var reps []lockdep.Report
	dec := json.NewDecoder(strings.NewReader(out))
	for dec.More() {
		var r lockdep.Report
		if err := dec.Decode(&r); err != nil {
			t.Fatalf("stdout is not JSON lines: %v\n%s", err, out)
		}
		reps = append(reps, r)
	}
	return reps
}

func summary(r lockdep.Report) string {
	var cs []string
	switch r.Kind {
	case lockdep.Circular:
		for _, d := range r.Chain {
			cs = append(cs, d.Class)
		}
	default:
		cs = append(cs, r.Lock.Class)
	}
	return r.Kind.String() + " " + strings.Join(cs, " ")
}

// summaries checks that a -json run exited with findings and returns one
// sorted summary line per finding.
func summaries(t *testing.T, r result) []string {
	t.Helper()
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
	}
	var got []string
	for _, f := range jsonFindings(t, r.stdout) {
		got = append(got, summary(f))
	}
	slices.Sort(got)
	return got
}

func TestExamples(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the examples")
	}
	t.Parallel()
	root, _ := filepath.Abs("../..")
	unchanged := watchTree(t, filepath.Join(root, "examples"))
	graphFile := filepath.Join(t.TempDir(), "graph.json")
	r := run(t, root, "test", "-format=json", "-graph", graphFile, "./examples/...")
	got := summaries(t, r)
	want := []string{
		"circular github.com/golockdep/lockdep/examples/abba.Store.mu github.com/golockdep/lockdep/examples/abba.Cache.mu",
		"circular github.com/golockdep/lockdep/examples/hotplug.Device.structMu github.com/golockdep/lockdep/examples/hotplug.MM.mmapSem github.com/golockdep/lockdep/examples/hotplug.PerfContext.mu github.com/golockdep/lockdep/examples/hotplug.pmusLock github.com/golockdep/lockdep/examples/hotplug.cpuHotplugLock",
		// A Stop that waits for its handlers under the lock they take.
		"circular github.com/golockdep/lockdep/examples/shutdown.Server.mu wait: github.com/golockdep/lockdep/examples/shutdown.Server.wg",
		"circular github.com/golockdep/lockdep/examples/threeway.Metrics.mu github.com/golockdep/lockdep/examples/threeway.Worker.mu github.com/golockdep/lockdep/examples/threeway.Queue.mu",
		"recursive github.com/golockdep/lockdep/examples/nestedhelper.Account.mu",
		"recursive github.com/golockdep/lockdep/examples/rlockwriter.Table.mu",
		// First the nesting, then the same two accounts the other way
		// round: a second, worse problem.
		"recursive github.com/golockdep/lockdep/examples/transfer.Account.mu",
		"recursive github.com/golockdep/lockdep/examples/transfer.Account.mu",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.stderr, "lockdep: 8 findings (circular 4, recursive 4, bad unlock 0) in 7 packages;") {
		t.Errorf("summary line missing:\n%s", r.stderr)
	}
	unchanged()
	examplesGraph(t, root, graphFile)
}

// examplesGraph checks the picture of the examples' graph, as the README
// makes it: lockdep graph -format svg renders a graph of their classes,
// each cycle's dependencies in red; docs/examples-graph.svg is that
// picture (-update rewrites it).
func examplesGraph(t *testing.T, root, graphFile string) {
	t.Helper()
	r := run(t, root, "graph", "-format", "svg", graphFile)
	if r.code != 0 {
		t.Fatalf("lockdep graph: exit %d\n%s", r.code, r.stderr)
	}
	gr, err := graphfile.ReadFile(graphFile)
	if err != nil {
		t.Fatal(err)
	}
	pic, err := svgtest.Parse([]byte(r.stdout))
	if err != nil {
		t.Fatal(err)
	}
	nodes, edges := pic.Nodes, pic.Edges
	for _, c := range gr.Classes {
		if !nodes[c.Name] {
			t.Errorf("the SVG has no node for %s", c.Name)
		}
	}
	onCycle := map[string]bool{}
	for _, f := range gr.Findings {
		for _, d := range f.Chain {
			onCycle[d.After+"->"+d.Class] = true
		}
	}
	if len(onCycle) == 0 {
		t.Error("the examples' graph has no cycle")
	}
	for _, d := range gr.Dependencies {
		stroke, ok := edges[d.From+"->"+d.To]
		switch {
		case !ok:
			t.Errorf("the SVG has no edge %s -> %s", d.From, d.To)
		case onCycle[d.From+"->"+d.To] != (stroke == "#cc0000"):
			t.Errorf("the edge %s -> %s is drawn in %s; on a cycle: %v", d.From, d.To, stroke, onCycle[d.From+"->"+d.To])
		}
	}
	doc := filepath.Join(root, "docs", "examples-graph.svg")
	if golden(t, doc, r.stdout) != "" {
		t.Errorf("%s is not the picture of the examples' graph: run go test ./internal/cli -run TestExamples -update", doc)
	}
}

func TestCleanModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	dir := sharedModule(t, "clean")
	unchanged := watchTree(t, dir)
	r := run(t, dir, "test", "./...")
	if r.code != 0 {
		t.Fatalf("exit %d on correct locking\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, "WARNING") {
		t.Errorf("reports on correct locking:\n%s", r.stdout)
	}
	unchanged()
}

func TestCrossPackageCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	dir := sharedModule(t, "crosspkg")
	out := filepath.Join(t.TempDir(), "graph.json")
	sarifPath := filepath.Join(t.TempDir(), "out.sarif")
	r := run(t, dir, "test", "-format=json", "-graph", out, "-sarif", sarifPath, "./...")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
	}
	reps := jsonFindings(t, r.stdout)
	if len(reps) != 1 || reps[0].Kind != lockdep.Circular {
		t.Fatalf("findings %v, want one circular", reps)
	}
	var origins []string
	for _, d := range reps[0].Chain {
		origins = append(origins, d.Class+" by "+d.Origin)
	}
	slices.Sort(origins)
	want := []string{"example.com/crosspkg/locks.A by ./ba", "example.com/crosspkg/locks.B by ./ab"}
	if diff := cmp.Diff(want, origins); diff != "" {
		t.Errorf("chain origins (-want +got):\n%s", diff)
	}

	var g graphfile.Graph
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("-o file: %v", err)
	}
	if len(g.Classes) != 2 || len(g.Dependencies) != 2 || len(g.Findings) != 1 {
		t.Errorf("-graph: %d classes, %d dependencies, %d findings; want 2, 2, 1", len(g.Classes), len(g.Dependencies), len(g.Findings))
	}

	var s struct {
		Version string
		Runs    []struct {
			Results []struct {
				RuleID    string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	b, err = os.ReadFile(sarifPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("SARIF: %v", err)
	}
	if s.Version != "2.1.0" || len(s.Runs) != 1 || len(s.Runs[0].Results) != 1 || s.Runs[0].Results[0].RuleID != "circular" {
		t.Fatalf("SARIF content: %s", b)
	}
	loc := s.Runs[0].Results[0].Locations[0].PhysicalLocation
	if !strings.HasSuffix(loc.ArtifactLocation.URI, "_test.go") || loc.Region.StartLine == 0 {
		t.Errorf("SARIF location %+v", loc)
	}
}

func TestLineNumbersKept(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	dir := sharedModule(t, "lines")
	r := run(t, dir, "test", ".", "-v")
	if r.code != exitTestsFailed {
		t.Fatalf("exit %d, want %d (a test fails)\nstdout:\n%s\nstderr:\n%s", r.code, exitTestsFailed, r.stdout, r.stderr)
	}
	for _, want := range []string{"lines_test.go:12: failing at line 12", "lines_test.go:22"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestBuildError(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a module")
	}
	t.Parallel()
	dir := sharedModule(t, "broken")
	unchanged := watchTree(t, dir)
	r := run(t, dir, "test", "./...")
	if r.code != exitTestsFailed {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitTestsFailed, r.stderr)
	}
	if !strings.Contains(r.stderr, "broken.go:10") {
		t.Errorf("stderr lacks the compiler's position:\n%s", r.stderr)
	}
	unchanged()
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"no-args", nil, exitUsage, "", "usage: lockdep test|run|graph|merge|version|help"},
		{"unknown", []string{"frob"}, exitUsage, "", `lockdep: unknown command "frob"`},
		{"bad-flag", []string{"run", "-bogus", "."}, exitUsage, "", "lockdep run: flag provided but not defined: -bogus\nrun 'lockdep help run'\n"},
		{"no-value", []string{"test", "-pkg"}, exitUsage, "", "lockdep test: flag needs an argument: -pkg\n"},
		{"bad-format", []string{"test", "-format=xml"}, exitUsage, "", "lockdep test: -format must be text, json or sarif, not \"xml\""},
		{"help", []string{"help"}, 0, "Lockdep runs tests.", ""},
		{"help-test", []string{"help", "test"}, 0, "# Test: lockdep test\n\nRuns go test.\n\n", ""},
		{"help-run", []string{"help", "run"}, 0, "# Run: lockdep run\n\nRuns go run.\n\n", ""},
		{"help-unknown", []string{"help", "frob"}, exitUsage, "", "lockdep help frob: unknown help topic; run 'lockdep help'\n"},
		{"help-graph", []string{"help", "graph"}, 0, "# Graph: lockdep graph\n\nRenders graph files.\n\n# The graph file\n\nIts format.\n\n# Exit codes", ""},
		{"help-merge", []string{"help", "merge"}, 0, "# Merge: lockdep merge\n\nMerges graph files.\n\n# The graph file\n\nIts format.\n\n# Exit codes", ""},
		{"graph-h", []string{"graph", "x.json", "-h"}, 0, "# Graph: lockdep graph\n", ""},
		{"merge-bad-flag", []string{"merge", "-bogus", "x.json"}, exitUsage, "", "lockdep merge: flag provided but not defined: -bogus\nrun 'lockdep help merge'\n"},
		{"test-h", []string{"test", "-h"}, 0, "# Test: lockdep test\n", ""},
		{"run-h", []string{"run", "-race", "-h"}, 0, "# Run: lockdep run\n", ""},
		{"run-nothing", []string{"run"}, exitUsage, "", "lockdep run: no package to run"},
		{"version", []string{"version"}, 0, "lockdep ", ""},
		{"-version", []string{"-version"}, 0, "lockdep ", ""},
		{"test-version", []string{"test", "-version"}, 0, "lockdep ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := exitCode(Main(context.Background(), testDoc, tc.args, nil, &stdout, &stderr))
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if !strings.Contains(stdout.String(), tc.stdout) || !strings.Contains(stderr.String(), tc.stderr) {
				t.Errorf("stdout %q, stderr %q; want them to contain %q, %q", stdout.String(), stderr.String(), tc.stdout, tc.stderr)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite golden files")

// TestRewritingCases runs every rewriting case (testdata/cases.txtar) under
// the command; testdata/cases.golden lists the findings, one per case.
func TestRewritingCases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	dir := sharedModule(t, "cases")
	r := run(t, dir, "test", "-format=json", ".")
	got := summaries(t, r)
	text := strings.Join(got, "\n") + "\n"
	if diff := golden(t, filepath.Join("testdata", "cases.golden"), text); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// golden returns how got differs from the file at path, (-want +got); under
// -update it first writes got to the file.
func golden(t *testing.T, path, got string) string {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return cmp.Diff(string(want), got)
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  string
		args []string
		want options
	}{
		{"test/go-flags-first", "test", []string{"-short", "-race", "-count=1", "./..."},
			options{goFlags: []string{"-short", "-race", "-count=1"}, count: true, targets: []string{"./..."}}},
		{"test/tags-after-packages", "test", []string{"./...", "-tags", "integration"},
			options{tags: "integration", targets: []string{"./..."}}},
		{"test/values", "test", []string{"-run", "TestX", "./a", "./b", "-v", "-timeout=1m"},
			options{goFlags: []string{"-run=TestX", "-v", "-timeout=1m"}, targets: []string{"./a", "./b"}}},
		{"test/unknown-flag", "test", []string{"./a", "-myflag", "val", "./b"},
			options{targets: []string{"./a"}, tail: []string{"-myflag", "val", "./b"}}},
		{"test/args", "test", []string{"./a", "-args", "-v", "x"},
			options{targets: []string{"./a"}, tail: []string{"-v", "x"}}},
		{"test/own-flags", "test", []string{"-json", "./...", "-C", "dir", "-graph", "g.json", "-work", "-format=sarif", "-sarif", "f", "-pkg", "a/...,b"},
			options{goJSON: true, goFlags: []string{"-json", "-work"}, targets: []string{"./..."}, dir: "dir", graph: "g.json", work: true, format: "sarif", sarif: "f", pkgs: []string{"a/...", "b"}}},
		{"test/o-with-c", "test", []string{"-o", "x.json", "-c", "./pkg"},
			options{goFlags: []string{"-c", "-o=x.json"}, compileOnly: true, targets: []string{"./pkg"}}},
		{"test/o-binary", "test", []string{"./pkg", "-o=bin/"},
			options{goFlags: []string{"-o=bin/"}, targets: []string{"./pkg"}}},
		{"test/o-with-graph", "test", []string{"-graph", "g.json", "-o", "x.json", "./pkg"},
			options{graph: "g.json", goFlags: []string{"-o=x.json"}, targets: []string{"./pkg"}}},
		{"test/o-graph-deprecated", "test", []string{"-o", "g.json", "./..."},
			options{graph: "g.json", targets: []string{"./..."}}},
		{"run/o-graph-deprecated", "run", []string{"-o", "g.json", ".", "-o", "x"},
			options{graph: "g.json", targets: []string{"."}, tail: []string{"-o", "x"}}},
		{"test/mod-flags", "test", []string{"./...", "-modfile=go_test.mod", "-mod", "vendor", "-overlay=o.json"},
			options{targets: []string{"./..."}, modfile: "go_test.mod", mod: "vendor", overlay: "o.json"}},
		{"run/program-args", "run", []string{"-race", "./cmd/app", "-json", "a", "b"},
			options{goFlags: []string{"-race"}, targets: []string{"./cmd/app"}, tail: []string{"-json", "a", "b"}}},
		{"run/files", "run", []string{"main.go", "util.go", "arg"},
			options{targets: []string{"main.go", "util.go"}, tail: []string{"arg"}}},
		{"test/stat", "test", []string{"-stat", "./..."},
			options{stat: true, targets: []string{"./..."}}},
		{"test/channels", "test", []string{"-channels", "-race", "./..."},
			options{goFlags: []string{"-race"}, targets: []string{"./..."}}},
		{"test/no-channels", "test", []string{"-channels=false", "-race", "./..."},
			options{noChans: true, goFlags: []string{"-race"}, targets: []string{"./..."}}},
		{"run/no-channels", "run", []string{"-channels=false", "."},
			options{noChans: true, targets: []string{"."}}},
		{"test/nothing", "test", nil, options{}},
		{"test/flag=value", "test", []string{"-run=TestX", "-C=dir", "-pkg=a", "./..."},
			options{goFlags: []string{"-run=TestX"}, dir: "dir", pkgs: []string{"a"}, targets: []string{"./..."}}},
		{"test/double-dash-flags", "test", []string{"--short", "--run", "X", "--graph=g.json", "--run=Y", "."},
			options{goFlags: []string{"--short", "-run=X", "--run=Y"}, graph: "g.json", targets: []string{"."}}},
		{"test/value-like-a-flag", "test", []string{"-run", "-v", "."},
			options{goFlags: []string{"-run=-v"}, targets: []string{"."}}},
		{"test/bools-false", "test", []string{"-json=false", "-c=false", "-work=false", "-stat=false", "-race=false", "-v=maybe", "."},
			options{goFlags: []string{"-json=false", "-c=false", "-race=false", "-v=maybe"}, targets: []string{"."}}},
		{"test/bools-true", "test", []string{"-json=true", "-c=1", "-work=T", "."},
			options{goJSON: true, compileOnly: true, work: true, goFlags: []string{"-json=true", "-c=1", "-work"}, targets: []string{"."}}},
		{"test/version-false", "test", []string{"-version=false", "."},
			options{targets: []string{"."}}},
		{"test/test-prefix", "test", []string{"-test.v", "-test.count=2", "-test.run", "X", "."},
			options{goFlags: []string{"-test.v", "-test.count=2", "-test.run=X"}, count: true, targets: []string{"."}}},
		{"test/test-prefix-not-binary", "test", []string{".", "-test.json", "x"},
			options{targets: []string{"."}, tail: []string{"-test.json", "x"}}},
		{"test/dash", "test", []string{"-"},
			options{targets: []string{"-"}}},
		{"test/double-dash", "test", []string{"./a", "-v", "--", "-x", "./b"},
			options{goFlags: []string{"-v"}, targets: []string{"./a"}, tail: []string{"--", "-x", "./b"}}},
		{"test/args-first", "test", []string{"-args", "-v", "./a"},
			options{tail: []string{"-v", "./a"}}},
		{"test/args-with-value", "test", []string{".", "-args=x", "y"},
			options{targets: []string{"."}, tail: []string{"y"}}},
		{"test/unknown-then-known", "test", []string{"./a", "-myflag", "-v", "val"},
			options{goFlags: []string{"-v"}, targets: []string{"./a"}, tail: []string{"-myflag", "val"}}},
		{"test/unknown-with-value", "test", []string{"-myflag=x", "./a", "./b"},
			options{tail: []string{"-myflag=x", "./a", "./b"}}},
		{"test/unknown-before-packages", "test", []string{"-myflag", "val", "./a", "-v"},
			options{tail: []string{"-myflag", "val", "./a", "-v"}}},
		{"test/packages-after-flag", "test", []string{"./a", "-v", "./b", "-short"},
			options{goFlags: []string{"-v"}, targets: []string{"./a"}, tail: []string{"./b", "-short"}}},
		{"test/packages-around-own-flag", "test", []string{"./a", "-stat", "./b"},
			options{stat: true, targets: []string{"./a"}, tail: []string{"./b"}}},
		{"test/work", "test", []string{"-work", "-x", "."},
			options{work: true, goFlags: []string{"-work", "-x"}, targets: []string{"."}}},
		{"test/o-before-graph", "test", []string{"-o", "x.json", "-graph", "g.json", "."},
			options{graph: "g.json", goFlags: []string{"-o=x.json"}, targets: []string{"."}}},
		{"test/o-twice", "test", []string{"-o", "a.json", "-o=b.json", "."},
			options{graph: "b.json", targets: []string{"."}}},
		{"test/c-after-o", "test", []string{"-o=x.json", ".", "-c"},
			options{goFlags: []string{"-c", "-o=x.json"}, compileOnly: true, targets: []string{"."}}},
		{"test/baseline", "test", []string{"-baseline", "b", "-write-baseline", "."},
			options{baseline: "b", writeBaseline: true, targets: []string{"."}}},
		{"test/tags-and-mod", "test", []string{"-tags=a,b", "-mod=mod", "-modfile", "x.mod", "."},
			options{tags: "a,b", mod: "mod", modfile: "x.mod", targets: []string{"."}}},
		{"run/flag=value", "run", []string{"-C=dir", "-ldflags=-s -w", "-tags", "t", "./cmd/app", "a"},
			options{dir: "dir", tags: "t", goFlags: []string{"-ldflags=-s -w"}, targets: []string{"./cmd/app"}, tail: []string{"a"}}},
		{"run/json", "run", []string{"-json", "."},
			options{goJSON: true, goFlags: []string{"-json"}, targets: []string{"."}}},
		{"run/program-flags", "run", []string{".", "--", "-x"},
			options{targets: []string{"."}, tail: []string{"--", "-x"}}},
		{"run/version", "run", []string{"-version"},
			options{version: true}},
		{"run/dash", "run", []string{"-", "a"},
			options{targets: []string{"-"}, tail: []string{"a"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseFlags(tc.cmd, tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			tc.want.cmd = tc.cmd
			if tc.want.format == "" {
				tc.want.format = "text"
			}
			if diff := cmp.Diff(&tc.want, got, cmp.AllowUnexported(options{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseFlags(%q) (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}

// TestParseFlagsErrors: a command line lockdep cannot take is one line on
// stderr, the way to the manual, and errUsage (or errHelp for -h).
func TestParseFlagsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cmd  string
		args []string
		want error
		line string // the first line on stderr
	}{
		{"test/no-value", "test", []string{".", "-run"}, errUsage, "lockdep test: flag needs an argument: -run"},
		{"test/own-no-value", "test", []string{"-graph"}, errUsage, "lockdep test: flag needs an argument: -graph"},
		{"test/o-no-value", "test", []string{".", "-o"}, errUsage, "lockdep test: flag needs an argument: -o"},
		{"test/bad-bool-own", "test", []string{"-stat=maybe"}, errUsage, `lockdep test: invalid boolean value "maybe" for -stat`},
		{"test/bad-bool-read", "test", []string{"-json=maybe"}, errUsage, `lockdep test: invalid boolean value "maybe" for -json`},
		{"test/bad-bool-c", "test", []string{"-c=x"}, errUsage, `lockdep test: invalid boolean value "x" for -c`},
		{"test/bad-format", "test", []string{"-format", "xml"}, errUsage, `lockdep test: -format must be text, json or sarif, not "xml"`},
		{"test/write-baseline-alone", "test", []string{"-write-baseline"}, errUsage, "lockdep test: -write-baseline needs -baseline file"},
		{"test/o-and-graph-json", "test", []string{"-c=false", "-graph", "g.json", "-o", "x"}, nil, ""},
		{"test/help", "test", []string{".", "-h"}, errHelp, ""},
		{"test/help-false", "test", []string{"-help=false"}, errHelp, ""},
		{"test/help-bad", "test", []string{"-h=x"}, errUsage, `lockdep test: invalid boolean value "x" for -h`},
		{"test/help-after-args", "test", []string{"-args", "-h"}, nil, ""},
		{"run/o-and-graph", "run", []string{"-graph", "g.json", "-o", "x.json", "."}, errUsage, "lockdep run: flag provided but not defined: -o (the graph file is -graph)"},
		{"run/unknown", "run", []string{"-myflag", "."}, errUsage, "lockdep run: flag provided but not defined: -myflag"},
		{"run/test-flag", "run", []string{"-short", "."}, errUsage, "lockdep run: flag provided but not defined: -short"},
		{"run/test-only-flag", "run", []string{"-c", "."}, errUsage, "lockdep run: flag provided but not defined: -c"},
		{"run/args", "run", []string{"-args", "."}, errUsage, "lockdep run: flag provided but not defined: -args"},
		{"run/test-prefix", "run", []string{"-test.v", "."}, errUsage, "lockdep run: flag provided but not defined: -test.v"},
		{"run/double-dash", "run", []string{"--", "."}, errUsage, "lockdep run: no package to run before --"},
		{"run/nothing", "run", []string{"-race"}, errUsage, "lockdep run: no package to run"},
		{"run/help", "run", []string{"-h", "."}, errHelp, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			_, err := parseFlags(tc.cmd, tc.args, &stderr)
			if err != tc.want {
				t.Fatalf("parseFlags(%q): %v, want %v", tc.args, err, tc.want)
			}
			line, _, _ := strings.Cut(stderr.String(), "\n")
			if line != tc.line {
				t.Errorf("stderr %q, want first line %q", stderr.String(), tc.line)
			}
		})
	}
}

// TestTestTimeout: the test processes' -timeout, as go test decides it,
// and when the held-lock dump comes.
func TestTestTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		goflags string
		args    []string
		want    time.Duration
		dump    time.Duration
	}{
		{"default", "", []string{"./..."}, 10 * time.Minute, 9*time.Minute + 50*time.Second},
		{"flag", "", []string{"-timeout", "3s", "./..."}, 3 * time.Second, 2700 * time.Millisecond},
		{"flag-after-packages", "", []string{"./...", "-timeout=1m"}, time.Minute, 54 * time.Second},
		{"test-prefix", "", []string{"-test.timeout=20s", "."}, 20 * time.Second, 18 * time.Second},
		{"goflags", "-timeout=2m -count=1", []string{"."}, 2 * time.Minute, 110 * time.Second},
		{"flag-over-goflags", "-timeout=2m", []string{"-timeout=30s", "."}, 30 * time.Second, 27 * time.Second},
		{"after-args", "", []string{".", "-timeout=1m", "-args", "-test.timeout", "4s"}, 4 * time.Second, 3600 * time.Millisecond},
		{"after-args-not-go-tests", "", []string{".", "-args", "-timeout=4s"}, 10 * time.Minute, 9*time.Minute + 50*time.Second},
		{"off", "", []string{"-timeout=0", "."}, 0, 0},
		{"bad", "", []string{"-timeout=soon", "."}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseFlags("test", tc.args, io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			got := o.testTimeout(tc.goflags)
			if got != tc.want {
				t.Errorf("timeout %v, want %v", got, tc.want)
			}
			if got > 0 {
				if d := dumpAfter(got); d != tc.dump {
					t.Errorf("dump after %v, want %v", d, tc.dump)
				}
			}
		})
	}
}

func TestCheckGoVersion(t *testing.T) {
	if err := checkGoVersion("go1.20.14"); err == nil || !strings.Contains(err.Error(), "lockdep needs go1.21 or later") {
		t.Errorf("go1.20.14: %v, want an error saying go1.21 is needed", err)
	}
	for _, v := range []string{"go1.21.0", "go1.26.8", "devel +abc"} {
		if err := checkGoVersion(v); err != nil {
			t.Errorf("%s: %v", v, err)
		}
	}
}
