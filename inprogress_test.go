package lockdep_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/goroutinetest"
)

// A deadlock in progress: an acquisition that made a finding which waits
// for confirmation blocks in the real Lock, as plain Go would, and is
// reported after the settle time or when the process or test ends while
// it still waits.

// store is the shape of the bug: a helper that expects its caller not to
// hold the lock, called with it held.
type store struct {
	mu lockdep.Mutex
	n  int
}

func (s *store) add() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
}

// addTwice locks s.mu, then calls add, which locks it again: a
// self-deadlock. (The tests let it go by unlocking s.mu themselves, a
// hand-off: add then returns, and s.mu is unlocked.)
func (s *store) addTwice() {
	s.mu.Lock()
	s.add()
}

// stuckStore starts a goroutine that deadlocks on a store's mutex, waits
// until it blocks, and returns the store and a function that lets the
// goroutine go (a hand-off: the test unlocks the mutex it waits for) and
// waits for it to end.
func stuckStore(t *testing.T) (s *store, release func()) {
	t.Helper()
	s = new(store)
	s.mu.SetClass(lockdep.NewClass("store.mu"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.addTwice()
	}()
	if got := goroutinetest.WaitState(t, "(*store).addTwice", "sync.Mutex.Lock"); got != "sync.Mutex.Lock" {
		t.Fatalf("the deadlocked goroutine waits in state %q, want sync.Mutex.Lock, as without lockdep", got)
	}
	return s, func() {
		s.mu.Unlock()
		<-done
	}
}

func TestDeadlockInProgress(t *testing.T) {
	t.Run("process-end", func(t *testing.T) {
		var delivered []lockdep.Report
		var mu sync.Mutex
		defer lockdep.FreshSettle(lockdep.DefaultLimits, time.Hour, lockdep.OnReport(func(r lockdep.Report) {
			mu.Lock()
			delivered = append(delivered, r)
			mu.Unlock()
		}))()
		_, release := stuckStore(t)
		defer release()
		if fs := lockdep.Findings(); len(fs) != 0 {
			t.Fatalf("reported before the settle time: %v", fs)
		}
		lockdep.ProcessEnds()
		fs := lockdep.Findings()
		if len(fs) != 1 || fs[0].Kind != lockdep.Recursive || !fs[0].SameInstance || fs[0].InProgress != "exit" {
			t.Fatalf("findings %v, want one recursive same-instance finding in progress at exit", fs)
		}
		if !strings.Contains(fs[0].String(), "still waiting for this lock when the process ended") {
			t.Errorf("the report does not say the goroutine is stuck:\n%s", fs[0])
		}
		mu.Lock()
		defer mu.Unlock()
		if len(delivered) != 1 {
			t.Errorf("delivered %d times, want once", len(delivered))
		}
	})
	t.Run("settle", func(t *testing.T) {
		reported := make(chan lockdep.Report, 1)
		defer lockdep.FreshSettle(lockdep.DefaultLimits, lockdep.TestSettle, lockdep.OnReport(func(r lockdep.Report) { reported <- r }))()
		_, release := stuckStore(t)
		defer release()
		r := <-reported
		if r.Kind != lockdep.Recursive || r.InProgress != "settle" {
			t.Fatalf("reported %v (in progress %q), want recursive locking in progress after the settle time", r.Kind, r.InProgress)
		}
		if !strings.Contains(r.String(), "has waited for this lock") {
			t.Errorf("the report does not say the goroutine is stuck:\n%s", r)
		}
		if got := goroutinetest.WaitState(t, "(*store).addTwice", "sync.Mutex.Lock"); got != "sync.Mutex.Lock" {
			t.Errorf("after the report, the goroutine waits in state %q, want sync.Mutex.Lock", got)
		}
	})
	t.Run("handoff-in-flight", func(t *testing.T) {
		// A mutex used as a semaphore: locked, the unlock handed to a
		// goroutine, locked again. The second Lock waits for the hand-off,
		// which withdraws the finding: nothing is reported, ever.
		defer lockdep.FreshSettle(lockdep.DefaultLimits, time.Second)()
		var sem lockdep.Mutex
		sem.SetClass(lockdep.NewClass("sem"))
		for range 3 {
			sem.Lock()
			go func() {
				time.Sleep(time.Millisecond) // let the next Lock wait
				sem.Unlock()
			}()
		}
		sem.Lock()
		sem.Unlock()
		lockdep.ProcessEnds()
		if fs := lockdep.Findings(); len(fs) != 0 {
			t.Errorf("findings on a semaphore's hand-offs:\n%s", fs[0])
		}
	})
}
