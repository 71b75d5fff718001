package engine

import (
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/stack"
)

// Events are ordered like locks (see the lockdep package documentation,
// "Waits that are not locks"). An event has a class, as a lock has, and
// two sides:
//
//   - a wait for it (WaitGroup.Wait, a receive that blocks) depends on
//     it: every lock the waiting goroutine holds comes before it, as if
//     the goroutine took the event's lock (Wait);
//   - making it (Done, a send, Signal) comes after the locks the goroutine
//     that makes it took since its start or its previous signal, and
//     those it holds: they come after the event, as if the goroutine had
//     held the event's lock while it took them (Signal). What it took is
//     read from its held stack (held.Stack.Recent): the last lock released
//     at each depth, the last eight of other classes that a push at their
//     depth overwrote, and the last few released from below the top.
//
// A wait under L for an event whose maker takes L first is then the
// cycle L → E → L, reported on a run in which the wait returned at once.
// A goroutine does not wait for an event it made itself (a receive after
// its own close, a Wait after its own Done): its wait adds nothing.

// Signal validates making the event at lk, of class c (nil: site's), by
// the calling goroutine, at pc or site: the locks the goroutine took
// since its start or its previous signal, and those it holds, come after
// the event. A cycle that closes is reported as any circular dependency;
// the acquisition it names is the lock taken, held after the event.
func (v *Engine) Signal(lk unsafe.Pointer, c *Class, pc uintptr, site *Site) {
	id := v.eventID(c, site)
	if id == 0 {
		return
	}
	gid, st := v.table.Current()
	if st == nil {
		st = v.table.Get(gid)
	}
	st.Signal(id)
	after := st.Recent(st.Scratch[:0])
	for i := range st.Entries {
		if r, ok := st.Entries[i].Recent(); ok {
			after = append(after, r)
		}
	}
	// The buffer is the goroutine's to reuse: kept before any return (no
	// defer on this path), and read-only from here on.
	st.Scratch = after[:0]
	if len(after) == 0 && !v.isWatched(id) {
		return // nothing taken since the last event: no dependency
	}
	ev := graph.Acq{Class: id, Mode: Write}
	base := graph.ChainKey(0, ev)
	miss := false
	for _, r := range after {
		if r.Class == id {
			continue
		}
		if _, ok := v.g.Chains.Lookup(graph.ChainKey(base, graph.Acq{Class: r.Class, Mode: r.Mode})); !ok {
			miss = true
			break
		}
	}
	if !miss && !v.isWatched(id) {
		return
	}
	v.signalMiss(st, gid, lk, ev, after, pc, site)
	v.deliver()
}

// signalMiss records the dependencies of the event at lk, of class
// ev.Class, on the locks after, those not cached yet, and the findings
// they make; it notes the event's instance for each (see throughs.go).
func (v *Engine) signalMiss(st *held.Stack, gid int64, lk unsafe.Pointer, ev graph.Acq, after []held.Recent, pc uintptr, site *Site) {
	pcs := stack.Capture(2)
	at := held.Site{PC: pc, Static: siteRef(site)}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dead.Load() {
		return
	}
	base := graph.ChainKey(0, ev)
	done := map[graph.Acq]bool{}
	var u *evUse
	if lk != nil {
		u = v.eventUse(uintptr(lk), lk, ev.Class)
	}
	for _, r := range after {
		r := r // the run-time module is built at go 1.18: trace refers to it
		m := graph.Acq{Class: r.Class, Mode: r.Mode}
		if r.Class == ev.Class || done[m] {
			continue
		}
		done[m] = true
		if u != nil {
			v.noteSide(u, ev.Class, r.Class, r.Addr, false)
		}
		key := graph.ChainKey(base, m)
		if _, ok := v.g.Chains.Lookup(key); ok {
			continue
		}
		// The trace of the dependency: where the lock was taken, then
		// the stack that made the event.
		var tid uint64
		trace := func() uint64 {
			if tid == 0 {
				tid = v.addTrace(append([]uintptr{r.PC}, pcs...))
			}
			return tid
		}
		res, err := v.g.Validate([]graph.Acq{ev}, m, gid, trace)
		if err != nil {
			v.stopLocked(err)
			return
		}
		for _, d := range res.Deps {
			if d.Added {
				// Made by the event, not by a hold: confirmed now.
				v.logDep(dep{d.Edge, d.Mode})
				v.changed()
			}
		}
		if tid != 0 {
			if _, ok := v.heldAt[tid]; !ok {
				v.heldAt[tid] = v.heldLocks(st)
			}
		}
		var fs []*finding
		for _, cy := range res.Cycles {
			acq := &reporting.Acquisition{
				Goroutine: gid,
				Lock:      v.acqLock(m, stack.First(stack.Frames([]uintptr{r.PC}))),
				HeldLocks: v.heldLocks(st),
				Stack:     stack.Frames(pcs),
			}
			if cy.New.From == ev.Class {
				h := v.acqLock(ev, siteFrame(at))
				acq.Holding = &h
			}
			fs = append(fs, &finding{rep: reporting.CycleReport(v.g, cy, v, acq), edges: cy.Edges(), acq: acq})
		}
		pending := false
		for _, f := range fs {
			switch f, vd := v.judge(f); vd {
			case confirmed:
				v.recordFinding(f)
			case waiting:
				pending = true
				if !v.seen[reporting.Key(&f.rep)] {
					v.wait(f)
				}
			}
		}
		if len(fs) == 0 && !pending {
			if err := v.g.Chains.Insert(key, trace()); err != nil {
				v.stopLocked(err)
				return
			}
		}
	}
}

// Wait validates a wait of the calling goroutine, at pc or site, for the
// event of class c (nil: site's) at lk: every lock it holds comes before
// the event. A lock the wait itself releases while it waits (a Cond's L)
// is at except, or except is 0. A goroutine that made the event itself does
// not wait for it, and one inside a region of another event of the same
// class (see lockdepimpl.WGGo) does not wait for its own: nothing is
// recorded.
func (v *Engine) Wait(lk unsafe.Pointer, c *Class, except uintptr, pc uintptr, site *Site) {
	id := v.eventID(c, site)
	if id == 0 {
		return
	}
	gid, st := v.table.Current()
	if st == nil {
		st = v.table.Get(gid)
	}
	st.Waiting(id, pc)
	if st.Signalled(id) {
		return
	}
	for j := range st.Entries {
		if e := &st.Entries[j]; e.Class == id && e.Addr != uintptr(lk) {
			// Inside a region of another event of the class (the
			// function of a WaitGroup's Go waits for a WaitGroup of its
			// own, of the same class: a parallel walk): no recursion,
			// and nothing to record.
			return
		}
	}
	if v.isWatched(id) && len(st.Entries) > 0 {
		v.noteWait(st, lk, id, except)
	}
	i := -1
	if except != 0 {
		for j := range st.Entries {
			if st.Entries[j].Addr == except {
				i = j
			}
		}
	}
	if i < 0 {
		// A chain seen before needs nothing: the wait is never held, so
		// it need not be pushed and popped (mightLock) to be validated.
		a := graph.Acq{Class: id, Mode: Write, Addr: uintptr(lk)}
		if !st.Holds(a.Addr) && len(st.Entries) < v.table.MaxDepth() && !v.timing.Load() {
			if val, hit := v.g.Chains.Lookup(graph.ChainKey(st.Top(), a)); hit && val&treeChain == 0 {
				return
			}
		}
	}
	if c == nil {
		c = site.ClassOf()
	}
	if i < 0 {
		v.mightLock(lk, c, Write, pc, site)
		return
	}
	// Validated without the lock the wait releases, which goes back on
	// top: where the wait will take it again.
	e := st.Entries[i]
	st.Remove(i, held.Site{})
	v.mightLock(lk, c, Write, pc, site)
	st.Reinsert(e)
}

// EndRegion ends the hold of the pseudo-lock at addr, of class c, that
// a region of an event (an Event's Begin, the function of WaitGroup.Go)
// or a Do of a Once took, at pc or site, and delivers what that
// confirmed. There is no real lock behind it: a release by another
// goroutine than the one that began the region is a hand-off.
func (v *Engine) EndRegion(addr uintptr, c *Class, pc uintptr, site *Site) {
	if v.Release(addr, c, Write, pc, site, EventLock{}) {
		v.Deliver()
	}
}
