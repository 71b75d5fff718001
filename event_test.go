package lockdep_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/google/go-cmp/cmp"
)

// eventWorld is what an Event case works on: locks L and M, events E and
// F (each of its own class, named after the test), and goroutines to run
// steps in, one at a time.
type eventWorld struct {
	L, M *lockdep.Mutex
	E, F *lockdep.Event
	gs   map[int]chan func()
	wg   sync.WaitGroup
}

// in runs f in goroutine g (started on first use) and waits for it.
func (w *eventWorld) in(g int, f func()) {
	c, ok := w.gs[g]
	if !ok {
		c = make(chan func())
		w.gs[g] = c
		w.wg.Go(func() {
			for f := range c {
				f()
				c <- nil
			}
		})
	}
	c <- f
	<-c
}

func (w *eventWorld) close() {
	for _, c := range w.gs {
		close(c)
	}
	w.wg.Wait()
}

// TestEvent runs the hazards and the look-alikes of a pseudo-lock
// (waits-README.md in internal/cli/testdata lists those of WaitGroups,
// channels, Conds and Onces) through the Event API. Each step runs in
// goroutine 0 unless in says otherwise; no step blocks.
func TestEvent(t *testing.T) {
	tests := []struct {
		name string
		run  func(w *eventWorld)
		want []finding // classes sorted
	}{{
		// A flush under L waits for a job that takes L.
		name: "hazard/wait-under-lock",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin(); w.L.Lock(); w.L.Unlock(); w.E.End() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "event: E"}}},
	}, {
		// The same, the wait first: the region closes the cycle.
		name: "hazard/region-after-wait",
		run: func(w *eventWorld) {
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
			w.in(1, func() { w.E.Begin(); w.L.Lock(); w.L.Unlock(); w.E.End() })
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "event: E"}}},
	}, {
		// Through a lock: the job takes M, and M is taken under L.
		name: "hazard/through-a-lock",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin(); w.M.Lock(); w.M.Unlock(); w.E.End() })
			w.M.Lock()
			w.L.Lock()
			w.L.Unlock()
			w.M.Unlock()
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "M", "event: E"}}},
	}, {
		// Waiting for the event inside a region that makes it: the
		// goroutine waits for itself.
		name: "hazard/wait-inside-region",
		run: func(w *eventWorld) {
			w.E.Begin()
			w.E.Wait()
			w.E.End()
		},
		want: []finding{{Kind: lockdep.Recursive, Classes: []string{"event: E", "event: E"}}},
	}, {
		// The maker took L since its start, then made the event at one
		// point (a deferred Done).
		name: "hazard/signal-after-lock",
		run: func(w *eventWorld) {
			w.in(1, func() { w.L.Lock(); w.L.Unlock(); w.E.Signal() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "event: E"}}},
	}, {
		// The wait first: the signal closes the cycle.
		name: "hazard/wait-then-signal",
		run: func(w *eventWorld) {
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
			w.in(1, func() { w.L.Lock(); w.L.Unlock(); w.E.Signal() })
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "event: E"}}},
	}, {
		// The maker holds L as it makes the event (a close under L).
		name: "hazard/signal-holding",
		run: func(w *eventWorld) {
			w.in(1, func() { w.L.Lock(); w.E.Signal(); w.L.Unlock() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "event: E"}}},
	}, {
		// A goroutine waits after it made the event itself: it does not
		// wait for itself.
		name: "lookalike/signal-then-wait",
		run: func(w *eventWorld) {
			w.L.Lock()
			w.E.Signal()
			w.E.Wait()
			w.L.Unlock()
		},
	}, {
		// L was taken before the maker's previous signal (of F): E's
		// signal does not count it.
		name: "lookalike/signal-period",
		run: func(w *eventWorld) {
			w.in(1, func() { w.L.Lock(); w.L.Unlock(); w.F.Signal(); w.E.Signal() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
	}, {
		name: "lookalike/lock-after-signal",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Signal(); w.L.Lock(); w.L.Unlock() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
	}, {
		// Two goroutines inside regions of one event (two functions of
		// one WaitGroup's Go) take L and M in opposite orders: a region
		// excludes nothing, so it guards no cycle.
		name: "hazard/abba-inside-regions",
		run: func(w *eventWorld) {
			w.in(1, func() {
				w.E.Begin()
				w.L.Lock()
				w.M.Lock()
				w.M.Unlock()
				w.L.Unlock()
				w.E.End()
			})
			w.in(2, func() {
				w.E.Begin()
				w.M.Lock()
				w.L.Lock()
				w.L.Unlock()
				w.M.Unlock()
				w.E.End()
			})
		},
		want: []finding{{Kind: lockdep.Circular, Classes: []string{"L", "M"}}},
	}, {
		name: "lookalike/released-before-wait",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin(); w.L.Lock(); w.L.Unlock(); w.E.End() })
			w.L.Lock()
			w.L.Unlock()
			w.E.Wait()
		},
	}, {
		name: "lookalike/waiter-holds-other-lock",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin(); w.L.Lock(); w.L.Unlock(); w.E.End() })
			w.M.Lock()
			w.E.Wait()
			w.M.Unlock()
		},
	}, {
		// The job takes L only after its region ended.
		name: "lookalike/lock-after-region",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin(); w.E.End(); w.L.Lock(); w.L.Unlock() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
	}, {
		// Making the event under L does not wait for it: no L → E.
		name: "lookalike/region-under-lock",
		run: func(w *eventWorld) {
			w.in(1, func() { w.L.Lock(); w.E.Begin(); w.E.End(); w.L.Unlock() })
			w.in(2, func() { w.E.Begin(); w.M.Lock(); w.M.Unlock(); w.E.End() })
			w.M.Lock()
			w.L.Lock()
			w.L.Unlock()
			w.M.Unlock()
		},
	}, {
		// Goroutine 1 begins the region and hands it to goroutine 2,
		// which ends it: what 1 takes afterwards does not depend on E.
		name: "lookalike/hand-off",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin() })
			w.in(2, func() { w.E.End() })
			w.in(1, func() { w.L.Lock(); w.L.Unlock() })
			w.L.Lock()
			w.E.Wait()
			w.L.Unlock()
		},
	}, {
		// Two events: the waiter waits for F under L, the job of E
		// takes L.
		name: "lookalike/other-event",
		run: func(w *eventWorld) {
			w.in(1, func() { w.E.Begin(); w.L.Lock(); w.L.Unlock(); w.E.End() })
			w.L.Lock()
			w.F.Wait()
			w.L.Unlock()
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []lockdep.Report
			var mu sync.Mutex
			restore := lockdep.Fresh(lockdep.DefaultLimits, lockdep.OnReport(func(r lockdep.Report) {
				mu.Lock()
				got = append(got, r)
				mu.Unlock()
			}))
			defer restore()
			w := &eventWorld{L: new(lockdep.Mutex), M: new(lockdep.Mutex), E: new(lockdep.Event), F: new(lockdep.Event), gs: map[int]chan func(){}}
			w.L.SetClass(lockdep.NewClass("L"))
			w.M.SetClass(lockdep.NewClass("M"))
			w.E.SetClass(lockdep.NewClass("E"))
			w.F.SetClass(lockdep.NewClass("F"))
			tc.run(w)
			w.close()
			mu.Lock()
			defer mu.Unlock()
			var fs []finding
			for _, r := range got {
				f := summarize(r)
				if f.Kind == lockdep.Circular {
					slices.Sort(f.Classes)
				}
				fs = append(fs, f)
			}
			if diff := cmp.Diff(tc.want, fs); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEventInert: with validation off, an Event does nothing, and its
// methods may be called in any order.
func TestEventInert(t *testing.T) {
	var e lockdep.Event
	e.End()
	e.Wait()
	e.Begin()
	e.Wait()
	e.Signal()
}
