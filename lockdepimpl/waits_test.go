package lockdepimpl_test

import (
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep/lockdepimpl"
	"github.com/golockdep/lockdep/report"
)

// Sites as the rewriter declares them for waits: the event's class is
// "kind: " and the declaration of the WaitGroup, Once or Cond.
var waitSites = [...]lockdepimpl.Site{
	{Class: "example.com/m.Server.mu", File: "w.go", Line: 1},          // 0: Lock
	{Class: "example.com/m.Server.mu", File: "w.go", Line: 2},          // 1: Unlock
	{Class: "wait: example.com/m.Server.wg", File: "w.go", Line: 3},    // 2: wg.Wait()
	{Class: "wait: example.com/m.Server.wg", File: "w.go", Line: 4},    // 3: wg.Done()
	{Class: "wait: example.com/m.Server.wg", File: "w.go", Line: 5},    // 4: wg.Go(f)
	{Class: "wait: example.com/m.Server.wg", File: "w.go", Line: 6},    // 5: wg.Done as a value
	{Class: "example.com/m.Server.stopMu", File: "w.go", Line: 7},      // 6: Lock
	{Class: "example.com/m.Server.stopMu", File: "w.go", Line: 8},      // 7: Unlock
	{Class: "wait: example.com/m.Server.wg", File: "w.go", Line: 9},    // 8: wg.Wait as a value
	{Class: "once: example.com/m.Server.once", File: "w.go", Line: 10}, // 9: once.Do(f)
	{Class: "cond: example.com/m.Server.cond", File: "w.go", Line: 11}, // 10: cond.Wait()
	{Class: "cond: example.com/m.Server.cond", File: "w.go", Line: 12}, // 11: cond.Signal()
	{Class: "cond: example.com/m.Server.cond", File: "w.go", Line: 13}, // 12: cond.Broadcast()
}

type waiter struct {
	mu, stopMu sync.Mutex
	wg         sync.WaitGroup
	once       sync.Once
	n          int
}

func (s *waiter) lock()       { lockdepimpl.Lock(&s.mu, &waitSites[0]) }
func (s *waiter) unlock()     { lockdepimpl.Unlock(&s.mu, &waitSites[1]) }
func (s *waiter) stopLock()   { lockdepimpl.Lock(&s.stopMu, &waitSites[6]) }
func (s *waiter) stopUnlock() { lockdepimpl.Unlock(&s.stopMu, &waitSites[7]) }

// handle is a handler, rewritten: it takes mu before its deferred Done.
func (s *waiter) handle() {
	defer lockdepimpl.WGDone(&s.wg, &waitSites[3])
	s.lock()
	s.n++
	s.unlock()
}

// inGoroutine runs f in a goroutine of its own and waits for it through
// a channel the validator does not see.
func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// regionHandler is a handler of wg, rewritten: its deferred Done begins
// the WaitGroup's region, inside which it takes s.mu; then it signals a
// Cond, which starts a new period: its Done counts no lock taken, and
// only the acquisition inside the region orders mu after the WaitGroup.
func regionHandler(wg *sync.WaitGroup, s *waiter) {
	defer lockdepimpl.WGDeferredDone(lockdepimpl.WGBegin(wg, &waitSites[3]), &waitSites[3])
	s.lock()
	s.unlock()
	lockdepimpl.CondSignal(sync.NewCond(new(sync.Mutex)), &waitSites[11])
}

// waitOneDoneOther waits under mu for one WaitGroup of the class, after
// a Done after mu of another: no one WaitGroup is both.
func waitOneDoneOther(s *waiter) {
	var other waiter
	other.wg.Add(1)
	inGoroutine(func() {
		defer lockdepimpl.WGDone(&other.wg, &waitSites[3])
		s.lock()
		s.unlock()
	})
	s.lock()
	lockdepimpl.WGWait(&s.wg, &waitSites[2])
	s.unlock()
}

// unordered summarises reports as summaries does, with each report's
// classes sorted: a cycle's chain starts where it closed.
func unordered(reps []report.Report) []string {
	var out []string
	for _, r := range reps {
		cs := r.Classes()
		slices.Sort(cs)
		out = append(out, r.Kind.String()+" "+strings.Join(cs, " "))
	}
	return out
}

func TestWaitGroup(t *testing.T) {
	const cycle = "circular example.com/m.Server.mu wait: example.com/m.Server.wg" // sorted
	for _, tc := range []struct {
		name string
		run  func(s *waiter)
		want string
	}{
		{"wait-under-lock", func(s *waiter) {
			s.wg.Add(1)
			inGoroutine(s.handle)
			s.lock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.unlock()
		}, cycle},
		{"wait-under-lock/done-later", func(s *waiter) {
			// A wait that returns at once, then a Done after mu: the
			// Done closes the cycle.
			s.lock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.unlock()
			s.wg.Add(1)
			inGoroutine(s.handle)
		}, cycle},
		{"two-waitgroups", waitOneDoneOther, ""},
		{"two-waitgroups/then-one", func(s *waiter) {
			// Then the Done of the handler on the WaitGroup waited for:
			// its chain is cached, but the class is watched since the
			// cycle of two.
			waitOneDoneOther(s)
			s.wg.Add(1)
			inGoroutine(s.handle)
		}, cycle},
		{"two-waitgroups/then-one-region", func(s *waiter) {
			// As then-one, but the handler on the WaitGroup waited for
			// orders mu after it only by taking mu inside the region
			// its deferred Done began (its Done counts no lock), a
			// chain the other WaitGroup's second handler cached:
			// watched, the acquisition itself notes the instance.
			var other waiter
			other.wg.Add(2)
			inGoroutine(func() { regionHandler(&other.wg, s) })
			inGoroutine(func() { regionHandler(&other.wg, s) }) // its chains cached
			s.lock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.unlock()
			s.wg.Add(1)
			inGoroutine(func() { regionHandler(&s.wg, s) })
		}, cycle},
		{"released-before-wait", func(s *waiter) {
			s.wg.Add(1)
			inGoroutine(s.handle)
			s.lock()
			s.unlock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
		}, ""},
		{"waiter-holds-other-lock", func(s *waiter) {
			s.wg.Add(1)
			inGoroutine(s.handle)
			s.stopLock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.stopUnlock()
		}, ""},
		{"signal-then-wait", func(s *waiter) {
			s.wg.Add(1)
			s.lock()
			s.n++
			s.unlock()
			lockdepimpl.WGDone(&s.wg, &waitSites[3])
			s.lock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.unlock()
		}, ""},
		{"go", func(s *waiter) {
			lockdepimpl.WGGo(&s.wg, &waitSites[4], func() {
				s.lock()
				s.n++
				s.unlock()
			})
			inGoroutine(func() { lockdepimpl.WGWait(&s.wg, &waitSites[2]) })
			s.lock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.unlock()
		}, cycle},
		{"method-values", func(s *waiter) {
			s.wg.Add(1)
			done := lockdepimpl.WGMethod(&s.wg, &waitSites[5]).Done
			inGoroutine(func() {
				s.lock()
				s.unlock()
				done()
			})
			wait := lockdepimpl.WGMethod(&s.wg, &waitSites[8]).Wait
			s.lock()
			wait()
			s.unlock()
		}, cycle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			s := new(waiter)
			tc.run(s)
			if got := strings.Join(unordered(findings()), "\n"); got != tc.want {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

// TestWaitGroupInProgress: a Stop's wait that returned at once, under mu;
// then a function the WaitGroup waits for blocks on mu, held: had Stop
// waited now, neither would return. The function runs inside the
// WaitGroup's region (that of wg.Go, called or as a method value, or the
// one a deferred Done begins), so its acquisition makes the cycle before
// it blocks, and the cycle is reported as in progress, before the Done
// it never reaches.
func TestWaitGroupInProgress(t *testing.T) {
	for _, tc := range []struct {
		name string
		goes func(s *waiter, f func())
	}{
		{"go", func(s *waiter, f func()) { lockdepimpl.WGGo(&s.wg, &waitSites[4], f) }},
		{"go/method-value", func(s *waiter, f func()) { lockdepimpl.WGMethod(&s.wg, &waitSites[4]).Go(f) }},
		{"deferred-done", func(s *waiter, f func()) {
			s.wg.Add(1)
			go func() {
				defer lockdepimpl.WGDeferredDone(lockdepimpl.WGBegin(&s.wg, &waitSites[3]), &waitSites[3])
				f()
			}()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			s := new(waiter)
			s.lock()
			lockdepimpl.WGWait(&s.wg, &waitSites[2])
			s.unlock()
			s.lock()
			before := blocked("lockdepimpl_test.TestWaitGroupInProgress", "sync.Mutex.Lock")
			tc.goes(s, func() {
				s.lock()
				s.n++
				s.unlock()
			})
			if !blockedIn("lockdepimpl_test.TestWaitGroupInProgress", "sync.Mutex.Lock", before) {
				t.Fatal("the function did not block on mu")
			}
			lockdepimpl.ReportWaiting()
			got := findings()
			s.unlock()
			s.wg.Wait()
			if len(got) != 1 || got[0].InProgress == "" {
				t.Fatalf("findings while the function waits: %v, want one in progress", unordered(got))
			}
			if want := "circular example.com/m.Server.mu wait: example.com/m.Server.wg"; unordered(got)[0] != want {
				t.Errorf("finding %q, want %q", unordered(got)[0], want)
			}
		})
	}
}

// TestWaitGroupParallelWalk: a parallel walk down a tree, each level's
// function of wg.Go waiting for a WaitGroup of its own, of the same
// class, for its children: no recursion, since it is another WaitGroup.
func TestWaitGroupParallelWalk(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	var walk func(depth int)
	walk = func(depth int) {
		var wg sync.WaitGroup // one class: the site's
		for range 2 {
			if depth > 0 {
				lockdepimpl.WGGo(&wg, &waitSites[4], func() { walk(depth - 1) })
			}
		}
		lockdepimpl.WGWait(&wg, &waitSites[2])
	}
	walk(3)
	if got := unordered(findings()); len(got) != 0 {
		t.Errorf("findings %q, want none", got)
	}
}

func (s *waiter) load() {
	s.lock()
	s.n++
	s.unlock()
}

func TestOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(s *waiter)
		want string
	}{
		{"do-under-lock", func(s *waiter) {
			// load runs first; the Do under mu returns at once.
			lockdepimpl.OnceDo(&s.once, &waitSites[9], s.load)
			s.lock()
			lockdepimpl.OnceDo(&s.once, &waitSites[9], s.load)
			s.unlock()
		}, "circular example.com/m.Server.mu once: example.com/m.Server.once"},
		{"do-under-lock/first", func(s *waiter) {
			// The Do under mu runs first, with a function that takes
			// nothing; a Do of the same Once, done, runs nothing, but
			// in another run its function would be the one run.
			s.lock()
			lockdepimpl.OnceDo(&s.once, &waitSites[9], func() {})
			s.unlock()
			lockdepimpl.OnceDo(&s.once, &waitSites[9], s.load)
		}, ""},
		{"do-under-lock/two-onces", func(s *waiter) {
			// A Do under mu of one Once, and a function that takes mu
			// run by a Do of another Once of the class: no one Once is
			// both, so nothing can hang.
			s.lock()
			lockdepimpl.OnceDo(&s.once, &waitSites[9], func() {})
			s.unlock()
			var other sync.Once
			lockdepimpl.OnceDo(&other, &waitSites[9], s.load)
		}, ""},
		{"do-other-lock", func(s *waiter) {
			s.lock()
			lockdepimpl.OnceDo(&s.once, &waitSites[9], func() {
				s.stopLock()
				s.stopUnlock()
			})
			s.unlock()
		}, ""},
		{"method-value", func(s *waiter) {
			do := lockdepimpl.OnceMethod(&s.once, &waitSites[9]).Do
			do(s.load)
			s.lock()
			do(s.load)
			s.unlock()
		}, "circular example.com/m.Server.mu once: example.com/m.Server.once"},
		{"panics", func(s *waiter) {
			// A function that panics ends the Do: the Once is not held
			// after it, and a later Do under mu is no recursion.
			func() {
				defer func() { recover() }()
				lockdepimpl.OnceDo(&s.once, &waitSites[9], func() { panic("load") })
			}()
			s.lock()
			lockdepimpl.OnceDo(&s.once, &waitSites[9], s.load)
			s.unlock()
		}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			s := new(waiter)
			tc.run(s)
			if got := strings.Join(unordered(findings()), "\n"); got != tc.want {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

// TestOnceRecursive runs a Do inside its own function: the goroutine
// blocks for good in the Once's lock, and the finding is reported while
// it waits (here, at the end of the test).
func TestOnceRecursive(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	s := new(waiter)
	before := blocked("lockdepimpl_test.recursiveDo", "sync.Mutex.Lock")
	go lockdepimpl.OnceDo(&s.once, &waitSites[9], func() {
		recursiveDo(s)
	})
	if !blockedIn("lockdepimpl_test.recursiveDo", "sync.Mutex.Lock", before) {
		t.Fatal("the inner Do did not block")
	}
	if got := unordered(findings()); len(got) != 0 {
		t.Errorf("findings %q before the end of the test", got)
	}
	lockdepimpl.ReportWaiting()
	fs := findings()
	if got, want := strings.Join(unordered(fs), "\n"), "recursive once: example.com/m.Server.once"; got != want {
		t.Fatalf("findings %q, want %q", got, want)
	}
	if fs[0].InProgress == "" {
		t.Errorf("the finding is not a deadlock in progress")
	}
}

//go:noinline
func recursiveDo(s *waiter) {
	lockdepimpl.OnceDo(&s.once, &waitSites[9], func() {})
}

// blockedIn reports whether more than before goroutines running fn get
// to state, as a goroutine dump shows them, while the scheduler runs the
// others: a test counts (blocked) before it starts its goroutine, since
// an earlier run of the test (-count) may have left one there.
func blockedIn(fn, state string, before int) bool {
	for range 100000 {
		if blocked(fn, state) > before {
			return true
		}
		runtime.Gosched()
	}
	return false
}

// blocked counts the goroutines running fn in state.
func blocked(fn, state string) int {
	buf := make([]byte, 1<<20)
	n := 0
	for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		if strings.Contains(g, fn) && strings.Contains(head, "["+state) {
			n++
		}
	}
	return n
}

// ownLocker is a Locker of a type of its own: the lock behind it is not
// known to be the one the Cond's Wait releases.
type ownLocker struct{ s *waiter }

func (l ownLocker) Lock()   { l.s.lock() }
func (l ownLocker) Unlock() { l.s.unlock() }

func TestCond(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    func(s *waiter) sync.Locker
		// other says the waiter holds stopMu too, which the signalling
		// goroutine took before.
		other bool
		value bool // method values
		want  string
	}{
		{"wait-holding-other", func(s *waiter) sync.Locker { return lockdepimpl.Locker(&s.mu, &waitSites[0]) }, true, false,
			"circular cond: example.com/m.Server.cond example.com/m.Server.stopMu"},
		{"wait-holding-other/values", func(s *waiter) sync.Locker { return lockdepimpl.Locker(&s.mu, &waitSites[0]) }, true, true,
			"circular cond: example.com/m.Server.cond example.com/m.Server.stopMu"},
		{"wait-holding-other/sync-mutex", func(s *waiter) sync.Locker { return &s.mu }, true, false,
			"circular cond: example.com/m.Server.cond example.com/m.Server.stopMu"},
		{"wait-own-lock", func(s *waiter) sync.Locker { return lockdepimpl.Locker(&s.mu, &waitSites[0]) }, false, false, ""},
		{"wait-own-lock/values", func(s *waiter) sync.Locker { return lockdepimpl.Locker(&s.mu, &waitSites[0]) }, false, true, ""},
		{"wait-own-lock/own-locker", func(s *waiter) sync.Locker { return ownLocker{s} }, false, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			s := new(waiter)
			l := tc.l(s)
			c := sync.NewCond(l)
			wait := func() { lockdepimpl.CondWait(c, &waitSites[10]) }
			signal := func() { lockdepimpl.CondSignal(c, &waitSites[11]) }
			if tc.value {
				wait = lockdepimpl.CondMethod(c, &waitSites[10]).Wait
				signal = lockdepimpl.CondMethod(c, &waitSites[11]).Signal
			}
			if tc.other {
				s.stopLock()
				s.stopUnlock()
			}
			ready := false
			done := make(chan struct{})
			before := blocked("lockdepimpl_test.TestCond", "sync.Cond.Wait")
			go func() {
				defer close(done)
				if tc.other {
					s.stopLock()
					defer s.stopUnlock()
				}
				l.Lock()
				for !ready {
					wait()
				}
				l.Unlock()
			}()
			if !blockedIn("lockdepimpl_test.TestCond", "sync.Cond.Wait", before) {
				t.Fatal("the waiter did not wait")
			}
			l.Lock()
			ready = true
			signal()
			l.Unlock()
			<-done
			lockdepimpl.CondBroadcast(c, &waitSites[12])
			if got := strings.Join(unordered(findings()), "\n"); got != tc.want {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}
