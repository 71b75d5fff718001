package engine

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// Goroutines that end holding locks (exits.go). A goroutine of these
// tests ends one of two ways: through Exited, as a rewritten go
// statement's does, or without it, as one the rewrite left alone does.

var goSite = Site{File: "x.go", Line: 7}

// exitHolding runs f in a goroutine that then ends, telling the engine
// (through Exited, called from exitingLiteral as a rewritten function
// literal's deferred call would be) if told, and waits until the
// goroutine is gone. (Where it ended is not known here: reports leave the
// validator's own frames out, and these are its own. Package lockdepimpl
// tests it.)
func (b *bench) exitHolding(told bool, f func()) {
	b.t.Helper()
	done := make(chan int64)
	go func() {
		if told {
			defer exitingLiteral(b.v)
		}
		f()
		done <- b.v.table.ID()
	}()
	waitGone(b.t, <-done)
}

//go:noinline
func exitingLiteral(v *Engine) { v.Exited(&goSite, 0) }

// waitGone waits until goroutine gid no longer exists, for up to ten
// seconds.
func waitGone(t *testing.T, gid int64) {
	t.Helper()
	head := "goroutine " + strconv.FormatInt(gid, 10) + " ["
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if !strings.Contains(string(buf[:runtime.Stack(buf, true)]), head) {
			return
		}
	}
	t.Fatalf("goroutine %d did not end", gid)
}

// waitFor starts a goroutine that locks name, and waits until it waits
// for it in the real lock; the returned function lets it go, through a
// hand-off of the lock, and then unlocks it.
func (b *bench) waitFor(name string) (release func()) {
	b.t.Helper()
	return b.waitForIn(name, "sync.Mutex.Lock", b.Unlock)
}

// waitForIn is waitFor for a goroutine that waits in state, let go by
// unlock.
func (b *bench) waitForIn(name, state string, unlock func(string)) (release func()) {
	b.t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		lockWaiting(b, name)
	}()
	// Tests in parallel wait in lockWaiting too: the goroutine is found
	// by its wait in this engine's table, then its state in a dump.
	l, _ := b.lock(name)
	got := "(not waiting)"
	for deadline := time.Now().Add(10 * time.Second); got != state && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, sn := range b.v.table.SnapshotAll() {
			for _, e := range sn.Waits {
				if e.Addr == uintptr(unsafe.Pointer(l)) {
					got = stack.All()[sn.Gid].State
				}
			}
		}
	}
	if got != state {
		b.t.Fatalf("the waiting goroutine is in state %q, want %s", got, state)
	}
	return func() {
		unlock(name) // the hand-off the goroutine that ended never made
		<-done
	}
}

//go:noinline
func lockWaiting(b *bench, name string) {
	b.Lock(name)
	b.Unlock(name)
}

func TestExitedHoldingThenWaited(t *testing.T) {
	b := newBench(t, 20*time.Millisecond)
	b.exitHolding(true, func() { b.Lock("A"); b.Lock("B"); b.Unlock("B") })
	b.want() // ending holding a lock is legal
	release := b.waitFor("A")
	r := <-b.reported
	release()
	b.want("exited_holding[A]")
	if r.InProgress != report.Settled || len(r.Waiters) != 1 || r.Waiters[0].Waiting == nil || r.Waiters[0].Waiting.Class != "A" {
		t.Errorf("in progress %q, waiters %+v; want settled, one waiting for A", r.InProgress, r.Waiters)
	}
	if r.Exit == nil || r.Exit.Started == nil || r.Exit.Started.File != "x.go" || r.Exit.Started.Line != 7 {
		t.Errorf("exit %+v, want started at x.go:7", r.Exit)
	}
	if len(r.HeldLocks) != 1 || r.HeldLocks[0].Class != "A" {
		t.Errorf("held locks %+v, want A only", r.HeldLocks)
	}
	// The waiter had the lock by a hand-off: nothing is left held.
	b.v.ReportWaiting(report.ProcessEnded)
	b.want("exited_holding[A]")
}

// TestExitedReadHoldingThenWritten: a read lock left held blocks a
// writer for good.
func TestExitedReadHoldingThenWritten(t *testing.T) {
	b := newBench(t, 20*time.Millisecond)
	b.exitHolding(true, func() { b.RLock("A") })
	release := b.waitForIn("A", "sync.RWMutex.Lock", b.RUnlock)
	r := <-b.reported
	release()
	b.want("exited_holding[A]")
	if r.Lock.Mode != "R" || r.InProgress != report.Settled {
		t.Errorf("lock %v, in progress %q; want one read-held, settled", r.Lock, r.InProgress)
	}
}

// TestExitedReadHoldingThenRead: a read lock left held does not block a
// reader.
func TestExitedReadHoldingThenRead(t *testing.T) {
	b := newBench(t, time.Hour)
	b.exitHolding(true, func() { b.RLock("A") })
	on(func() { b.RLock("A"); b.RUnlock("A") })
	b.want()
	on(func() { b.RUnlock("A") })
	b.v.ReportWaiting(report.ProcessEnded)
	b.want()
}

func TestExitedHoldingHandedOff(t *testing.T) {
	b := newBench(t, 20*time.Millisecond)
	b.exitHolding(true, func() { b.Lock("A") })
	on(func() { b.Unlock("A") }) // a hand-off after the goroutine ended
	if b.v.exitAddrs.Load() != nil {
		t.Error("the hand-off left the lock recorded as held")
	}
	on(func() { b.Lock("A"); b.Unlock("A") })
	b.v.ReportWaiting(report.ProcessEnded)
	b.want()
}

func TestExitedHoldingAtEnd(t *testing.T) {
	for _, why := range []string{report.TestEnded, report.ProcessEnded} {
		t.Run(why, func(t *testing.T) {
			b := newBench(t, time.Hour)
			b.exitHolding(true, func() { b.RLock("A") })
			b.v.ReportWaiting(why)
			b.v.ReportWaiting(why) // once only
			b.want("exited_holding[A]")
			r := b.v.Findings()[0]
			if r.InProgress != "" || len(r.Waiters) != 0 || r.Lock.Mode != "R" {
				t.Errorf("in progress %q, %d waiters, mode %q; want none, none, R", r.InProgress, len(r.Waiters), r.Lock.Mode)
			}
			if want := map[string]string{report.TestEnded: "test ended", report.ProcessEnded: "process ended"}[why]; !strings.Contains(r.Detail, want) {
				t.Errorf("detail %q does not say %q", r.Detail, want)
			}
		})
	}
}

// TestGoneHoldingAtEnd: a goroutine the engine did not see end is found
// gone when the process ends, and its locks are reported, with the
// goroutine that waits for one of them.
func TestGoneHoldingAtEnd(t *testing.T) {
	b := newBench(t, time.Hour)
	b.exitHolding(false, func() { b.Lock("A") })
	release := b.waitFor("A")
	b.want()
	b.v.ReportWaiting(report.ProcessEnded)
	release()
	b.want("exited_holding[A]")
	r := b.v.Findings()[0]
	if r.Exit == nil || r.Exit.Ended != nil || r.Exit.Started != nil {
		t.Errorf("exit %+v, want one whose start and end are not known", r.Exit)
	}
	if r.InProgress != report.ProcessEnded || len(r.Waiters) != 1 || r.Waiters[0].State != "sync.Mutex.Lock" {
		t.Errorf("in progress %q, waiters %+v; want exit, one in sync.Mutex.Lock", r.InProgress, r.Waiters)
	}
}

// TestGoneHandedOff: the lock of a goroutine the engine did not see end
// was unlocked by another one after it ended: a hand-off, not reported.
func TestGoneHandedOff(t *testing.T) {
	b := newBench(t, time.Hour)
	b.exitHolding(false, func() { b.Lock("A") })
	on(func() { b.Unlock("A") })
	b.v.ReportWaiting(report.ProcessEnded)
	b.want()
}

// TestAliveHoldingAtEnd: a goroutine that still runs while holding a
// lock is not one that ended.
func TestAliveHoldingAtEnd(t *testing.T) {
	b := newBench(t, time.Hour)
	g := newWorker(t)
	g.do(func() { b.Lock("A") })
	b.v.ReportWaiting(report.ProcessEnded)
	b.want()
	g.do(func() { b.Unlock("A") })
}

func TestExitedFreesSlot(t *testing.T) {
	b := newBench(t, time.Hour)
	before := b.v.table.InUse()
	b.exitHolding(true, func() { b.Lock("A"); b.Unlock("A") })
	b.exitHolding(true, func() { b.Lock("A") })
	if n := b.v.table.InUse(); n != before {
		t.Errorf("%d slots in use after the goroutines ended, want %d", n, before)
	}
	on(func() { b.Unlock("A") })
	b.want()
}

// TestExitedTryLock: a trylock that gets a lock left held shows it was
// released where the validator did not see it: it is no longer left held.
func TestExitedTryLock(t *testing.T) {
	b := newBench(t, time.Hour)
	b.exitHolding(true, func() { b.Lock("A") })
	l, c := b.lock("A")
	l.Unlock() // unvalidated
	on(func() {
		if !l.TryLock() {
			t.Fatal("TryLock failed")
		}
		b.v.Tried(unsafe.Pointer(l), c, 0, Write, 0, nil)
		b.Unlock("A")
	})
	b.v.ReportWaiting(report.ProcessEnded)
	b.want()
}
