package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}

func mergeJobs(t *testing.T, jobs ...string) *Merger {
	t.Helper()
	m := NewMerger()
	for _, job := range jobs {
		gr, err := ReadGraphFile(filepath.Join("testdata", job+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.AddGraph(gr, job); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// TestMergeJobs: a cycle split across two CI jobs' graph files is found,
// naming the job that recorded each dependency; consistent files give
// nothing. The merged graph renders to the golden JSON, DOT and text.
func TestMergeJobs(t *testing.T) {
	if fs := mergeJobs(t, "job-a", "job-c").Findings(); len(fs) != 0 {
		t.Errorf("consistent jobs: %d findings, the first:\n%s", len(fs), fs[0].String())
	}
	m := mergeJobs(t, "job-a", "job-b", "job-c")
	fs := m.Findings()
	if len(fs) != 1 || fs[0].Kind != Circular {
		t.Fatalf("findings %v, want one cycle", fs)
	}
	var origins []string
	for _, d := range fs[0].Chain {
		origins = append(origins, d.Origin)
	}
	if diff := cmp.Diff([]string{"job-a ./store", "job-b ./cache"}, origins); diff != "" {
		t.Errorf("origins (-want +got):\n%s", diff)
	}
	gr := m.Graph()
	golden(t, "merged.json.golden", gr.Marshal())
	golden(t, "merged.dot.golden", []byte(gr.DOT()))
	golden(t, "merged.txt.golden", []byte(gr.Text()+"\n"+fs[0].String()))

	// The graph file reads back as written.
	back, err := ReadGraph(bytes.NewReader(gr.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(gr.Marshal()), string(back.Marshal())); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// TestMergeHeld: a cycle whose dependencies two jobs recorded, whose
// records say what the goroutine of the closing dependency held (five
// locks, one of them read-locked, one try-locked), reads as the report
// of one process would: the held lock the cycle closes with, in its mode
// and at its site, and every lock held. Without those records (job-a,
// job-b), the report says which facts it lacks rather than guess them.
func TestMergeHeld(t *testing.T) {
	fs := mergeJobs(t, "held-a", "held-b").Findings()
	if len(fs) != 2 || fs[0].Kind != Circular || len(fs[0].Chain) != 2 {
		t.Fatalf("findings %v, want two cycles, the first of two classes", fs)
	}
	r := fs[0]
	if r.Holding == nil || r.Holding.At == nil || r.Holding.At.Line != 55 || len(r.HeldLocks) != 5 || len(r.Unrecorded) != 0 {
		t.Errorf("holding %+v, %d held locks, unrecorded %q; want Cache.mu at cache.go:55, 5, none", r.Holding, len(r.HeldLocks), r.Unrecorded)
	}
	golden(t, "held.txt.golden", []byte(r.String()))

	// The merged graph file keeps the held locks: merged again, it makes
	// the same report.
	gr := mergeJobs(t, "held-a", "held-b").Graph()
	back, err := ReadGraph(bytes.NewReader(gr.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	m := NewMerger()
	if err := m.AddGraph(back, "ci"); err != nil {
		t.Fatal(err)
	}
	again := m.Findings()
	if len(again) != 2 {
		t.Fatalf("the merged graph merged again: %d findings, want 2", len(again))
	}
	if diff := cmp.Diff(r.Holding, again[0].Holding); diff != "" {
		t.Errorf("holding, merged again (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(r.HeldLocks, again[0].HeldLocks); diff != "" {
		t.Errorf("held locks, merged again (-want +got):\n%s", diff)
	}

	bare := mergeJobs(t, "job-a", "job-b").Findings()[0]
	if diff := cmp.Diff([]string{"holding", "held_locks"}, bare.Unrecorded); diff != "" {
		t.Errorf("unrecorded facts without held locks (-want +got):\n%s", diff)
	}
	if bare.Holding == nil || bare.Holding.At != nil || bare.Holding.Mode != "" {
		t.Errorf("holding without records %+v: want the class alone", bare.Holding)
	}
}

func TestFocus(t *testing.T) {
	gr := mergeJobs(t, "job-a", "job-b").Graph()
	f, err := gr.Focus("example.com/shop/store.index")
	if err != nil {
		t.Fatal(err)
	}
	// index is reached from Store.mu, which Cache.mu reaches: the cycle
	// between those two stays, and so does its finding.
	if got := len(f.Classes); got != 3 || len(f.Dependencies) != 3 || len(f.Findings) != 1 {
		t.Errorf("focus on index: %d classes, %d dependencies, %d findings; want 3, 3, 1", got, len(f.Dependencies), len(f.Findings))
	}
	f, err = gr.Focus("example.com/shop/cache.Cache.mu")
	if err != nil || len(f.Classes) != 3 {
		t.Errorf("focus on Cache.mu: %v, %+v", err, f)
	}
	if _, err := gr.Focus("nope"); err == nil || !strings.Contains(err.Error(), `no class "nope"`) {
		t.Errorf("focus on an unknown class: %v", err)
	}
}

func TestReadGraphErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{`, "not a lockdep graph file"},
		{`{"version": 2}`, "graph file version 2, want 1"},
		{`{"version": 1, "classes": [{"name": "A"}], "dependencies": [{"from": "A", "to": "B", "mode": "W"}]}`, "names a class the file does not list"},
		{`{"version": 1, "classes": [{"name": "A"}], "dependencies": [{"from": "A", "to": "A", "mode": "X"}]}`, `mode "X", want W or R`},
	} {
		if _, err := ReadGraph(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ReadGraph(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestClassPackage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		instance bool
		pkg      string
		rest     string
	}{
		{"example.com/m/store.Store.mu", false, "example.com/m/store", "Store.mu"},
		{"example.com/m/store.cache", false, "example.com/m/store", "cache"},
		{"bank.Account.mu", false, "bank", "Account.mu"},
		{"A", false, "", "A"},
		{"lockdep.Mutex@x.go:3", true, "(locks without a class)", "lockdep.Mutex@x.go:3"},
	} {
		if pkg, rest := classPackage(tc.name, tc.instance); pkg != tc.pkg || rest != tc.rest {
			t.Errorf("classPackage(%q) = %q, %q; want %q, %q", tc.name, pkg, rest, tc.pkg, tc.rest)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n     int
		thing string
		want  string
	}{{1, "class", "1 class"}, {2, "class", "2 classes"}, {0, "dependency", "0 dependencies"}, {1, "finding", "1 finding"}, {3, "package", "3 packages"}} {
		if got := Count(tc.n, tc.thing); got != tc.want {
			t.Errorf("Count(%d, %q) = %q, want %q", tc.n, tc.thing, got, tc.want)
		}
	}
}

// TestDOTMarks: a class locked recursively gets a red loop, and a class
// of a single lock goes to the cluster of locks without a class, whose
// label is not shortened.
func TestDOTMarks(t *testing.T) {
	gr := Graph{
		Version: GraphVersion,
		Classes: []GraphClass{
			{Name: "example.com/m/a.Node.mu", Written: true},
			{Name: "example.com/m/b.cache"},
			{Name: "lockdep.Mutex@x.go:3", Instance: true},
		},
		Dependencies: []GraphDep{{From: "example.com/m/a.Node.mu", To: "example.com/m/b.cache", Mode: "W"}},
		Findings:     []Report{{Kind: Recursive, Headline: Recursive.Headline(), Lock: Lock{Class: "example.com/m/a.Node.mu", Mode: "W"}, Detail: "Both locks are of the same class."}},
	}
	dot := gr.DOT()
	for _, want := range []string{
		`label="a";`,
		`label="(locks without a class)";`,
		`"example.com/m/a.Node.mu" [label="Node.mu", tooltip="example.com/m/a.Node.mu", penwidth=2, color="#cc0000", fontcolor="#cc0000"];`,
		`"example.com/m/a.Node.mu" -> "example.com/m/a.Node.mu" [label="recursive", style=dotted, color="#cc0000"`,
		`tooltip="example.com/m/a.Node.mu: possible recursive locking detected: Both locks are of the same class."`,
		`"example.com/m/a.Node.mu" -> "example.com/m/b.cache" [label="W", tooltip=`,
		`label="Packages under example.com/m/\nA → B:`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("the DOT lacks %s:\n%s", want, dot)
		}
	}
}

func TestCommonDir(t *testing.T) {
	for _, tc := range []struct {
		pkgs []string
		want string
	}{
		{nil, ""},
		{[]string{"example.com/shop/store"}, "example.com/shop/"},
		{[]string{"example.com/shop/cache", "example.com/shop/store"}, "example.com/shop/"},
		{[]string{"example.com/m/ab", "example.com/m/abc"}, "example.com/m/"},
		{[]string{"example.com/m", "example.com/m/sub"}, "example.com/"},
		{[]string{"bank", "shop"}, ""},
		{[]string{"", "(locks without a class)", "x.org/p/q"}, "x.org/p/"},
	} {
		if got := commonDir(tc.pkgs); got != tc.want {
			t.Errorf("commonDir(%q) = %q, want %q", tc.pkgs, got, tc.want)
		}
	}
}

// TestSARIFOutside: a finding none of whose frames is in the repository
// still has a location, as GitHub code scanning requires: its first
// frame's file, by absolute URI where that file is found.
func TestSARIFOutside(t *testing.T) {
	never := func(string) (string, bool) { return "", false }
	dep := Frame{Func: "example.com/dep.ab", File: "example.com/dep@v1.0.0/dep.go", Line: 7}
	for _, tc := range []struct {
		name string
		r    Report
		run  SARIFRun
		uri  string
		base string
		line int
	}{
		{
			name: "module-cache",
			r:    Report{Kind: Circular, Lock: Lock{Class: "example.com/dep.b", At: &dep}},
			run: SARIFRun{URI: never, Abs: func(f string) (string, bool) {
				return "/home/u/go/pkg/mod/" + f, f == dep.File
			}},
			uri: "file:///home/u/go/pkg/mod/example.com/dep@v1.0.0/dep.go", line: 7,
		},
		{
			name: "absolute",
			r:    Report{Kind: Recursive, Stack: []Frame{{Func: "f", File: "/src/dep/dep.go", Line: 3}}},
			run:  SARIFRun{URI: never},
			uri:  "file:///src/dep/dep.go", line: 3,
		},
		{
			name: "not-found",
			r:    Report{Kind: Circular, Chain: []Dependency{{Class: "a", Stack: []Frame{{Func: "f", File: "store/store.go", Line: 42}}}}},
			run:  SARIFRun{URI: never, Abs: never},
			uri:  "store/store.go", base: "%SRCROOT%", line: 42,
		},
		{
			name: "no-frame",
			r:    Report{Kind: BadUnlock},
			run:  SARIFRun{URI: never, Fallback: "svc/go.mod"},
			uri:  "svc/go.mod", base: "%SRCROOT%", line: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l struct {
				Runs []struct {
					Results []struct {
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI, URIBaseID string }
								Region           struct{ StartLine int }
							}
						}
					}
				}
			}
			if err := json.Unmarshal(SARIF([]Report{tc.r}, tc.run), &l); err != nil {
				t.Fatal(err)
			}
			locs := l.Runs[0].Results[0].Locations
			if len(locs) != 1 {
				t.Fatalf("%d locations, want 1", len(locs))
			}
			p := locs[0].PhysicalLocation
			if p.ArtifactLocation.URI != tc.uri || p.ArtifactLocation.URIBaseID != tc.base || p.Region.StartLine != tc.line {
				t.Errorf("location %+v, want %s (base %q) line %d", p, tc.uri, tc.base, tc.line)
			}
		})
	}
}
