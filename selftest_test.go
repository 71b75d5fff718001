package lockdep_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/lockdepimpl"
	"github.com/google/go-cmp/cmp"
)

// The selftest matrix of Linux's lib/locking-selftest.c, under Go's rules.
//
// A script is a list of steps "[g:] OP LOCK" separated by ";". g is the
// goroutine that runs the step (0 if omitted); steps run one at a time, in
// order, each in its goroutine. Locks are RWMutexes; the letters of a
// lock's name are its class, so A1 and A2 are two instances of class A.
//
// Classes whose name starts with T are trees (NewTreeClass).
//
// OP is L (Lock), U (Unlock), R (RLock), RU (RUnlock), T (TryLock), TR
// (TryRLock), L1/R1 (LockNested/RLockNested(1)), M (MightLock) and MR
// (MightRLock). Steps that would really deadlock are written with M: the
// validator checks them like a lock, without blocking. "g: X" (no lock)
// ends goroutine g as a rewritten go statement's goroutine ends, telling
// the validator.

// finding is what a test expects of a report: its kind and classes (for
// Circular the chain in print order, for Recursive the held class then the
// new one, otherwise the lock's class).
type finding struct {
	Kind    lockdep.Kind
	Classes []string
	Guard   string // the class of the lock that guards a cycle
}

func (f finding) String() string {
	if f.Guard != "" {
		return fmt.Sprintf("%v%v(guarded by %s)", f.Kind, f.Classes, f.Guard)
	}
	return fmt.Sprintf("%v%v", f.Kind, f.Classes)
}

func summarize(r lockdep.Report) finding {
	f := finding{Kind: r.Kind, Guard: r.GuardedBy}
	switch r.Kind {
	case lockdep.Circular:
		for _, d := range r.Chain {
			f.Classes = append(f.Classes, d.Class)
		}
	case lockdep.Recursive:
		f.Classes = []string{r.Holding.Class, r.Lock.Class}
	default:
		f.Classes = []string{r.Lock.Class}
	}
	return f
}

// world runs scripts against a fresh validator.
type world struct {
	t       testing.TB
	prefix  string
	locks   map[string]*lockdep.RWMutex
	classes map[string]*lockdep.Class
	workers map[int]chan func()
	done    chan any
	// stuck is the goroutine whose step blocks for good, and the lock it
	// waits for: a script step ends when its finding is delivered.
	stuck map[int]*lockdep.RWMutex
	// eachStep has run check, after every step, that each finding recorded
	// so far was delivered (by the step that recorded it).
	eachStep bool
	mu       sync.Mutex
	reported chan struct{}    // a deadlock in progress was reported
	received []lockdep.Report // the findings delivered through OnReport
}

// newWorld makes a world whose findings wait (see "Hand-offs" in the
// package documentation) as long as the script's steps take, however slow
// the machine: only an acquisition that blocks settles, after settle.
func newWorld(t testing.TB, settle time.Duration) *world {
	w, closeWorld := openWorld(t, lockdep.DefaultLimits, settle)
	t.Cleanup(closeWorld)
	return w
}

// openWorld makes a world with a fresh validator of the given bounds; the
// returned function stops its goroutines and restores the validator.
func openWorld(t testing.TB, l lockdep.Limits, settle time.Duration) (*world, func()) {
	w := &world{
		t:        t,
		prefix:   strings.ReplaceAll(t.Name(), "/", "."),
		locks:    map[string]*lockdep.RWMutex{},
		classes:  map[string]*lockdep.Class{},
		workers:  map[int]chan func(){},
		done:     make(chan any),
		stuck:    map[int]*lockdep.RWMutex{},
		reported: make(chan struct{}, 1),
	}
	restore := lockdep.FreshSettle(l, settle, lockdep.OnReport(func(r lockdep.Report) {
		w.mu.Lock()
		w.received = append(w.received, r)
		w.mu.Unlock()
		if r.InProgress != "" {
			select {
			case w.reported <- struct{}{}:
			default:
			}
		}
	}))
	return w, func() {
		// A goroutine stuck in a Lock is let go by a hand-off: its lock
		// is unlocked from here, and the step it was in ends.
		for _, l := range w.stuck {
			l.Unlock()
			<-w.done
		}
		for _, c := range w.workers {
			close(c)
		}
		restore()
	}
}

// delivered returns the findings delivered through OnReport.
func (w *world) delivered() []lockdep.Report {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]lockdep.Report(nil), w.received...)
}

// checkDelivered fails the test unless every finding recorded was
// delivered exactly once.
func (w *world) checkDelivered(script string) {
	w.t.Helper()
	var got, want []string
	for _, r := range w.delivered() {
		got = append(got, reporting.Key(&r))
	}
	for _, r := range lockdep.Findings() {
		want = append(want, reporting.Key(&r))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		w.t.Errorf("findings recorded (-) against delivered (+):\n%s\nscript: %s", diff, script)
	}
}

func (w *world) lock(name string) *lockdep.RWMutex {
	if l, ok := w.locks[name]; ok {
		return l
	}
	cls := strings.TrimRight(name, "0123456789")
	c, ok := w.classes[cls]
	if !ok {
		c = lockdep.NewClass(cls)
		if strings.HasPrefix(cls, "T") { // a tree
			c = lockdep.NewTreeClass(cls)
		}
		w.classes[cls] = c
	}
	l := new(lockdep.RWMutex)
	l.SetClass(c)
	w.locks[name] = l
	return l
}

// on runs f in goroutine g and waits for it; it returns what f panicked
// with, if anything.
func (w *world) on(g int, f func()) any {
	c, ok := w.workers[g]
	if !ok {
		c = make(chan func())
		w.workers[g] = c
		go func() {
			for f := range c {
				if f == nil { // X: the goroutine ends
					lockdepimpl.Exited(&selftestGoSite)
					w.done <- nil
					return
				}
				func() {
					defer func() { w.done <- recover() }()
					f()
				}()
			}
		}()
	}
	c <- f
	return <-w.done
}

// onBlocking runs f in goroutine g, as on does, for a step that may block
// for good: if a deadlock in progress is reported while it waits, the
// step is stuck in its Lock of l, and the script goes on without
// goroutine g.
func (w *world) onBlocking(g int, l *lockdep.RWMutex, f func()) any {
	if _, ok := w.workers[g]; !ok {
		w.on(g, func() {}) // start the worker
	}
	select {
	case <-w.reported:
	default:
	}
	w.workers[g] <- f
	select {
	case p := <-w.done:
		return p
	case <-w.reported:
		w.stuck[g] = l
		return nil
	}
}

func (w *world) run(script string) {
	w.t.Helper()
	for _, st := range strings.Split(script, ";") {
		st = strings.TrimSpace(st)
		if st == "" {
			continue
		}
		g := 0
		if i := strings.Index(st, ":"); i >= 0 {
			fmt.Sscan(st[:i], &g)
			st = strings.TrimSpace(st[i+1:])
		}
		if st == "X" {
			if _, ok := w.workers[g]; !ok {
				w.t.Fatalf("step %q: goroutine %d never ran", st, g)
			}
			w.on(g, nil)
			delete(w.workers, g)
			continue
		}
		var op, name string
		if _, err := fmt.Sscan(st, &op, &name); err != nil {
			w.t.Fatalf("bad step %q", st)
		}
		l := w.lock(name)
		var f func()
		switch op {
		case "L":
			f = l.Lock
		case "U":
			f = l.Unlock
		case "R":
			f = l.RLock
		case "RU":
			f = l.RUnlock
		case "L1":
			f = func() { l.LockNested(1) }
		case "R1":
			f = func() { l.RLockNested(1) }
		case "M":
			f = l.MightLock
		case "MR":
			f = l.MightRLock
		case "T", "TR":
			try := l.TryLock
			if op == "TR" {
				try = l.TryRLock
			}
			f = func() {
				if !try() {
					w.t.Errorf("step %q: try failed", st)
				}
			}
		default:
			w.t.Fatalf("bad op in %q", st)
		}
		if _, ok := w.stuck[g]; ok {
			w.t.Fatalf("step %q: goroutine %d is stuck in a Lock", st, g)
		}
		run := w.on
		if op == "L" || op == "L1" || op == "R" || op == "R1" {
			run = func(g int, f func()) any { return w.onBlocking(g, l, f) }
		}
		if p := run(g, f); p != nil {
			if _, ok := p.(lockdep.Report); !ok {
				w.t.Fatalf("step %q panicked: %v", st, p)
			}
		}
		if w.eachStep && len(w.delivered()) != len(lockdep.Findings()) {
			w.t.Errorf("after step %q: %d findings recorded, %d delivered", st, len(lockdep.Findings()), len(w.delivered()))
		}
	}
}

// selftestGoSite is the go statement of the goroutines X ends.
var selftestGoSite = lockdepimpl.Site{File: "selftest.go", Line: 1}

func findings() []finding {
	var fs []finding
	for _, r := range lockdep.Findings() {
		fs = append(fs, summarize(r))
	}
	return fs
}

func circ(classes ...string) finding { return finding{Kind: lockdep.Circular, Classes: classes} }
func recur(held, next string) finding {
	return finding{Kind: lockdep.Recursive, Classes: []string{held, next}}
}
func exited(class string) finding {
	return finding{Kind: lockdep.ExitedHolding, Classes: []string{class}}
}
func guarded(guard string, classes ...string) finding {
	return finding{Kind: lockdep.Circular, Classes: classes, Guard: guard}
}

func TestSelftest(t *testing.T) {
	for _, tc := range []struct {
		name   string
		script string
		panic  bool // run in Panic mode (bad unlocks, which Go then makes fatal)
		block  bool // a step blocks for good: it is reported after the settle time
		want   []finding
	}{
		// Recursive locking.
		{name: "AA/same-instance", script: "L A; M A; U A", want: []finding{recur("A", "A")}},
		{name: "AA/same-class", script: "L A1; L A2; U A2; U A1", want: []finding{recur("A", "A")}},
		{name: "AA/read-read", script: "R A; MR A; RU A", want: []finding{recur("A", "A")}},
		{name: "AA/read-write", script: "R A; M A; RU A", want: []finding{recur("A", "A")}},
		{name: "AA/write-read", script: "L A; MR A; U A", want: []finding{recur("A", "A")}},
		{name: "AA/read-read-same-class", script: "R A1; R A2; RU A2; RU A1", want: []finding{recur("A", "A")}},
		{name: "AA/nested", script: "L A1; L1 A2; U A2; U A1"},
		{name: "AA/nested-read", script: "R A1; R1 A2; RU A2; RU A1"},
		{name: "AA/nested-same-subclass", script: "L1 A1; L1 A2; U A2; U A1", want: []finding{recur("A/1", "A/1")}},
		{name: "AA/nested-same-instance", block: true, script: "L A; L1 A", want: []finding{recur("A", "A/1")}},
		// The chain [A, A/1] is cached by a legal nesting of two
		// instances; the same instance nested is still a self-deadlock.
		{name: "AA/nested-same-instance-cached", block: true, script: "L A1; L1 A2; U A2; U A1; L A1; L1 A1", want: []finding{recur("A", "A/1")}},
		{name: "AA/same-instance-cached-read", script: "R A1; R B1; RU B1; RU A1; R A1; MR A1; RU A1", want: []finding{recur("A", "A")}},

		// Circular dependencies, all in one goroutine, as the kernel does.
		{name: "ABBA", script: "L A; L B; U B; U A; L B; L A; U A; U B", want: []finding{circ("B", "A")}},
		{name: "ABBCCA", script: "L A; L B; U B; U A; L B; L C; U C; U B; L C; L A; U A; U C",
			want: []finding{circ("C", "B", "A")}},
		{name: "ABBCCDDA", script: "L A; L B; U B; U A; L B; L C; U C; U B; L C; L D; U D; U C; L D; L A; U A; U D",
			want: []finding{circ("D", "C", "B", "A")}},
		{name: "ABCDBDDA", script: "L A; L B; U B; U A; L C; L D; U D; U C; L B; L D; U D; U B; L D; L A; U A; U D",
			want: []finding{circ("D", "B", "A")}},
		{name: "ABCDBCDA", script: "L A; L B; U B; U A; L C; L D; U D; U C; L B; L C; U C; U B; L D; L A; U A; U D",
			want: []finding{circ("D", "C", "B", "A")}},
		{name: "ABBA/goroutines", script: "1: L A; 1: L B; 1: U B; 1: U A; 2: L B; 2: L A; 2: U A; 2: U B",
			want: []finding{circ("B", "A")}},
		{name: "ABBCCA/goroutines", script: "1: L A; 1: L B; 1: U B; 1: U A; 2: L B; 2: L C; 2: U C; 2: U B; 3: L C; 3: L A; 3: U A; 3: U C",
			want: []finding{circ("C", "B", "A")}},
		{name: "ABBA/instances", script: "L A1; L B1; U B1; U A1; L B2; L A2; U A2; U B2", want: []finding{circ("B", "A")}},
		{name: "ABBA/reported-once", script: "L A; L B; U B; U A; L B; L A; U A; U B; L B; L A; U A; U B", want: []finding{circ("B", "A")}},
		{name: "AB/consistent", script: "L A; L B; U B; U A; L A; L B; U B; U A; L B; U B; L A; U A"},

		// Read/write variants under Go's rules: a read step needs a writer.
		{name: "ABBA/read-read/no-writer", script: "R A; R B; RU B; RU A; R B; R A; RU A; RU B"},
		{name: "ABBA/read-read/writers", script: "L A; U A; L B; U B; R A; R B; RU B; RU A; R B; R A; RU A; RU B",
			want: []finding{circ("B", "A")}},
		{name: "ABBA/read-read/one-writer", script: "L A; U A; R A; R B; RU B; RU A; R B; R A; RU A; RU B"},
		{name: "ABBA/write-read/no-writer", script: "R A; L B; U B; RU A; L B; R A; RU A; U B"},
		{name: "ABBA/write-read/writer", script: "L A; U A; L A; L B; U B; U A; L B; R A; RU A; U B", want: []finding{circ("B", "A")}},
		{name: "ABBA/read-write", script: "R A; L B; U B; RU A; L B; L A; U A; U B", want: []finding{circ("B", "A")}},
		{name: "ABBA/writer-later", script: "R A; L B; U B; RU A; L B; R A; RU A; U B; L A; U A",
			want: []finding{circ("B", "A")}},
		{name: "ABBCCA/read-no-writer", script: "L A; R B; RU B; U A; R B; L C; U C; RU B; L C; L A; U A; U C"},
		{name: "ABBCCA/read-writer", script: "L B; U B; L A; R B; RU B; U A; R B; L C; U C; RU B; L C; L A; U A; U C",
			want: []finding{circ("C", "B", "A")}},
		// A read lock of a class never written in the middle: A -> L(R)
		// -> B is pruned at L, so A -> B must be a dependency of its own.
		{name: "ABBA/read-in-middle", script: "1: L A; 1: R L; 1: L B; 1: U B; 1: RU L; 1: U A; 2: L B; 2: L A; 2: U A; 2: U B",
			want: []finding{circ("B", "A")}},

		// Trylocks: no edge into a trylock; edges out of one count.
		{name: "trylock/no-inbound", script: "L B; T A; U A; U B; L A; L B; U B; U A"},
		{name: "trylock/no-inbound-read", script: "L B; TR A; RU A; U B; L A; L B; U B; U A"},
		{name: "trylock/outbound", script: "T A; L B; U B; U A; L B; L A; U A; U B", want: []finding{circ("B", "A")}},
		{name: "trylock/above-held", script: "L A; T B; L C; U C; U B; U A; L C; L A; U A; U C", want: []finding{circ("C", "A")}},
		{name: "trylock/recursive-try", script: "L A1; T A2; U A2; U A1"},
		// A writer that only ever trylocks never waits, so it never
		// blocks a reader: the read-read inversion stays safe.
		{name: "trylock/writer-does-not-write", script: "L A; R B; RU B; U A; R B; L A; U A; RU B; T B; U B"},

		// Unlock order and balance.
		{name: "unlock/out-of-order", script: "L A; L B; U A; U B"},
		// After A is released out of order, C is taken after B only: the
		// cycle closed by C→A runs through B, not through an edge A→C
		// (which would make it the shorter [C A]).
		{name: "unlock/out-of-order-chain", script: "L A; L B; U A; L C; U C; U B; L C; L A; U A; U C",
			want: []finding{circ("C", "B", "A")}},
		{name: "unlock/double", panic: true, script: "L A; U A; U A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},
		{name: "unlock/never-locked", panic: true, script: "U A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},
		{name: "unlock/read-never-locked", panic: true, script: "RU A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},
		{name: "unlock/write-of-read", panic: true, script: "R A; U A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},
		{name: "unlock/read-of-write", panic: true, script: "L A; RU A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},
		// The wrong mode by another goroutine: no hand-off, a bad unlock,
		// reported before Go's fatal error.
		{name: "unlock/read-of-write-by-other", panic: true, script: "1: L A; 2: RU A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},
		{name: "unlock/write-of-read-by-other", panic: true, script: "1: R A; 2: U A", want: []finding{{Kind: lockdep.BadUnlock, Classes: []string{"A"}}}},

		// Unlock by another goroutine is legal and leaves nothing behind.
		{name: "handoff", script: "1: L A; 2: U A; 1: L B; 1: U B; 2: L B; 2: L A; 2: U A; 2: U B"},
		{name: "handoff/read", script: "1: R A; 2: RU A; 1: L B; 1: U B; 2: L B; 2: L A; 2: U A; 2: U B"},
		{name: "handoff/then-relock", script: "1: L A; 2: U A; 1: L A; 1: U A"},
		// A leaves goroutine 1's stack from below B: C then depends on B
		// only (with an edge A→C the cycle found would be [C A]). A→B is
		// a dependency because goroutine 3 releases its own A.
		{name: "handoff/held-below", script: "3: L A; 3: L B; 3: U B; 3: U A; 1: L A; 1: L B; 2: U A; 1: L C; 1: U C; 1: U B; 2: L C; 2: L A; 2: U A; 2: U C",
			want: []finding{circ("C", "B", "A")}},
		// What a goroutine takes while holding a lock that another
		// goroutine then unlocks is no dependency: the lock may have
		// been handed over first (a go statement, a channel send).
		{name: "handoff/withdraws", script: "1: L A; 1: L B; 1: U B; 2: U A; 3: L B; 3: L A; 3: U A; 3: U B"},
		{name: "handoff/confirmed-elsewhere", script: "1: L A; 1: L B; 1: U B; 3: L A2; 3: L B2; 3: U B2; 3: U A2; 2: U A; 4: L B; 4: L A; 4: U A; 4: U B",
			want: []finding{circ("B", "A")}},
		// A same-instance relock while the hand-off is still in flight.
		{name: "handoff/relock-in-flight", script: "1: L A; 1: M A; 2: U A; 1: L A; 1: U A"},
		// A hand-off withdraws A->B, which the cycle found by goroutine 2
		// ran through; searching again finds B->A->C->B, confirmed
		// already: it is recorded and delivered at the hand-off.
		{name: "handoff/research-confirmed", script: "4: L A; 4: L C; 4: U C; 4: U A; 4: L C; 4: L B; 4: U B; 4: U C; 1: L A; 1: L B; 1: U B; 2: L B; 2: M A; 2: U B; 5: U A",
			want: []finding{circ("B", "C", "A")}},
		// A real deadlock: the second Lock of A waits on the real lock, and
		// is reported after the settle time while it waits.
		{name: "AA/deadlock-in-progress", block: true, script: "L A; L A", want: []finding{recur("A", "A")}},
		{name: "ABBA/deadlock-in-progress", block: true, script: "1: L A; 2: L B; 1: M B; 2: L A", want: []finding{circ("B", "A")}},

		// A goroutine that ends holding a lock: legal when another one
		// unlocks it (a hand-off), reported when one waits for it for
		// good. Only a lock that blocks the waiter counts.
		{name: "exit/held-then-waited", block: true, script: "1: L A; 1: X; 2: L A", want: []finding{exited("A")}},
		{name: "exit/read-held-then-read", script: "1: R A; 1: X; 2: R A; 2: RU A"},
		{name: "exit/handed-off", script: "1: L A; 1: X; 2: U A; 2: L A; 2: U A"},
		{name: "exit/released", script: "1: L A; 1: U A; 1: X; 2: L A; 2: U A"},
		{name: "exit/other-lock", script: "1: L A; 1: X; 2: L B; 2: U B; 3: U A"},

		// Trees. A class that is a tree nests parent to child: its
		// instances' order is checked, on the fast path too.
		{name: "tree/walk", script: "L T1; L T2; L T3; U T3; U T2; U T1; L T1; L T2; L T3; U T3; U T2; U T1"},
		{name: "tree/walk-read", script: "L T1; U T1; R T1; R T2; R T3; RU T3; RU T2; RU T1"},
		{name: "tree/inverted", script: "L T1; L T2; U T2; U T1; L T2; L T1; U T1; U T2", want: []finding{recur("T", "T")}},
		// The chain [T, T] is cached by the walk over T3, T4: the
		// inversion of T1 and T2 still goes to the slow path.
		{name: "tree/inverted-cached", script: "L T1; L T2; U T2; U T1; L T3; L T4; U T4; U T3; L T2; L T1; U T1; U T2",
			want: []finding{recur("T", "T")}},
		{name: "tree/coupling", script: "L T1; L T2; U T1; L T3; U T2; L T4; U T3; U T4; L T1; L T2; U T1; L T3; U T2; U T3"},
		{name: "tree/coupling-out-of-order", script: "L T1; L T2; U T1; L T3; U T2; U T3; L T3; L T2; U T2; U T3",
			want: []finding{recur("T", "T")}},
		{name: "tree/two-goroutines-inverted", script: "1: L T1; 1: L T2; 1: U T2; 1: U T1; 2: L T2; 2: M T1; 2: U T2",
			want: []finding{recur("T", "T")}},
		// A cycle of classes that one goroutine walks up a tree on its
		// own (child S, its group G, the parent S) is that nesting: it is
		// reported as recursive locking, never as a circular dependency,
		// in either order; and not at all once S is a tree.
		{name: "tree/switch-group", script: "1: L S1; 1: L G1; 1: L S2; 1: U S2; 1: U G1; 1: U S1; 2: L G1; 2: L S2; 2: U S2; 2: U G1",
			want: []finding{recur("S", "S")}},
		{name: "tree/switch-group-refresh-first", script: "2: L G1; 2: L S2; 2: U S2; 2: U G1; 1: L S1; 1: L G1; 1: L S2; 1: U S2; 1: U G1; 1: U S1",
			want: []finding{recur("S", "S")}},
		{name: "tree/switch-group-declared", script: "1: L T1; 1: L G1; 1: L T2; 1: U T2; 1: U G1; 1: U T1; 2: L G1; 2: L T2; 2: U T2; 2: U G1"},
		// The nesting of a tree up through G1, T1 then T2, that no one
		// goroutine walked: each half was taken by another goroutine, on
		// the one G1. It is the tree's nesting, not a cycle.
		{name: "tree/declared-unwalked", script: "1: L T1; 1: L G1; 1: U G1; 1: U T1; 2: L G1; 2: L T2; 2: U T2; 2: U G1"},
		// The halves put T1 before T2: T2 held while T1 is taken is then
		// those two locks in both orders.
		{name: "tree/declared-unwalked-then-inverted", script: "1: L T1; 1: L G1; 1: U G1; 1: U T1; 2: L G1; 2: L T2; 2: U T2; 2: U G1; 3: L T2; 3: L T1; 3: U T1; 3: U T2",
			want: []finding{recur("T", "T")}},
		// T2 taken before T1 first: the halves that put T1 before T2 are
		// an inversion of the two, reported.
		{name: "tree/inverted-then-unwalked", script: "3: L T2; 3: L T1; 3: U T1; 3: U T2; 1: L T1; 1: L G1; 1: U G1; 1: U T1; 2: L G1; 2: L T2; 2: U T2; 2: U G1",
			want: []finding{circ("G", "T")}},
		// Undeclared, the same is a circular dependency of classes.
		{name: "tree/undeclared-unwalked", script: "1: L S1; 1: L G1; 1: U G1; 1: U S1; 2: L G1; 2: L S2; 2: U S2; 2: U G1",
			want: []finding{circ("G", "S")}},
		// Back to the same T1, through the same G1: AB-BA on these very
		// locks, reported, tree or not.
		{name: "tree/declared-unwalked-same-lock", script: "1: L T1; 1: L G1; 1: U G1; 1: U T1; 2: L G1; 2: L T1; 2: U T1; 2: U G1",
			want: []finding{circ("G", "T")}},
		// Through two locks of G that no instance links: the classic
		// AB-BA between two classes, reported whatever the instances.
		{name: "tree/declared-abba-other-instances", script: "1: L T1; 1: L G1; 1: U G1; 1: U T1; 2: L G2; 2: L T2; 2: U T2; 2: U G2",
			want: []finding{circ("G", "T")}},
		// The cycle taken on the very same locks (G1, then S1) is a real
		// inversion of S1 and G1: reported, beside the nesting.
		{name: "tree/switch-group-same-instances", script: "1: L S1; 1: L G1; 1: L S2; 1: U S2; 1: U G1; 1: U S1; 2: L G1; 2: L S1; 2: U S1; 2: U G1",
			want: []finding{recur("S", "S"), circ("G", "S")}},
		// Two classes in both orders across goroutines: whatever the
		// instances, a possible deadlock.
		{name: "tree/abba-still", script: "1: L A1; 1: L B1; 1: U B1; 1: U A1; 2: L B2; 2: L A2; 2: U A2; 2: U B2", want: []finding{circ("B", "A")}},

		// Gates: a cycle every dependency of which was made under one
		// exclusive lock (G) cannot deadlock on its own.
		{name: "gate/guarded", script: "L G; L A; L B; U B; U A; U G; 1: L G; 1: L B; 1: L A; 1: U A; 1: U B; 1: U G",
			want: []finding{guarded("G", "B", "A")}},
		{name: "gate/read-is-no-gate", script: "R G; L A; L B; U B; U A; RU G; 1: R G; 1: L B; 1: L A; 1: U A; 1: U B; 1: RU G",
			want: []finding{circ("B", "A")}},
		{name: "gate/other-instances", script: "L G1; L A; L B; U B; U A; U G1; 1: L G2; 1: L B; 1: L A; 1: U A; 1: U B; 1: U G2",
			want: []finding{circ("B", "A")}},
		// Made once without the guard: then the cycle is reported too.
		{name: "gate/unguarded-later", script: "L G; L A; L B; U B; U A; U G; 1: L G; 1: L B; 1: L A; 1: U A; 1: U B; 1: U G; 2: L A; 2: L B; 2: U B; 2: U A",
			want: []finding{guarded("G", "B", "A"), circ("B", "A")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settle := time.Hour
			if tc.block {
				settle = lockdep.TestSettle
			}
			w := newWorld(t, settle)
			if tc.panic {
				lockdep.Configure(lockdep.Panic)
			}
			w.run(tc.script)
			if diff := cmp.Diff(tc.want, findings()); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			w.checkDelivered(tc.script)
		})
	}
}
