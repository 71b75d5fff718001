package engine

import (
	"fmt"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/golockdep/lockdep/internal/goroutinetest"
	"github.com/golockdep/lockdep/report"
)

// The engine on its own: engines made with New, each with a host that
// keeps what it delivered, driven through the operations package lockdep
// and rewritten code call. No test reads the environment, writes a file
// or handles a signal, and every test runs in parallel with the others.

// bench is one test's engine, its classes and locks, and the findings it
// delivered. It is the engine's host.
type bench struct {
	t       *testing.T
	v       *Engine
	settle  time.Duration
	classes map[string]*Class
	locks   map[string]*sync.RWMutex

	mu        sync.Mutex
	delivered []report.Report
	reported  chan report.Report // each delivered finding, as it is
}

func newBench(t *testing.T, settle time.Duration) *bench {
	t.Parallel()
	b := &bench{
		t:        t,
		settle:   settle,
		classes:  map[string]*Class{},
		locks:    map[string]*sync.RWMutex{},
		reported: make(chan report.Report, 16),
	}
	b.v = New(Options{Limits: DefaultLimits, Host: b})
	return b
}

// Emit, Changed, Stopped and SettleTime make the bench a Host.

func (b *bench) Emit(reps []report.Report) {
	for _, r := range reps {
		b.mu.Lock()
		b.delivered = append(b.delivered, r)
		b.mu.Unlock()
		b.reported <- r
	}
}

func (b *bench) Changed()                  {}
func (b *bench) Stopped()                  {}
func (b *bench) SettleTime() time.Duration { return b.settle }

// lock returns the lock named name; its letters are its class, so A1 and
// A2 are two instances of class A.
func (b *bench) lock(name string) (*sync.RWMutex, *Class) {
	cls := strings.TrimRight(name, "0123456789")
	c, ok := b.classes[cls]
	if !ok {
		c = newClass(cls)
		b.classes[cls] = c
	}
	l, ok := b.locks[name]
	if !ok {
		l = new(sync.RWMutex)
		b.locks[name] = l
	}
	return l, c
}

// Lock, Unlock, RLock and RUnlock are the validated operations, as the
// calling goroutine makes them.
func (b *bench) Lock(name string) {
	l, c := b.lock(name)
	b.v.LockRW(l, c, 0, Write, 0, nil)
}

func (b *bench) Unlock(name string) {
	l, c := b.lock(name)
	b.v.UnlockRW(l, c, Write, 0, nil)
}

func (b *bench) RLock(name string) {
	l, c := b.lock(name)
	b.v.LockRW(l, c, 0, Read, 0, nil)
}

func (b *bench) RUnlock(name string) {
	l, c := b.lock(name)
	b.v.UnlockRW(l, c, Read, 0, nil)
}

// MightLock validates a Lock without taking the lock.
func (b *bench) MightLock(name string) {
	l, c := b.lock(name)
	b.v.MightLock(unsafe.Pointer(l), c, Write, 0)
}

// on runs f in a goroutine of its own and waits for it.
func on(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

// worker is a goroutine that runs what it is given, one at a time, for
// steps that must come from one goroutine.
type worker chan func()

func newWorker(t *testing.T) worker {
	w := make(worker)
	go func() {
		for f := range w {
			f()
		}
	}()
	t.Cleanup(func() { close(w) })
	return w
}

// do runs f in the worker and waits for it.
func (w worker) do(f func()) {
	done := make(chan struct{})
	w <- func() {
		defer close(done)
		f()
	}
	<-done
}

// start runs f in the worker without waiting.
func (w worker) start(f func()) { w <- f }

// got returns the findings delivered so far, each as "kind[classes]".
func (b *bench) got() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, r := range b.delivered {
		out = append(out, fmt.Sprintf("%s%v", r.Kind, r.Classes()))
	}
	return out
}

// want fails the test unless the findings delivered so far are want, and
// are those the validator recorded, each delivered once.
func (b *bench) want(want ...string) {
	b.t.Helper()
	got := b.got()
	if !slices.Equal(got, want) {
		b.t.Errorf("delivered %q, want %q", got, want)
	}
	var recorded []string
	for _, r := range b.v.Findings() {
		recorded = append(recorded, fmt.Sprintf("%s%v", r.Kind, r.Classes()))
	}
	if !slices.Equal(recorded, got) {
		b.t.Errorf("recorded %q, delivered %q", recorded, got)
	}
}

func TestConfirmedAtOnce(t *testing.T) {
	b := newBench(t, time.Hour)
	b.Lock("A")
	b.Lock("B")
	b.Unlock("B")
	b.Unlock("A")
	b.Lock("B")
	b.Unlock("B")
	on(func() {
		b.Lock("B")
		b.MightLock("A") // B -> A: A -> B was confirmed when A was released
		b.want()         // B's hold is still pending
		b.Unlock("B")
	})
	b.want("circular[A B]")
}

func TestDeliveredWhenTheHoldEnds(t *testing.T) {
	b := newBench(t, time.Hour)
	b.Lock("A")
	b.Lock("B")
	b.Unlock("B")
	b.MightLock("A") // recursion, resting on the hold of A
	b.want()
	b.Unlock("A") // its own goroutine releases it: confirmed
	b.want("recursive[A]")
}

func TestHandoffWithdraws(t *testing.T) {
	b := newBench(t, time.Hour)
	g1 := newWorker(t)
	g1.do(func() { b.Lock("A"); b.Lock("B"); b.Unlock("B") })
	on(func() { b.Unlock("A") }) // a hand-off: A -> B is withdrawn
	on(func() { b.Lock("B"); b.Lock("A"); b.Unlock("A"); b.Unlock("B") })
	b.want()
}

// TestResearchDelivers: a hand-off withdraws A -> B, which the cycle that
// goroutine 2 found ran through. Searching again finds B -> A -> C -> B,
// whose dependencies are all confirmed: the hand-off records it, and it is
// delivered then, once.
func TestResearchDelivers(t *testing.T) {
	b := newBench(t, time.Hour)
	on(func() {
		b.Lock("A")
		b.Lock("C")
		b.Unlock("C")
		b.Unlock("A")
		b.Lock("C")
		b.Lock("B")
		b.Unlock("B")
		b.Unlock("C")
	})
	g1 := newWorker(t)
	g1.do(func() { b.Lock("A"); b.Lock("B"); b.Unlock("B") })
	on(func() { b.Lock("B"); b.MightLock("A"); b.Unlock("B") })
	b.want()
	on(func() { b.Unlock("A") })
	b.want("circular[A C B]")
}

// stuck starts a goroutine that locks A twice, the second time for good,
// and waits until it waits in the real lock. The returned function lets
// it go, through a hand-off.
func (b *bench) stuck() (release func()) {
	g := newWorker(b.t)
	done := make(chan struct{})
	g.start(func() {
		defer close(done)
		b.Lock("A")
		relockA(b)
	})
	// RWMutex.Lock waits for the writers' mutex first, as plain Go does.
	if state := goroutinetest.WaitState(b.t, "engine.relockA", "sync.Mutex.Lock"); state != "sync.Mutex.Lock" {
		b.t.Errorf("the deadlocked goroutine waits in state %q, want sync.Mutex.Lock", state)
	}
	return func() {
		b.Unlock("A") // the test unlocks the first hold
		<-done        // the second Lock returns
		on(func() { b.Unlock("A") })
	}
}

//go:noinline
func relockA(b *bench) { b.Lock("A") }

func TestSettleReportsWhileWaiting(t *testing.T) {
	b := newBench(t, 20*time.Millisecond)
	release := b.stuck()
	r := <-b.reported
	if r.Kind != report.Recursive || !r.SameInstance || r.InProgress != report.Settled {
		t.Errorf("reported %s (same instance %v, in progress %q), want recursive locking of the same instance, settled", r.Kind, r.SameInstance, r.InProgress)
	}
	release()
	b.want("recursive[A]")
}

func TestReportWaiting(t *testing.T) {
	b := newBench(t, time.Hour)
	release := b.stuck()
	b.want()
	b.v.ReportWaiting(report.ProcessEnded)
	b.v.ReportWaiting(report.ProcessEnded) // once only
	b.want("recursive[A]")
	if r := b.v.Findings()[0]; r.InProgress != report.ProcessEnded {
		t.Errorf("in progress %q, want %q", r.InProgress, report.ProcessEnded)
	}
	release()
	b.want("recursive[A]")
}

// TestSemaphore: a mutex used as a semaphore (locked, the unlock handed to
// a goroutine, locked again) waits for the hand-off, which withdraws the
// finding; the settle timer is stopped, and nothing is reported.
func TestSemaphore(t *testing.T) {
	b := newBench(t, time.Hour)
	g := newWorker(t)
	for range 3 {
		g.do(func() { b.Lock("S") })
		go func() {
			time.Sleep(time.Millisecond) // let the next Lock wait
			b.Unlock("S")
		}()
	}
	g.do(func() { b.Lock("S"); b.Unlock("S") })
	b.v.ReportWaiting(report.ProcessEnded)
	b.want()
}

// TestDeliveredOnceConcurrently: goroutines make the same inversions at
// once; each problem is recorded once and delivered once.
func TestDeliveredOnceConcurrently(t *testing.T) {
	b := newBench(t, time.Hour)
	for _, name := range []string{"A", "B", "C", "D"} {
		b.lock(name)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 100 {
				if i%2 == 0 {
					b.Lock("A")
					b.Lock("B")
					b.Lock("C")
					b.Unlock("C")
					b.Unlock("B")
					b.Unlock("A")
				} else {
					b.Lock("C")
					b.Lock("D")
					b.Unlock("D")
					b.Unlock("C")
					b.Lock("D")
					b.MightLock("A")
					b.Unlock("D")
				}
			}
		})
	}
	wg.Wait()
	got := b.got()
	if len(got) == 0 {
		t.Fatal("no finding")
	}
	seen := map[string]bool{}
	for _, g := range got {
		if seen[g] {
			t.Errorf("%s delivered twice", g)
		}
		seen[g] = true
	}
	b.want(got...)
}

// TestRecurringFindingBounded: a finding made again and again is recorded
// once and keeps no more stacks than the first time.
func TestRecurringFindingBounded(t *testing.T) {
	b := newBench(t, time.Hour)
	b.Lock("A1")
	b.MightLock("A2")
	traces := len(b.v.traces)
	for range 1000 {
		b.MightLock("A2")
	}
	b.Unlock("A1")
	if got := len(b.v.traces); got != traces {
		t.Errorf("stacks kept: %d after the first finding, %d after 1,000 more", traces, got)
	}
	b.want("recursive[A]")
}

// reports returns the findings delivered so far.
func (b *bench) reports() []report.Report {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.delivered)
}

// TestABBA: two goroutines take A and B in opposite orders, one after the
// other; the cycle is reported once the second one releases B (before,
// its B -> A rests on a hold that may yet be handed off), on the very
// same locks, and counts.
func TestABBA(t *testing.T) {
	b := newBench(t, time.Hour)
	on(func() { b.Lock("A"); b.Lock("B"); b.Unlock("B"); b.Unlock("A") })
	on(func() {
		b.Lock("B")
		b.Lock("A")
		b.Unlock("A")
		b.want()
		b.Unlock("B")
	})
	b.want("circular[A B]")
	r := b.reports()[0]
	if !r.Proven || r.GuardedBy != "" || !r.Counted() {
		t.Errorf("proven %v, guarded by %q, counted %v; want proven, unguarded, counted", r.Proven, r.GuardedBy, r.Counted())
	}
}

// TestRecursive: a goroutine that takes a class it holds is reported when
// the hold it rests on ends by its owner; the report says whether it is
// the same lock.
func TestRecursive(t *testing.T) {
	for _, tc := range []struct {
		name        string
		run         func(b *bench)
		n           int // findings; the last one is looked at
		same, proof bool
	}{
		{"same-instance", func(b *bench) { b.Lock("A1"); b.MightLock("A1"); b.Unlock("A1") }, 1, true, true},
		{"same-instance/read", func(b *bench) { b.RLock("A1"); b.RLock("A1"); b.RUnlock("A1"); b.RUnlock("A1") }, 1, true, true},
		{"other-instance", func(b *bench) { b.Lock("A1"); b.MightLock("A2"); b.Unlock("A1") }, 1, false, false},
		// The second order is another problem: this run deadlocks for real
		// if two goroutines take both.
		{"other-instance/both-orders", func(b *bench) {
			b.Lock("A2")
			b.MightLock("A1")
			b.Unlock("A2")
			b.Lock("A1")
			b.MightLock("A2")
			b.Unlock("A1")
		}, 2, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, time.Hour)
			tc.run(b)
			b.want(slices.Repeat([]string{"recursive[A]"}, tc.n)...)
			r := b.reports()[tc.n-1]
			if r.SameInstance != tc.same || r.Proven != tc.proof {
				t.Errorf("same instance %v, proven %v; want %v, %v", r.SameInstance, r.Proven, tc.same, tc.proof)
			}
		})
	}
}

// TestHandoffRelease: a lock locked by one goroutine and unlocked by
// another is held by neither afterwards; the first one locks it again
// with no finding.
func TestHandoffRelease(t *testing.T) {
	b := newBench(t, time.Hour)
	a, _ := b.lock("A")
	g := newWorker(t)
	g.do(func() { b.Lock("A") })
	on(func() {
		if b.v.Holds(addrOf(a), Write) {
			t.Error("a goroutine that never locked A holds it")
		}
		b.Unlock("A")
	})
	g.do(func() {
		if b.v.Holds(addrOf(a), Write) {
			t.Error("A is still held by the goroutine that locked it after another unlocked it")
		}
		b.Lock("B")
		b.Lock("A")
		b.Unlock("A")
		b.Unlock("B")
	})
	b.want()
}

// TestGuardedCycle: a cycle all of whose dependencies were made under one
// lock is shown as guarded by it, and does not count; once one of them
// is made without the guard, the cycle is reported again, and counts.
func TestGuardedCycle(t *testing.T) {
	b := newBench(t, time.Hour)
	on(func() {
		b.Lock("G")
		b.Lock("A")
		b.Lock("B")
		b.Unlock("B")
		b.Unlock("A")
		b.Unlock("G")
	})
	on(func() {
		b.Lock("G")
		b.Lock("B")
		b.Lock("A")
		b.Unlock("A")
		b.Unlock("B")
		b.Unlock("G")
	})
	b.want("circular[A B]")
	if r := b.reports()[0]; r.GuardedBy != "G" || r.Counted() {
		t.Errorf("guarded by %q, counted %v; want guarded by G, not counted", r.GuardedBy, r.Counted())
	}
	on(func() { b.Lock("A"); b.Lock("B"); b.Unlock("B"); b.Unlock("A") })
	b.want("circular[A B]", "circular[A B]")
	if r := b.reports()[1]; r.GuardedBy != "" || !r.Counted() {
		t.Errorf("guarded by %q, counted %v; want unguarded, counted", r.GuardedBy, r.Counted())
	}
}

// TestNoProcess: the engine reads no environment, opens no file and
// handles no signal; that is package validate's. Its own files import
// none of the packages that would.
func TestNoProcess(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			switch path, _ := strconv.Unquote(imp.Path.Value); path {
			case "os", "os/signal", "syscall":
				t.Errorf("%s imports %s: the process layer (package validate) does that", name, path)
			}
		}
	}
}

// TestHalvesAdvice: a cycle whose locks chain from one lock of a class
// that is not a tree to another (S1, G1, then S2, each half in another
// goroutine) is reported, with advice to declare the tree that would make
// it that tree's nesting; the same cycle back to the same S1 is not.
func TestHalvesAdvice(t *testing.T) {
	for _, tc := range []struct {
		name, last, want string
		advice           bool
	}{
		{"halves", "S2", "circular[S G]", true},
		{"same lock", "S1", "circular[S G]", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBench(t, time.Hour)
			on(func() { b.Lock("S1"); b.Lock("G1"); b.Unlock("G1"); b.Unlock("S1") })
			on(func() { b.Lock("G1"); b.Lock(tc.last); b.Unlock(tc.last); b.Unlock("G1") })
			b.want(tc.want)
			r := b.reports()[0]
			if got := strings.Contains(r.Advice, "//lockdep:tree"); got != tc.advice {
				t.Errorf("advice %q: tree advice %v, want %v", r.Advice, got, tc.advice)
			}
			if tc.advice && !strings.Contains(r.Advice, "from one lock of S to another") {
				t.Errorf("advice %q does not name S", r.Advice)
			}
		})
	}
}
