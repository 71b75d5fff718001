package main

import (
	"io"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/golockdep/lockdep"
)

// TestStory runs the story and checks that lockdep reports exactly the
// kernel's circular dependency, in the kernel's print order.
//
// Lock classes and their dependencies are process-wide, so the story can
// only be found once per process: run this test once (no -count>1).
func TestStory(t *testing.T) {
	var (
		mu      sync.Mutex
		reports []lockdep.Report
	)
	lockdep.Configure(
		lockdep.OnReport(func(r lockdep.Report) {
			mu.Lock()
			reports = append(reports, r)
			mu.Unlock()
		}),
		lockdep.Output(io.Discard),
	)

	run()

	mu.Lock()
	defer mu.Unlock()
	if len(reports) != 1 {
		for i, r := range reports {
			t.Logf("report %d:\n%s", i, r)
		}
		t.Fatalf("got %d reports, want 1", len(reports))
	}
	r := reports[0]
	t.Logf("report:\n%s", r)

	if r.Kind != lockdep.Circular {
		t.Errorf("Kind = %v, want Circular (%v)", r.Kind, lockdep.Circular)
	}

	// "-> #4 (&dev->struct_mutex)" first, "-> #0 (cpu_hotplug_lock.rw_sem)" last.
	want := []string{
		structMuClass.Name(),
		mmapSemClass.Name(),
		perfCtxClass.Name(),
		pmusLockClass.Name(),
		cpuHotplugClass.Name(),
	}
	var got []string
	for _, d := range r.Chain {
		got = append(got, d.Class)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("chain classes mismatch (-want +got):\n%s", diff)
	}

	// Trying to acquire cpuHotplugLock for read (in stopMachine)...
	if diff := cmp.Diff(
		struct{ Class, Mode string }{cpuHotplugClass.Name(), "R"},
		struct{ Class, Mode string }{r.Lock.Class, r.Lock.Mode},
	); diff != "" {
		t.Errorf("acquired lock mismatch (-want +got):\n%s", diff)
	}

	// ...while already holding a Device's structMu (in resetQueue).
	if r.Holding == nil {
		t.Fatalf("Holding = nil, want %s", structMuClass.Name())
	}
	if r.Holding.Class != structMuClass.Name() {
		t.Errorf("Holding.Class = %q, want %q", r.Holding.Class, structMuClass.Name())
	}
}
