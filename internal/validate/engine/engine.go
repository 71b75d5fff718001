package engine

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// The modes of an acquisition or release.
const (
	Write = graph.Write
	Read  = graph.Read
)

// A Host is what an engine runs in: package validate's process-wide
// validator, or a test. The engine tells it what it found and asks it how
// long to let a hand-off settle. Its methods are called on slow paths
// only, never for a lock chain seen before.
type Host interface {
	// Emit delivers findings just recorded, oldest first. It is called
	// with no lock of the engine held: it may run user code, panic or
	// exit the process.
	Emit(reps []report.Report)
	// Changed says the graph or the findings changed. It is called with
	// the engine's lock held: it must neither block nor call the engine.
	Changed()
	// Stopped says a bound was hit: validation is off for good. It is
	// called once, with the engine's lock held.
	Stopped()
	// SettleTime is how long an acquisition that made pending findings
	// waits for its lock before they are reported as a deadlock in
	// progress.
	SettleTime() time.Duration
}

// A Recorder keeps the record of what the engine learns, in the order it
// learns it: classes, dependencies confirmed, nestings, findings,
// statistics (package events; an *events.Writer is one). Write is called
// with the engine's lock held, never concurrently.
type Recorder interface {
	Write(events.Event)
}

// Limits are the engine's bounds (see the lockdep package
// documentation). Every field is positive.
type Limits struct {
	Classes, Dependencies, Chains, Depth, Goroutines int
}

// DefaultLimits are the bounds a process has unless it says otherwise.
var DefaultLimits = Limits{Classes: 1 << 16, Dependencies: 1 << 20, Chains: 1 << 20, Depth: 48, Goroutines: 1 << 14}

// Settings name, per bound, the setting that raises it, for the line that
// says a bound was hit and for Usage; an empty name is not mentioned.
type Settings struct {
	Classes, Dependencies, Chains, Depth, Goroutines string
}

// of returns the setting that raises bound b.
func (s *Settings) of(b graph.Bound) string {
	switch b {
	case graph.MaxClasses:
		return s.Classes
	case graph.MaxDependencies:
		return s.Dependencies
	case graph.MaxChains:
		return s.Chains
	case graph.MaxDepth:
		return s.Depth
	}
	return ""
}

// Options configure an engine.
type Options struct {
	Limits   Limits
	Settings Settings
	Host     Host     // required
	Record   Recorder // nil: no record
	// Log receives the one-line notices of the engine (a bound was hit);
	// nil discards them.
	Log io.Writer
}

// Engine is one validator's state. The fast path (a lock sequence seen
// before) touches only the calling goroutine's held stack and the
// lock-free chain cache; everything else is guarded by mu, which is taken
// only on a chain-cache miss (and when a hold that made dependencies
// ends) and never while user code runs. Its zero value is not usable:
// make one with New, or, within a struct, Init it in place.
type Engine struct {
	gen    uint64 // distinguishes engines (tests make several)
	limits Limits
	table  *held.Table
	dead   atomic.Bool // a bound was hit: validation is off for good

	mu     sync.Mutex
	g      *graph.Graph
	traces [][]uintptr // trace ID-1 → program counters
	// heldAt holds, for a trace that made dependencies, the locks the
	// goroutine held then (reporting.HeldResolver).
	heldAt  map[uint64][]report.LockRef
	names   map[string]int
	display map[*Class]string
	// What the engine knows of instances (see instances.go).
	pairs     pairs
	edgeInfos map[*graph.Edge]*edgeInfo
	evUses    map[evKey]*evUse       // event instances (see throughs.go)
	evNests   map[[2]uintptr]bool    // nestings through events (see throughs.go)
	guarded   []*finding             // cycles reported as guarded, while they are
	chains    [][]graph.Acq          // the cached chains, for Chains
	settling  []*settling            // acquisitions with pending findings that wait for their locks
	instances map[graph.ClassID]bool // classes of one lock each
	seen      map[string]bool
	findings  []report.Report
	outbox    []report.Report // recorded, not delivered yet: see deliver
	queued    atomic.Bool     // outbox is not empty
	pend      pending

	// Lock statistics and the waits a watchdog looks at; timing is set
	// if either is on.
	stats    atomic.Pointer[[]*classStat]
	statsOn  atomic.Bool
	timing   atomic.Bool
	watching atomic.Bool
	waits    waits

	host     Host
	rec      Recorder // nil: no record
	log      io.Writer
	settings Settings

	// The locks left held by goroutines that ended (see exits.go), and
	// their addresses for the acquisition path: nil while there are none;
	// guarded by mu.
	exits     []*exitRecord
	exitAddrs atomic.Pointer[map[uintptr]bool]
	// hitSlowOn says an acquisition of a cached chain has more to do
	// (hitSlow): timing is on, or locks are left held. It is written
	// with mu held (setHitSlow).
	hitSlowOn atomic.Bool
	// watched are the event classes whose instances are noted on every
	// wait and signal (see throughs.go): nil while there are none;
	// written with mu held.
	watched atomic.Pointer[map[graph.ClassID]bool]
}

var generations atomic.Uint64

// New returns an engine made with o.
func New(o Options) *Engine {
	v := new(Engine)
	v.Init(o)
	return v
}

// Init makes v an engine with o, in place (v's zero value). It is for an
// Engine embedded in a larger struct: the lock methods then reach it with
// no pointer between.
func (v *Engine) Init(o Options) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	l := o.Limits
	v.gen = generations.Add(1)
	v.limits = l
	v.table = held.NewTable(l.Goroutines, l.Depth)
	v.g = graph.New(graph.Limits{Classes: l.Classes, Edges: l.Dependencies, Chains: l.Chains})
	v.names = make(map[string]int)
	v.display = make(map[*Class]string)
	v.edgeInfos = make(map[*graph.Edge]*edgeInfo)
	v.evUses = make(map[evKey]*evUse)
	v.evNests = make(map[[2]uintptr]bool)
	v.heldAt = make(map[uint64][]report.LockRef)
	v.instances = make(map[graph.ClassID]bool)
	v.seen = make(map[string]bool)
	v.pend = newPending()
	v.pairs.log = o.Log
	v.host, v.rec, v.log, v.settings = o.Host, o.Record, o.Log, o.Settings
}

// A Pending lists the findings an acquisition made that wait for their
// dependencies to be confirmed; nil if there are none.
type Pending []*finding

// Acquire validates taking the lock lk, of class c (subclass sub),
// in mode (try: by a successful TryLock), called at pc or site, and
// pushes it on the goroutine's held stack, which it returns; the caller
// marks it Held once it holds the lock. It runs before a blocking
// acquisition, so that it reports before blocking forever, and after a
// successful try. If p is not nil, the caller should acquire the lock
// with Settle. A nil stack means validation stepped aside.
func (v *Engine) Acquire(lk unsafe.Pointer, c *Class, sub int, mode graph.Mode, try bool, pc uintptr, site *Site) (st *held.Stack, p Pending) {
	addr := uintptr(lk)
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
	// whatever the chain: the chain key hashes classes, not instances. A
	// trylock's chain (its key says try) is cached as any other: a region
	// of an event, begun by every deferred wg.Done(), is one.
	key := graph.ChainKey(st.Top(), a)
	hit := false
	if !st.Holds(addr) {
		var val uint64
		val, hit = v.g.Chains.Lookup(key)
		if hit && val&treeChain != 0 {
			// A tree's nesting: the chain is fine, and so must be the
			// instances' order.
			hit = v.ordered(st, a)
		}
	}
	if hit && len(st.Entries) < v.table.MaxDepth() {
		st.Overwriting(a)
		st.Push(a, key, at)
		if v.hitSlowOn.Load() {
			return st, v.hitSlow(id, st, gid, a, pc, site)
		}
		return st, nil
	}
	if !hit {
		p = v.miss(st, gid, a, lk, site)
		// What the acquisition found is delivered before it is pushed:
		// in Panic mode, a panic here leaves the stack as it was.
		v.deliver()
	}
	if v.leftHeld(addr) {
		p = append(p, v.exitWait(st.Entries, gid, a, pc, site)...)
	}
	if len(st.Entries) >= v.table.MaxDepth() {
		// Step aside, having delivered what this acquisition found.
		// What still waits for its holds to end is dropped: nothing
		// follows the holds from here on, and a hold may be a
		// hand-over's (a goroutine that hands read transactions to
		// others holds many).
		v.stop(&graph.LimitError{Bound: graph.MaxDepth, Limit: v.table.MaxDepth()})
		return nil, nil
	}
	// miss may have applied releases posted meanwhile: the key is
	// computed again from what is held now.
	st.Overwriting(a)
	st.Push(a, graph.ChainKey(st.Top(), a), at)
	if v.timing.Load() {
		if p == nil {
			p = v.timed(id, st, try)
		} else if v.statsOn.Load() {
			v.countAcquisition(id) // Settle holds it for its findings
		}
	}
	return st, p
}

// setHitSlow sets hitSlowOn from what it stands for. Called with mu held.
func (v *Engine) setHitSlow() {
	v.hitSlowOn.Store(v.timing.Load() || v.exitAddrs.Load() != nil || v.watched.Load() != nil)
}

// hitSlow finishes an acquisition a of class id, pushed on st, whose
// chain was cached, while its lock may be left held by a goroutine that
// ended, acquisitions are timed, or event classes are watched.
//
//go:noinline
func (v *Engine) hitSlow(id graph.ClassID, st *held.Stack, gid int64, a graph.Acq, pc uintptr, site *Site) Pending {
	v.noteRegions(st, id)
	if v.leftHeld(a.Addr) {
		if p := v.exitWait(st.Entries[:len(st.Entries)-1], gid, a, pc, site); p != nil {
			if v.statsOn.Load() {
				v.countAcquisition(id) // Settle holds it for its findings
			}
			return p
		}
	}
	if v.timing.Load() {
		return v.timed(id, st, a.Try)
	}
	return nil
}

// timed counts an acquisition pushed on st while statistics are kept or
// waits are watched. A trylock holds its lock already; a blocking one is
// timed by Settle, which its Pending sends it to.
func (v *Engine) timed(id graph.ClassID, st *held.Stack, try bool) Pending {
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

// miss validates an acquisition whose chain is not cached. It records the
// findings that are confirmed, and returns those that wait for
// confirmation.
func (v *Engine) miss(st *held.Stack, gid int64, a graph.Acq, lk unsafe.Pointer, site *Site) Pending {
	pcs := stack.Capture(1)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dead.Load() {
		return nil
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
		return nil
	}
	if tid != 0 && len(res.Deps) > 0 {
		if _, ok := v.heldAt[tid]; !ok {
			v.heldAt[tid] = v.heldLocks(st)
		}
	}
	if res.Written {
		v.changed()
	}
	if res.Written && v.rec != nil {
		c := v.g.Class(a.Class)
		v.rec.Write(events.Event{Written: &events.Written{Class: uint32(a.Class), Goroutine: c.WriteGoroutine, Stack: v.frames(c.WriteTrace)}})
	}
	pending := false
	guards := false // a dependency lost a guard
	for _, d := range res.Deps {
		p := v.support(st, d)
		pending = pending || p
		if v.noteDep(st, d, a, lk, gid, trace) {
			guards = true
			if !p {
				v.logDep(dep{d.Edge, d.Mode}) // with the guards it has left
			}
		}
	}
	v.noteDeps(st, res.Deps, a, lk)
	var fs []*finding
	if r := res.Recursion; r != nil {
		h := v.holdOf(st, r.Index)
		if !r.Same {
			v.noteNesting(st, r.Index, a.Class)
		}
		fs = append(fs, &finding{rep: v.recursionReport(st, gid, a, r, trace, pcs, lk, site, false), hold: h})
	}
	var chainVal uint64
	if n := res.Nesting; n != nil {
		// A tree's nesting: no finding, unless this run took the two
		// the other way round.
		chainVal = treeChain
		v.noteNesting(st, n.Index, a.Class)
		if a.Addr != 0 && v.pairs.get(a.Addr, n.Held.Addr) != nil {
			r := &graph.Recursion{Held: n.Held, Index: n.Index}
			fs = append(fs, &finding{rep: v.recursionReport(st, gid, a, r, trace, pcs, lk, site, true), hold: v.holdOf(st, n.Index)})
		} else if a.Addr != 0 && v.pairs.get(n.Held.Addr, a.Addr) == nil {
			v.pairs.add(n.Held.Addr, lk, gid, trace())
		}
	}
	for _, cy := range res.Cycles {
		acq := v.acquisition(st, gid, a, cy, pcs)
		fs = append(fs, &finding{rep: reporting.CycleReport(v.g, cy, v, acq), edges: cy.Edges(), acq: acq})
	}
	if guards {
		v.unguard()
	}
	if len(fs) == 0 && !pending {
		key := graph.ChainKey(st.Top(), a)
		if _, seen := v.g.Chains.Lookup(key); !seen {
			if err := v.g.Chains.Insert(key, trace()|chainVal); err != nil {
				v.stopLocked(err)
				return nil
			}
			v.chains = append(v.chains, chainOf(st, a))
		}
		return nil
	}
	// A chain with a finding or a pending dependency stays uncached, so
	// that it is checked again.
	var later Pending
	for _, f := range fs {
		switch f, vd := v.judge(f); vd {
		case confirmed:
			v.recordFinding(f)
		case waiting:
			if !v.seen[reporting.Key(&f.rep)] && v.wait(f) {
				later = append(later, f)
			}
		}
	}
	return later
}

// Settle acquires lk for the acquisition on top of st whose findings p
// wait for confirmation. It blocks in the real lock, as plain Go does, so
// that goroutine dumps, the runtime's deadlock check and the goroutine
// leak profile see what they would without the validator. While it
// waits, a hand-off in flight may complete, and withdraw or confirm the
// findings; those that still wait after the settle time are reported
// then, as a deadlock in progress, by a timer, and those that still wait
// when the process or a test ends are reported then (ReportWaiting).
func (v *Engine) Settle(st *held.Stack, p Pending, lk Lock) {
	if len(p) == 0 {
		v.timedLock(st, lk) // statistics or watched waits: time the wait
		return
	}
	if lk.TryLock() {
		if v.statsOn.Load() {
			heldNow(st)
		}
		v.acquiredExits(p)
		return
	}
	w := v.block(p)
	v.timedLock(st, lk)
	v.unblock(w)
	v.acquiredExits(p)
}

// A settling acquisition waits for its lock while findings it made wait
// for confirmation.
type settling struct {
	p     Pending
	timer *time.Timer // reports p after the settle time
}

// block notes that the acquisition that made p waits for its lock, and
// starts the timer that reports p if it still waits after the settle
// time. The timer refers to nothing of the user's: the lock the
// acquisition waits for stays unreachable but from its goroutine, as the
// goroutine leak profile needs.
func (v *Engine) block(p Pending) *settling {
	w := &settling{p: p}
	v.mu.Lock()
	v.settling = append(v.settling, w)
	w.timer = time.AfterFunc(v.host.SettleTime(), func() { v.settled(w) })
	v.mu.Unlock()
	return w
}

// unblock notes that w has its lock.
func (v *Engine) unblock(w *settling) {
	w.timer.Stop()
	v.mu.Lock()
	v.removeSettling(w)
	v.mu.Unlock()
}

// removeSettling removes w from the waiters and reports whether it was
// there. Called with mu held.
func (v *Engine) removeSettling(w *settling) bool {
	for i, x := range v.settling {
		if x == w {
			v.settling = append(v.settling[:i], v.settling[i+1:]...)
			return true
		}
	}
	return false
}

// settled reports the findings of w, which has waited for its lock for
// the settle time, as a deadlock in progress.
func (v *Engine) settled(w *settling) {
	v.mu.Lock()
	if v.removeSettling(w) {
		v.flushLocked(w.p, report.Settled)
	}
	v.mu.Unlock()
	v.deliver()
}

// ReportWaiting reports, as deadlocks in progress, the findings of every
// acquisition that still waits for its lock: for when the process or a
// test ends (why is report.ProcessEnded or report.TestEnded) before they
// would settle.
//
// It reports the locks left held by goroutines that ended (see exits.go)
// first: the process or the test ends with them held, and the goroutine
// dump that finds them names the goroutines that wait for them, with
// their states and whole stacks.
func (v *Engine) ReportWaiting(why string) {
	v.reportExits(why)
	v.mu.Lock()
	for _, w := range v.settling {
		w.timer.Stop()
		v.flushLocked(w.p, why)
	}
	v.settling = nil
	v.mu.Unlock()
	v.deliver()
}

// flushLocked records the findings of p that still wait, as deadlocks in
// progress: the acquisition that made them is stuck, why says until when.
// Called with mu held.
func (v *Engine) flushLocked(p Pending, why string) {
	for _, f := range p {
		if f.exit != nil {
			v.recordExitWait(f, why)
			continue
		}
		if v.pend.remove(f) {
			f.rep.InProgress = why
			v.recordFinding(f)
		}
	}
}

// Release validates an unlock, in mode, of the lock at addr, of class c,
// at pc or site; lk is the real lock, looked at only if the calling
// goroutine does not hold it. If it returns true, the caller calls
// Deliver once the real unlock is done: the release may have confirmed
// findings. A bad unlock is reported at once, before the real unlock
// makes it Go's fatal error.
func (v *Engine) Release(addr uintptr, c *Class, mode graph.Mode, pc uintptr, site *Site, lk Lock) (deliver bool) {
	gid, st := v.table.Current()
	if st != nil {
		if i := st.Find(addr, mode); i >= 0 {
			h := st.Entries[i].Hold
			if v.statsOn.Load() {
				v.countHold(&st.Entries[i])
			}
			st.Remove(i, held.Site{PC: pc, Static: siteRef(site)})
			if h != nil {
				v.confirm((*hold)(h))
				return true
			}
			return false
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
		return true
	}
	return false
}

// Holds reports whether the calling goroutine holds addr in one of modes.
func (v *Engine) Holds(addr uintptr, modes ...graph.Mode) bool {
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

// MightLock validates acquiring the lock lk without acquiring it: the
// dependencies and findings are those of a Lock (or RLock) here.
func (v *Engine) MightLock(lk unsafe.Pointer, c *Class, mode graph.Mode, pc uintptr) {
	v.mightLock(lk, c, mode, pc, nil)
}

func (v *Engine) mightLock(lk unsafe.Pointer, c *Class, mode graph.Mode, pc uintptr, site *Site) {
	st, _ := v.Acquire(lk, c, 0, mode, false, pc, site)
	if st == nil {
		return
	}
	// Validated, never held: drop the entry pushed on top. It made no
	// dependency of its own, so it has no hold to end, and it is no
	// acquisition for the goroutine's next signal.
	st.Remove(len(st.Entries)-1, held.Site{})
	st.Unrecent()
}

func (v *Engine) addTrace(pcs []uintptr) uint64 {
	v.traces = append(v.traces, pcs)
	return uint64(len(v.traces))
}

// stop turns validation off for good after a bound was hit, with one line
// that names the bound and the setting that raises it.
func (v *Engine) stop(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stopLocked(err)
}

func (v *Engine) stopLocked(err error) {
	if v.dead.Swap(true) {
		return
	}
	v.host.Stopped()
	msg := fmt.Sprintf("%v; validation is off from here on", err)
	var le *graph.LimitError
	if errors.As(err, &le) {
		if s := v.settings.of(le.Bound); s != "" {
			msg += " (raise " + s + ")"
		}
	}
	fmt.Fprintf(v.log, "lockdep: %s\n", msg)
	if v.rec != nil {
		// go test shows a passing package's output only with -v: the
		// lockdep command prints this line itself.
		v.rec.Write(events.Event{Stopped: msg})
	}
}

// Findings returns the findings reported so far, oldest first, each
// problem once.
func (v *Engine) Findings() []report.Report {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]report.Report(nil), v.findings...)
}

// Dead reports whether a bound has switched validation off for good.
func (v *Engine) Dead() bool { return v.dead.Load() }

// changed tells the host that the graph or the findings changed. Called
// with mu held.
func (v *Engine) changed() { v.host.Changed() }
