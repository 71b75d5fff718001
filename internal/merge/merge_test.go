package merge

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/render"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
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
	m := New()
	for _, job := range jobs {
		gr, err := graphfile.ReadFile(filepath.Join("testdata", job+".json"))
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
	if len(fs) != 1 || fs[0].Kind != report.Circular {
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
	var text bytes.Buffer
	if err := render.GraphText(&text).End(&reporting.End{Graph: &gr}); err != nil {
		t.Fatal(err)
	}
	golden(t, "merged.txt.golden", []byte(text.String()+"\n"+fs[0].String()))

	// The graph file reads back as written.
	back, err := graphfile.Read(bytes.NewReader(gr.Marshal()))
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
	if len(fs) != 2 || fs[0].Kind != report.Circular || len(fs[0].Chain) != 2 {
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
	back, err := graphfile.Read(bytes.NewReader(gr.Marshal()))
	if err != nil {
		t.Fatal(err)
	}
	m := New()
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

// TestMergeThroughs: a cycle through an event class is a finding of the
// union only where one instance of the event was waited for under the
// lock before it and made after the lock after it (a through, which only
// one process can see): two jobs, one waiting under L for a WaitGroup
// made after M, the other taking L under M.
func TestMergeThroughs(t *testing.T) {
	const ev = "wait: example.com/m.S.wg"
	job := func(throughs [][3]string) *Merger {
		a := &graphfile.Graph{
			Version: graphfile.Version,
			Classes: []graphfile.Class{{Name: "example.com/m.S.mu"}, {Name: "example.com/m.S.other"}, {Name: ev}},
			Dependencies: []graphfile.Dependency{
				{From: "example.com/m.S.mu", To: ev, Mode: "W"},
				{From: ev, To: "example.com/m.S.other", Mode: "W"},
			},
			Throughs: throughs,
		}
		b := &graphfile.Graph{
			Version:      graphfile.Version,
			Classes:      []graphfile.Class{{Name: "example.com/m.S.mu"}, {Name: "example.com/m.S.other"}},
			Dependencies: []graphfile.Dependency{{From: "example.com/m.S.other", To: "example.com/m.S.mu", Mode: "W"}},
		}
		m := New()
		for i, gr := range []*graphfile.Graph{a, b} {
			back, err := graphfile.Read(bytes.NewReader(gr.Marshal()))
			if err != nil {
				t.Fatal(err)
			}
			if err := m.AddGraph(back, []string{"a", "b"}[i]); err != nil {
				t.Fatal(err)
			}
		}
		return m
	}
	if fs := job(nil).Findings(); len(fs) != 0 {
		t.Errorf("no one WaitGroup waited for under mu and made after other: %d findings, want none", len(fs))
	}
	m := job([][3]string{{"example.com/m.S.mu", ev, "example.com/m.S.other"}})
	fs := m.Findings()
	if len(fs) != 1 || len(fs[0].Chain) != 3 {
		t.Fatalf("with the through: %v, want one cycle of three classes", fs)
	}
	if got := m.Graph().Throughs; len(got) != 1 || got[0][1] != ev {
		t.Errorf("the merged graph's throughs %q, want the one merged", got)
	}
}
