package engine

import (
	"fmt"
	"unsafe"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// Findings are made here from the engine's state, recorded once per
// problem (reporting.Key), and delivered to the host with no lock held.

func siteRef(s *Site) unsafe.Pointer { return unsafe.Pointer(s) }

// Stack implements reporting.Resolver over the validator's traces.
func (v *Engine) Stack(tid uint64) []Frame { return v.frames(tid) }

// Origin implements reporting.Resolver: one process records everything.
func (v *Engine) Origin(uint64) string { return "" }

// Held implements reporting.HeldResolver: the locks held when trace tid's
// dependencies were made.
func (v *Engine) Held(tid uint64) []report.LockRef { return v.heldAt[tid] }

func (v *Engine) frames(tid uint64) []Frame {
	if tid == 0 || tid > uint64(len(v.traces)) {
		return nil
	}
	return stack.Frames(v.traces[tid-1])
}

// siteFrame returns the frame of a lock operation's site: exact from its
// return address or its static record.
func siteFrame(s held.Site) *Frame {
	if f, ok := stack.FrameOf(s.PC); ok {
		return &f
	}
	if s.Static != nil {
		st := (*Site)(s.Static)
		return &Frame{Func: st.Func, File: st.File, Line: st.Line}
	}
	return nil
}

func (v *Engine) className(id graph.ClassID) string {
	if c := v.g.Class(id); c != nil {
		return c.Name
	}
	return "?"
}

// acqLock names the lock of acquisition a, taken at at (nil if unknown).
func (v *Engine) acqLock(a graph.Acq, at *Frame) report.LockRef {
	return report.LockRef{Class: v.className(a.Class), Mode: reporting.ModeName(a.Mode, a.Try), At: at}
}

// lockOf names a held entry. Where its own site is unknown, the report
// shows where its chain was first seen, labelled as such.
func (v *Engine) lockOf(e held.Entry) report.LockRef {
	l := v.acqLock(e.Acq, siteFrame(e.At))
	if l.At == nil {
		if val, ok := v.g.Chains.Lookup(e.Key); ok {
			tid := val &^ treeChain
			if fs := v.frames(tid); len(fs) > 0 {
				l.FirstSeen = &fs[0]
			}
		}
	}
	return l
}

// heldLocks names the locks of st, which may be nil.
func (v *Engine) heldLocks(st *held.Stack) []report.LockRef {
	if st == nil {
		return v.locksOf(nil)
	}
	return v.locksOf(st.Entries)
}

// locksOf names held entries, oldest first: never nil, as reports list
// held locks even when there are none.
func (v *Engine) locksOf(es []held.Entry) []report.LockRef {
	locks := []report.LockRef{}
	for _, e := range es {
		if e.Try && v.g.Class(e.Class).Shared {
			// The region of an event (the function of WaitGroup.Go, an
			// Event's Begin): no lock held, and no lock to list.
			continue
		}
		locks = append(locks, v.lockOf(e))
	}
	return locks
}

// recursionReport makes the report of acquisition a (of the lock lk, at
// site if rewritten code made it) of a class the goroutine holds already,
// r. tree says the class is a tree and the two instances were taken the
// other way round before. It records the order of the two instances.
func (v *Engine) recursionReport(st *held.Stack, gid int64, a graph.Acq, r *graph.Recursion, trace func() uint64, pcs []uintptr, lk unsafe.Pointer, site *Site, tree bool) report.Report {
	fs := stack.Frames(pcs)
	held := st.Entries[r.Index]
	holding := v.lockOf(held)
	rep := report.Report{
		Version:      report.Version,
		Kind:         report.Recursive,
		Headline:     report.Recursive.Headline(),
		Goroutine:    gid,
		Lock:         v.acqLock(a, stack.First(fs)),
		Holding:      &holding,
		SameInstance: r.Same,
		Proven:       r.Same,
		HeldLocks:    v.heldLocks(st),
		Stack:        fs,
	}
	switch {
	case r.Same && a.Mode == Read && r.Held.Mode == Read:
		rep.Detail = "This read-locks the same RWMutex twice. Go's readers are not recursive: a writer waiting in between blocks this goroutine forever."
		return rep
	case r.Same:
		rep.Detail = "This is the same lock instance: the goroutine blocks forever."
		return rep
	}
	// Two instances of one class: say whether this run also took them the
	// other way round, which deadlocks for real.
	if n := v.pairs.get(a.Addr, r.Held.Addr); n != nil && a.Addr != 0 {
		rep.Proven = true
		rep.Opposite = &report.Dependency{Class: holding.Class, Mode: holding.Mode, After: rep.Lock.Class, Goroutine: n.gid, Stack: v.frames(n.trace)}
		rep.Detail = "Both locks are of the same class, and this run also took these two instances in the opposite order (below): two goroutines doing both deadlock."
		if tree {
			rep.Detail = "The class is a tree: its locks nest parent to child. This run took these two locks in both orders (the other below): two goroutines doing both deadlock."
		}
	} else {
		rep.Detail = "Both locks are of the same class: two goroutines taking two of them in opposite orders deadlock. This run did not take these two instances in the opposite order."
	}
	if a.Addr != 0 && v.pairs.get(r.Held.Addr, a.Addr) == nil {
		v.pairs.add(r.Held.Addr, lk, gid, trace())
	}
	if tree {
		return rep
	}
	switch {
	case site != nil && (site.Nested != 0 || held.At.Static == siteRef(site)):
		// A directive on the line would not help: the same line takes
		// both locks (a walk down a tree), or it is there already.
		rep.Advice = "If locks of this class nest parent to child (a tree, a list walked hand over hand), declare it once with a //lockdep:tree comment on the declaration of the lock (the field or the type): the validator then checks that no two of them are ever taken in both orders."
	case site != nil:
		rep.Advice = "May be due to missing lock nesting notation: if the nesting is deliberate, mark the inner Lock with a //lockdep:nested comment, or, if locks of this class nest parent to child (a tree), declare it once with a //lockdep:tree comment on the declaration of the lock."
	default:
		rep.Advice = "May be due to missing lock nesting notation: if the nesting is deliberate, take the inner lock with LockNested, or, if locks of this class nest parent to child (a tree), give them a class made with NewTreeClass."
	}
	return rep
}

// acquisition is what a cycle's report says about the acquisition that
// found it.
func (v *Engine) acquisition(st *held.Stack, gid int64, a graph.Acq, cy *graph.Cycle, pcs []uintptr) *reporting.Acquisition {
	fs := stack.Frames(pcs)
	acq := &reporting.Acquisition{
		Goroutine: gid,
		Lock:      v.acqLock(a, stack.First(fs)),
		HeldLocks: v.heldLocks(st),
		Stack:     fs,
	}
	if cy.New.To == a.Class {
		// The new dependency closes the cycle: name the held lock it
		// comes from.
		for i := len(st.Entries) - 1; i >= 0; i-- {
			if e := st.Entries[i]; e.Class == cy.New.From {
				l := v.lockOf(e)
				acq.Holding = &l
				break
			}
		}
	}
	return acq
}

// opReport is a finding about one operation of the calling goroutine on a
// lock of class c (a bad unlock, an assertion, a bad subclass), recorded
// and delivered at once.
func (v *Engine) opReport(kind report.Kind, st *held.Stack, gid int64, c *Class, mode string, pc uintptr, site *Site, detail string, rel *report.ReleaseSite) {
	fs := stack.Frames(stack.Capture(2))
	at := siteFrame(held.Site{PC: pc, Static: siteRef(site)})
	if at == nil {
		at = stack.First(fs)
	}
	id := v.classID(c, 0)
	v.mu.Lock()
	name := c.name
	if id != 0 {
		name = v.className(id)
	}
	rep := report.Report{
		Version:     report.Version,
		Kind:        kind,
		Headline:    kind.Headline(),
		Goroutine:   gid,
		Lock:        report.LockRef{Class: name, Mode: mode, At: at},
		Detail:      detail,
		LastRelease: rel,
		HeldLocks:   v.heldLocks(st),
		Stack:       fs,
	}
	v.record(rep)
	v.mu.Unlock()
	v.deliver()
}

// badUnlock reports unlocking a lock that is not held (in mode), with the
// goroutine's last release of it if it remembers one.
func (v *Engine) badUnlock(st *held.Stack, gid int64, addr uintptr, c *Class, mode graph.Mode, pc uintptr, site *Site, detail string) {
	var rel *report.ReleaseSite
	if st != nil {
		if r, ok := st.LastRelease(addr); ok {
			rel = &report.ReleaseSite{Goroutine: gid, At: siteFrame(r.Rel), Acquired: siteFrame(r.At)}
		}
	}
	v.opReport(report.BadUnlock, st, gid, c, reporting.ModeName(mode, false), pc, site, detail, rel)
}

// AssertFailed reports a failed assertion about the calling goroutine and
// the lock of class c.
func (v *Engine) AssertFailed(c *Class, mode string, pc uintptr, detail string) {
	gid := v.table.ID()
	v.opReport(report.Assertion, v.table.Lookup(gid), gid, c, mode, pc, nil, detail, nil)
}

func (v *Engine) badSubclass(c *Class, sub int, mode graph.Mode, pc uintptr, site *Site) {
	gid := v.table.ID()
	detail := fmt.Sprintf("Subclass %d is out of range: LockNested takes 0 to %d. The lock is validated as subclass %d.", sub, MaxSubclasses-1, MaxSubclasses-1)
	v.opReport(report.BadSubclass, v.table.Lookup(gid), gid, c, reporting.ModeName(mode, false), pc, site, detail, nil)
}

// record keeps a finding unless the same problem was reported before, and
// queues it for delivery if it is new. Called with mu held.
//
// Recorded means delivered: a finding leaves the outbox only through
// deliver, which every operation that may have recorded one calls once it
// holds no lock of the engine, and so does the end of the process. A
// path that forgets to call it delays a finding, and never loses it.
func (v *Engine) record(r report.Report) {
	k := reporting.Key(&r)
	if v.seen[k] {
		return
	}
	v.seen[k] = true
	v.findings = append(v.findings, r)
	v.outbox = append(v.outbox, r)
	v.queued.Store(true)
	v.changed()
	if v.rec != nil {
		v.rec.Write(events.Event{Finding: r.JSON()})
	}
}

// Deliver delivers the findings recorded and not delivered yet; Release
// asks for it once the real unlock is done (see UnlockMutex).
func (v *Engine) Deliver() { v.deliver() }

// deliver takes the findings out of the outbox and gives them to the
// host, with no lock held.
func (v *Engine) deliver() {
	if !v.queued.Load() {
		return
	}
	v.mu.Lock()
	reps := v.outbox
	v.outbox = nil
	v.queued.Store(false)
	v.mu.Unlock()
	if len(reps) > 0 {
		v.host.Emit(reps)
	}
}
