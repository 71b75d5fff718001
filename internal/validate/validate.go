// Package validate is the lock validator: one per process, called
// directly by the lock types of package lockdep and by package
// lockdepimpl for rewritten code.
//
// Data flows one way: an acquisition looks up the goroutine's held stack
// (package held), then the chain cache (package graph); a hit is done.
// Only a miss takes the validator's lock, records dependencies in the
// class graph and searches it, and makes findings (package report), which
// are delivered to the sinks with no lock held.
//
// # Hand-offs
//
// Go lets one goroutine unlock a lock another one locked. The hold may
// pass to the unlocking goroutine at any moment before it unlocks (a
// go statement, a channel send), so what the locking goroutine acquires
// while the lock is still locked need not depend on it. The validator
// therefore treats every dependency as pending until the hold it comes
// from ends: released by the goroutine that took it, the dependency is
// confirmed; released by another goroutine, it is withdrawn, unless
// another hold confirmed it meanwhile. A finding that rests on pending
// dependencies (or, for recursive locking, on a hold) is reported when
// they are confirmed and dropped when one is withdrawn. If the acquisition
// that made such a finding would block for longer than the settle time
// (a deadlock in progress), the finding is reported then, before the
// goroutine blocks for good. Releases are exact: once any goroutine
// unlocks a lock, no later check of any goroutine treats it as held.
package validate

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/report"
	"github.com/golockdep/lockdep/internal/stack"
)

// The modes of an acquisition or release.
const (
	Write = graph.Write
	Read  = graph.Read
)

// DefaultSettle is how long an acquisition that made a pending finding
// waits for its lock (letting a hand-off complete) before it reports the
// finding as a deadlock in progress. A real deadlock never ends, so a long
// wait costs nothing but the report's delay; a short one would take a
// hand-over whose new holder is slow for one.
const DefaultSettle = 5 * time.Second

// Validator is the process-wide state. The fast path (a lock sequence
// seen before) touches only the calling goroutine's held stack and the
// lock-free chain cache; everything else is guarded by mu, which is taken
// only on a chain-cache miss (and when a hold that made dependencies
// ends) and never while user code runs.
type Validator struct {
	gen    uint64 // distinguishes validators (tests make several)
	limits Limits
	table  *held.Table
	dead   atomic.Bool // a bound was hit: validation is off for good
	settle time.Duration

	mu        sync.Mutex
	g         *graph.Graph
	traces    [][]uintptr // trace ID-1 → program counters
	names     map[string]int
	display   map[*Class]string
	nestings  map[[2]uintptr]nesting // see recursionReport
	chains    [][]graph.Acq          // the cached chains, for Chains
	blocked   []Pending              // the findings of acquisitions waiting in Settle
	instances map[graph.ClassID]bool // classes of one lock each
	seen      map[string]bool
	findings  []report.Report
	pend      pending

	events     *events.Writer // LOCKDEP_EVENTS: the record for the lockdep command
	graphDirty chan struct{}  // LOCKDEP_GRAPH: see graphfile.go

	// Lock statistics and the watchdog; timing is set if either is on.
	stats   atomic.Pointer[[]*classStat]
	statsOn atomic.Bool
	timing  atomic.Bool
	timeout atomic.Int64 // nanoseconds; 0: the watchdog is off
	dog     watchdog

	statsWriter sync.Once

	emitMu     sync.Mutex // serialises printing
	jsonFile   *os.File
	jsonFailed bool
}

var generations atomic.Uint64

// New returns a validator with the given bounds; it records events in
// LOCKDEP_EVENTS's directory if that is set.
func New(l Limits) *Validator {
	var ev *events.Writer
	if eventsDir != "" {
		ev = events.NewWriter(eventsDir)
		ev.Start()
	}
	v := &Validator{
		events:    ev,
		gen:       generations.Add(1),
		limits:    l,
		settle:    DefaultSettle,
		table:     held.NewTable(l.Goroutines, l.Depth),
		g:         graph.New(graph.Limits{Classes: l.Classes, Edges: l.Dependencies, Chains: l.Chains}),
		names:     make(map[string]int),
		display:   make(map[*Class]string),
		nestings:  make(map[[2]uintptr]nesting),
		instances: make(map[graph.ClassID]bool),
		seen:      make(map[string]bool),
		pend:      newPending(),
	}
	if graphPath != "" {
		v.startGraphWriter(graphPath, graphSig)
	}
	return v
}

// SetSettle sets the settle time (see DefaultSettle). It is for tests.
func (v *Validator) SetSettle(d time.Duration) { v.settle = d }

// A Pending lists the findings an acquisition made that wait for their
// dependencies to be confirmed; nil if there are none.
type Pending []*finding

// Acquire validates taking the lock at addr, of class c (subclass sub),
// in mode (try: by a successful TryLock), called at pc or site, and
// pushes it on the goroutine's held stack, which it returns; the caller
// marks it Held once it holds the lock. It runs before a blocking
// acquisition, so that it reports before blocking forever, and after a
// successful try. If p is not nil, the caller should acquire the lock
// with Settle. A nil stack means validation stepped aside.
func (v *Validator) Acquire(addr uintptr, c *Class, sub int, mode graph.Mode, try bool, pc uintptr, site *Site) (st *held.Stack, p Pending) {
	if sub < 0 || sub >= MaxSubclasses {
		v.badSubclass(c, sub, mode, pc, site)
		sub = MaxSubclasses - 1
	}
	id := v.classID(c, sub)
	if id == 0 {
		return nil, nil
	}
	gid, st := v.table.Current()
	if st == nil {
		st = v.table.Get(gid)
	}
	a := graph.Acq{Class: id, Mode: mode, Try: try, Addr: addr}
	at := held.Site{PC: pc, Static: siteRef(site)}
	// A lock this goroutine already holds is a certain self-deadlock,
	// whatever the chain: the chain key hashes classes, not instances.
	key := graph.ChainKey(st.Top(), a)
	hit := false
	if !try && !st.Holds(addr) {
		_, hit = v.g.Chains.Lookup(key)
	}
	if hit && len(st.Entries) < v.table.MaxDepth() {
		st.Push(a, key, at)
		if v.timing.Load() {
			return st, v.timed(id, st, try)
		}
		return st, nil
	}
	var reps []report.Report
	if !hit {
		reps, p = v.miss(st, gid, a, site != nil)
	}
	if len(st.Entries) >= v.table.MaxDepth() {
		// Deliver what this acquisition found, then step aside. What
		// still waits for its holds to end is dropped: nothing follows
		// the holds from here on, and a hold may be a hand-over's (a
		// goroutine that hands read transactions to others holds many).
		v.emit(reps)
		v.stop(&graph.LimitError{Bound: graph.MaxDepth, Limit: v.table.MaxDepth()})
		return nil, nil
	}
	// miss may have applied releases posted meanwhile: the key is
	// computed again from what is held now.
	st.Push(a, graph.ChainKey(st.Top(), a), at)
	if reps != nil {
		v.emit(reps)
	}
	if v.timing.Load() {
		if p == nil {
			p = v.timed(id, st, try)
		} else if v.statsOn.Load() {
			v.countAcquisition(id) // Settle holds it for its findings
		}
	}
	return st, p
}

// timed counts an acquisition pushed on st while statistics or the
// watchdog are on. A trylock holds its lock already; a blocking one is
// timed by Settle, which its Pending sends it to.
func (v *Validator) timed(id graph.ClassID, st *held.Stack, try bool) Pending {
	if v.statsOn.Load() {
		v.countAcquisition(id)
	}
	if try {
		if v.statsOn.Load() {
			st.Entries[len(st.Entries)-1].T = time.Now().UnixNano()
		}
		return nil
	}
	return timed
}

// miss validates an acquisition whose chain is not cached. It returns the
// findings to report now and those that wait for confirmation.
func (v *Validator) miss(st *held.Stack, gid int64, a graph.Acq, rewritten bool) ([]report.Report, Pending) {
	pcs := stack.Capture(1)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dead.Load() {
		return nil, nil
	}
	// Releases posted since the goroutine's last look are applied under
	// mu, which every hand-off takes: what another goroutine released
	// before this point is not held here.
	v.table.Apply(st)
	// The stack is kept only if a dependency or the chain cache refers to
	// it: a recurring finding (an uncached chain) must not grow memory.
	var tid uint64
	trace := func() uint64 {
		if tid == 0 {
			tid = v.addTrace(pcs)
		}
		return tid
	}
	res, err := v.g.Validate(st.Acqs(nil), a, gid, trace)
	if err != nil {
		v.stopLocked(err)
		return nil, nil
	}
	if res.Written {
		v.changed()
	}
	if res.Written && v.events != nil {
		c := v.g.Class(a.Class)
		v.events.Write(events.Event{Written: &events.Written{Class: uint32(a.Class), Goroutine: c.WriteGoroutine, Stack: v.frames(c.WriteTrace)}})
	}
	pending := false
	for _, d := range res.Deps {
		if v.support(st, d) {
			pending = true
		}
	}
	var fs []*finding
	if r := res.Recursion; r != nil {
		h := v.holdOf(st, r.Index)
		fs = append(fs, &finding{rep: v.recursionReport(st, gid, a, r, trace, pcs, rewritten), hold: h})
	}
	for _, cy := range res.Cycles {
		acq := v.acquisition(st, gid, a, cy, pcs)
		fs = append(fs, &finding{rep: report.CycleReport(v.g, cy, v, acq), edges: cy.Edges(), acq: acq})
	}
	if len(fs) == 0 && !pending {
		key := graph.ChainKey(st.Top(), a)
		if _, seen := v.g.Chains.Lookup(key); !seen {
			if err := v.g.Chains.Insert(key, trace()); err != nil {
				v.stopLocked(err)
				return nil, nil
			}
			v.chains = append(v.chains, chainOf(st, a))
		}
		return nil, nil
	}
	// A chain with a finding or a pending dependency stays uncached, so
	// that it is checked again.
	var now []report.Report
	var later Pending
	for _, f := range fs {
		switch v.state(f) {
		case confirmed:
			now = v.record(now, f.rep)
		case waiting:
			if !v.seen[f.rep.Key()] && v.wait(f) {
				later = append(later, f)
			}
		}
	}
	return now, later
}

// Settle acquires lk for the acquisition on top of st whose findings p
// wait for confirmation. It tries for up to the settle time, letting other
// goroutines run (a hand-off in flight completes, and withdraws or
// confirms the findings); then, if the lock is still taken, it reports
// the findings that still wait, as a deadlock in progress, and returns
// false: the caller blocks in Lock. It returns true if it took the lock.
func (v *Validator) Settle(st *held.Stack, p Pending, lk Lock) bool {
	if len(p) == 0 {
		v.timedLock(st, lk) // statistics or the watchdog: time the wait
		return true
	}
	deadline := time.Now().Add(v.settle)
	for i := 0; ; i++ {
		if lk.TryLock() {
			if i > 0 {
				v.unblock(p)
			}
			if v.statsOn.Load() {
				heldNow(st)
			}
			return true
		}
		if i == 0 {
			v.block(p)
		}
		if time.Now().After(deadline) {
			break
		}
		if i < 16 {
			continue
		}
		if i < 64 {
			runtime.Gosched()
		} else {
			time.Sleep(time.Duration(i) * time.Microsecond)
		}
	}
	v.unblock(p)
	v.emit(v.flush(p))
	return false
}

// block notes that the acquisition that made p waits for its lock in
// Settle; unblock, that it stopped waiting.
func (v *Validator) block(p Pending) {
	v.mu.Lock()
	v.blocked = append(v.blocked, p)
	v.mu.Unlock()
}

func (v *Validator) unblock(p Pending) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for i, q := range v.blocked {
		if len(q) > 0 && &q[0] == &p[0] {
			v.blocked = append(v.blocked[:i], v.blocked[i+1:]...)
			return
		}
	}
}

// ReportBlocked reports the findings of the acquisitions waiting in Settle
// now, as deadlocks in progress: for when the process is about to end
// (go test's -timeout) before they would settle.
func (v *Validator) ReportBlocked() {
	v.mu.Lock()
	var reps []report.Report
	for _, p := range v.blocked {
		reps = v.flushLocked(reps, p)
	}
	v.mu.Unlock()
	v.emit(reps)
}

// flush records the findings of p that still wait, as they are: the
// acquisition that made them cannot wait for them to be confirmed.
func (v *Validator) flush(p Pending) []report.Report {
	if len(p) == 0 {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.flushLocked(nil, p)
}

// flushLocked is flush, appending to reps, with mu held.
func (v *Validator) flushLocked(reps []report.Report, p Pending) []report.Report {
	for _, f := range p {
		if v.pend.remove(f) {
			reps = v.record(reps, f.rep)
		}
	}
	return reps
}

// Release validates an unlock, in mode, of the lock at addr, of class c,
// at pc or site; lk is the real lock, looked at only if the calling
// goroutine does not hold it. It returns findings to deliver with Emit
// once the real unlock is done. A bad unlock is reported at once, before
// the real unlock makes it Go's fatal error.
func (v *Validator) Release(addr uintptr, c *Class, mode graph.Mode, pc uintptr, site *Site, lk Lock) []report.Report {
	gid, st := v.table.Current()
	if st != nil {
		if i := st.Find(addr, mode); i >= 0 {
			h := st.Entries[i].Hold
			if v.statsOn.Load() {
				v.countHold(&st.Entries[i])
			}
			st.Remove(i, held.Site{PC: pc, Static: siteRef(site)})
			if h != nil {
				return v.confirm((*hold)(h))
			}
			return nil
		}
	}
	other := Read
	if mode == Read {
		other = Write
	}
	switch state := lk.state(); {
	case st != nil && st.Find(addr, other) >= 0:
		v.badUnlock(st, gid, addr, c, mode, pc, site, unlockDetail(lk.kind(), mode, heldOtherMode))
	case state == unlocked:
		v.badUnlock(st, gid, addr, c, mode, pc, site, unlockDetail(lk.kind(), mode, unlocked))
	case state == writeLocked && mode == Read, state == readLocked && mode == Write:
		v.badUnlock(st, gid, addr, c, mode, pc, site, unlockDetail(lk.kind(), mode, state))
	default:
		v.handoff(addr, mode)
	}
	return nil
}

// Holds reports whether the calling goroutine holds addr in one of modes.
func (v *Validator) Holds(addr uintptr, modes ...graph.Mode) bool {
	st := v.table.Lookup(v.table.ID())
	if st == nil {
		return false
	}
	for _, m := range modes {
		if st.Find(addr, m) >= 0 {
			return true
		}
	}
	return false
}

// MightLock validates acquiring the lock at addr without acquiring it:
// the dependencies and findings are those of a Lock (or RLock) here.
func (v *Validator) MightLock(addr uintptr, c *Class, mode graph.Mode, pc uintptr) {
	st, _ := v.Acquire(addr, c, 0, mode, false, pc, nil)
	if st == nil {
		return
	}
	// Validated, never held: drop the entry pushed on top. It made no
	// dependency of its own, so it has no hold to end.
	st.Remove(len(st.Entries)-1, held.Site{})
}

func (v *Validator) addTrace(pcs []uintptr) uint64 {
	v.traces = append(v.traces, pcs)
	return uint64(len(v.traces))
}

// Stop turns validation off for good after a bound was hit, with one line
// that names the bound and the setting that raises it.
func (v *Validator) stop(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stopLocked(err)
}

func (v *Validator) stopLocked(err error) {
	if v.dead.Swap(true) {
		return
	}
	active.CompareAndSwap(v, nil)
	msg := fmt.Sprintf("%v; validation is off from here on", err)
	var le *graph.LimitError
	if errors.As(err, &le) {
		msg += " (raise " + settings[le.Bound] + ")"
	}
	fmt.Fprintf(os.Stderr, "lockdep: %s\n", msg)
	if v.events != nil {
		// go test shows a passing package's output only with -v: the
		// lockdep command prints this line itself.
		v.events.Write(events.Event{Stopped: msg})
	}
}

// Findings returns the findings reported so far, oldest first, each
// problem once.
func (v *Validator) Findings() []report.Report {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]report.Report(nil), v.findings...)
}

// Counts returns the numbers of classes, dependencies and cached chains.
func (v *Validator) Counts() (classes, deps, chains int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.g.NumClasses(), v.g.NumEdges(), v.g.Chains.Len()
}

// Traces returns how many stacks the validator keeps.
func (v *Validator) Traces() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.traces)
}
