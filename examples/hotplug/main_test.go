package main

import (
	"io"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/golockdep/lockdep"
)

// story runs the story once per process and returns the reports it caused.
// Lock classes and their dependencies are process-wide: a second run would
// find every dependency already known and report nothing, so repeated tests
// (go test -count=N) share the first run's reports.
var story = sync.OnceValue(func() []lockdep.Report {
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
	return append([]lockdep.Report(nil), reports...)
})

// TestStory checks that the story produces exactly the kernel's circular
// dependency, in the kernel's print order.
func TestStory(t *testing.T) {
	reports := story()
	if len(reports) != 1 {
		for i, r := range reports {
			t.Logf("report %d:\n%s", i, r.String())
		}
		t.Fatalf("got %d reports, want 1", len(reports))
	}
	r := reports[0]
	t.Logf("report:\n%s", r.String())

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

	// Both read steps of the cycle count because their classes are
	// write-locked somewhere: cpuHotplugLock by CPU bring-up, mmapSem by
	// mmapRegion.
	var writers []string
	for _, d := range r.Writers {
		writers = append(writers, d.Class)
	}
	if diff := cmp.Diff(
		[]string{mmapSemClass.Name(), cpuHotplugClass.Name()}, writers,
		cmpopts.SortSlices(func(a, b string) bool { return a < b }),
	); diff != "" {
		t.Errorf("writers mismatch (-want +got):\n%s", diff)
	}
}
