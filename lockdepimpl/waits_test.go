package lockdepimpl_test

import (
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
			done := lockdepimpl.WG(&s.wg, &waitSites[5]).Done
			inGoroutine(func() {
				s.lock()
				s.unlock()
				done()
			})
			wait := lockdepimpl.WG(&s.wg, &waitSites[8]).Wait
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
