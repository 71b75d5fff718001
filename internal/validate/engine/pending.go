package engine

import (
	"fmt"
	"slices"
	"time"
	"unsafe"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// The bookkeeping of hand-offs (see the package documentation). All of it
// is guarded by the engine's mu; the owner of a held entry reads its
// Hold pointer without the lock, only to know whether to take it.

type holdState uint8

const (
	holding   holdState = iota
	released            // by the goroutine that took it: its dependencies are real
	handedOff           // by another goroutine: they may not be
)

// A hold is a held entry that made or supports a pending dependency, or
// that a pending recursion finding rests on.
type hold struct {
	gid   int64
	addr  uintptr
	mode  graph.Mode
	state holdState
	deps  []dep // pending dependencies it supports
}

// dep is one mode of one edge.
type dep struct {
	e    *graph.Edge
	mode graph.Mode
}

type addrMode struct {
	addr uintptr
	mode graph.Mode
}

// A finding waits in pending until what it rests on is confirmed.
type finding struct {
	rep   report.Report
	edges []*graph.Edge // a cycle: each edge must block by confirmed modes
	hold  *hold         // a recursion: the hold must end by its owner
	// acq is, for a cycle, what the report says about the acquisition
	// that found it, kept to describe another cycle the same edge closes.
	acq *reporting.Acquisition
	// avoid are, for a cycle found in place of one folded as a nesting,
	// dependencies that cycle took: a search for another avoids them.
	avoid []*graph.Edge
	// exit is, for an acquisition that waits for a lock left held by a
	// goroutine that ended (see exits.go), that lock; waiter is the
	// acquiring goroutine, mode its mode, since when it started to wait.
	// Such a finding waits in its acquisition's Pending only, never in
	// pending's findings.
	exit   *exitRecord
	waiter *report.Goroutine
	mode   graph.Mode
	since  time.Time
}

type verdict uint8

const (
	waiting verdict = iota
	confirmed
	dropped // something it rests on was withdrawn
	folded  // a cycle that is a nesting of two locks of one class
)

// maxPendingFindings bounds the findings that wait at once; beyond it new
// ones are dropped (a finding is missed, never invented).
const maxPendingFindings = 1024

type pending struct {
	deps     map[dep][]*hold      // pending dependency → the holds that support it
	byAddr   map[addrMode][]*hold // holds still held, by lock
	findings []*finding
}

func newPending() pending {
	return pending{deps: map[dep][]*hold{}, byAddr: map[addrMode][]*hold{}}
}

// wait adds f to the findings that wait. Called with mu held.
func (v *Engine) wait(f *finding) bool {
	p := &v.pend
	if len(p.findings) >= maxPendingFindings {
		return false
	}
	p.findings = append(p.findings, f)
	return true
}

func (p *pending) remove(f *finding) bool {
	for i, x := range p.findings {
		if x == f {
			p.findings = append(p.findings[:i], p.findings[i+1:]...)
			return true
		}
	}
	return false
}

func (p *pending) dropHold(h *hold) {
	k := addrMode{h.addr, h.mode}
	hs := removeHold(p.byAddr[k], h)
	if len(hs) == 0 {
		delete(p.byAddr, k)
	} else {
		p.byAddr[k] = hs
	}
}

func removeHold(hs []*hold, h *hold) []*hold {
	for i, x := range hs {
		if x == h {
			return append(hs[:i], hs[i+1:]...)
		}
	}
	return hs
}

// holdOf returns the hold of the goroutine's entry i, making it on first
// use. Called with mu held, by the goroutine that owns st.
func (v *Engine) holdOf(st *held.Stack, i int) *hold {
	e := &st.Entries[i]
	if e.Hold != nil {
		return (*hold)(e.Hold)
	}
	h := &hold{gid: st.Gid, addr: e.Addr, mode: e.Mode}
	e.Hold = unsafe.Pointer(h)
	k := addrMode{e.Addr, e.Mode}
	v.pend.byAddr[k] = append(v.pend.byAddr[k], h)
	return h
}

// support records that the acquisition's dependency d rests on the held
// entry it comes from, if d is pending (new, or not confirmed yet). It
// reports whether d is pending. Called with mu held.
func (v *Engine) support(st *held.Stack, d graph.Dep) bool {
	k := dep{d.Edge, d.Mode}
	sup, isPending := v.pend.deps[k]
	if !d.Added && !isPending {
		return false // confirmed by an earlier hold
	}
	h := v.holdOf(st, d.Held)
	for _, x := range sup {
		if x == h {
			return true
		}
	}
	v.pend.deps[k] = append(sup, h)
	h.deps = append(h.deps, k)
	return true
}

// confirm ends hold h, released by the goroutine that took it: the
// dependencies it supports are real. It records the findings that were
// waiting for that.
func (v *Engine) confirm(h *hold) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if h.state != holding {
		return
	}
	h.state = released
	v.pend.dropHold(h)
	for _, d := range h.deps {
		if _, ok := v.pend.deps[d]; ok {
			delete(v.pend.deps, d)
			v.logDep(d)
			v.changed()
		}
	}
	h.deps = nil
	v.resolve()
}

// handoff records an unlock of addr by a goroutine that does not hold it,
// which is legal: the holder drops its entry before its next operation,
// and the dependencies that only that hold supported are withdrawn.
func (v *Engine) handoff(addr uintptr, mode graph.Mode) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var h *hold
	if hs := v.pend.byAddr[addrMode{addr, mode}]; len(hs) > 0 {
		// Several goroutines may read-hold addr; which hold was handed
		// over cannot be known, so the oldest is taken.
		h = hs[0]
	}
	// A lock left held by a goroutine that ended is released by its
	// record; any other is the holder's to drop (see held.Table.Post).
	if !v.takeExit(addr, mode) {
		v.table.Post(addr, mode, unsafe.Pointer(h))
	}
	if h == nil {
		return
	}
	h.state = handedOff
	v.pend.dropHold(h)
	for _, d := range h.deps {
		sup, ok := v.pend.deps[d]
		if !ok {
			continue // confirmed meanwhile by another hold
		}
		if sup = removeHold(sup, h); len(sup) > 0 {
			v.pend.deps[d] = sup
			continue
		}
		delete(v.pend.deps, d)
		v.g.Unlink(d.e, d.mode)
	}
	h.deps = nil
	// A withdrawal drops the findings that rest on it, but a cycle that
	// ran through a withdrawn dependency is searched again, and the
	// cycle found instead may be confirmed already: it is recorded now.
	v.resolve()
}

// confirmedBlocking reports whether acquiring e.To along e can block by
// modes that are confirmed.
func (v *Engine) confirmedBlocking(e *graph.Edge) bool {
	ok := func(m graph.Mode) bool {
		_, p := v.pend.deps[dep{e, m}]
		return e.Has(m) && !p
	}
	return ok(Write) || (ok(Read) && v.g.Class(e.To).Written)
}

// state judges a finding: confirmed when everything it rests on is,
// dropped when something was withdrawn.
func (v *Engine) state(f *finding) verdict {
	if h := f.hold; h != nil {
		switch h.state {
		case released:
			return confirmed
		case handedOff:
			return dropped
		}
		return waiting
	}
	res := confirmed
	for _, e := range f.edges {
		if v.g.Edge(e.From, e.To) != e || !v.g.Blocking(e) {
			return dropped
		}
		if !v.confirmedBlocking(e) {
			res = waiting
		}
	}
	if len(f.edges) > 0 && v.watchUnpassed(around(f.edges)) {
		// Through an event class that no one instance of it passes
		// yet: it waits for one (see throughs.go).
		return waiting
	}
	if len(f.edges) > 0 && !v.proven(f.edges) {
		if v.shownByNesting(f.edges) {
			return folded
		}
		// A tree's nesting walked in halves puts its first lock before
		// its last, unless the run took those two the other way round:
		// then it is an inversion, and reported.
		if chain, first, last := v.treeNesting(f.edges); chain != nil && v.pairs.get(last.secondAddr(), first) == nil {
			v.pairs.addPair(first, last.pair)
			v.addNesting(chain) // for the lockdep command's merge too
			return folded
		}
	}
	return res
}

// recordFinding records f, which is confirmed (or in progress): a cycle
// says whether the run took it on the very same locks, and whether a
// common lock guards it. Called with mu held.
func (v *Engine) recordFinding(f *finding) {
	if len(f.edges) > 0 {
		f.rep.Proven = v.proven(f.edges)
		if chain, _, _ := v.nestingOf(f.edges, func(c graph.ClassID) bool { return !v.g.Class(c).Tree }); chain != nil && !f.rep.Proven {
			f.rep.Advice = fmt.Sprintf("This run took the cycle from one lock of %s to another, each part in another goroutine. If locks of that class nest parent to child (a tree), declare it once with a //lockdep:tree comment on the declaration of the lock (the field or the type), or give them a class made with NewTreeClass: the cycle is then that tree's nesting.", v.className(chain[0]))
		}
		f.rep.GuardedBy = ""
		if g, ok := v.guardOf(f.edges); ok {
			f.rep.GuardedBy = v.className(g.class)
			if !v.seen[reporting.Key(&f.rep)] {
				v.guarded = append(v.guarded, f)
			}
		}
	}
	v.record(f.rep)
}

// unguard reports again, as plain cycles, the cycles reported as guarded
// that are guarded no more: a dependency of theirs was made without the
// guard. Called with mu held.
func (v *Engine) unguard() {
	keep := v.guarded[:0]
	for _, f := range v.guarded {
		if _, ok := v.guardOf(f.edges); ok {
			keep = append(keep, f)
			continue
		}
		n := *f
		n.rep.GuardedBy = ""
		v.recordFinding(&n)
	}
	v.guarded = keep
}

// resolve records the pending findings that are now confirmed and forgets
// those dropped. Called with mu held.
//
// A cycle dropped because one of its dependencies was withdrawn may not be
// the only cycle its closing edge makes: the search found a shortest path,
// through the withdrawn edge. The edge is searched again, and a cycle
// found now takes the dropped one's place.
func (v *Engine) resolve() {
	keep := v.pend.findings[:0]
	for _, f := range v.pend.findings {
		switch f, vd := v.judge(f); vd {
		case confirmed:
			v.recordFinding(f)
		case waiting:
			keep = append(keep, f)
		}
	}
	for i := len(keep); i < len(v.pend.findings); i++ {
		v.pend.findings[i] = nil
	}
	v.pend.findings = keep
}

// judge follows f to its verdict. A cycle dropped for a withdrawn
// dependency, or folded as a nesting, may not be the only cycle its
// closing edge makes (the search found a shortest one): the edge is
// searched again, and a cycle found takes its place. Called with mu held.
func (v *Engine) judge(f *finding) (*finding, verdict) {
	for f != nil {
		switch vd := v.state(f); vd {
		case dropped:
			f = v.research(f, f.avoid)
		case folded:
			f = v.alternative(f)
		default:
			return f, vd
		}
	}
	return nil, dropped
}

// research returns the finding of another cycle that the closing edge of
// cycle finding f makes, avoiding the dependencies avoid, or nil.
func (v *Engine) research(f *finding, avoid []*graph.Edge) *finding {
	if len(f.edges) == 0 {
		return nil
	}
	cy := v.g.CycleAvoiding(f.edges[len(f.edges)-1], func(e *graph.Edge) bool { return slices.Contains(avoid, e) })
	if cy == nil {
		return nil
	}
	n := &finding{rep: reporting.CycleReport(v.g, cy, v, f.acq), edges: cy.Edges(), acq: f.acq, avoid: avoid}
	if v.seen[reporting.Key(&n.rep)] {
		return nil
	}
	return n
}

// alternative returns the finding of a cycle that the closing edge of f,
// folded as a nesting, makes through other dependencies, or nil: one of
// f's other dependencies at a time is avoided.
func (v *Engine) alternative(f *finding) *finding {
	for _, e := range f.edges[:len(f.edges)-1] {
		if n := v.research(f, append(slices.Clip(f.avoid), e)); n != nil {
			return n
		}
	}
	return nil
}

// logDep writes a confirmed dependency to the record.
// Called with mu held.
func (v *Engine) logDep(d dep) {
	if v.rec == nil || !d.e.Has(d.mode) {
		return
	}
	ev := &events.Dependency{From: uint32(d.e.From), To: uint32(d.e.To), Mode: "W", Goroutine: d.e.Goroutine, Stack: v.frames(d.e.Trace)}
	for _, c := range d.e.Guards {
		ev.Guards = append(ev.Guards, uint32(c))
	}
	if d.mode == Read {
		ev.Mode, ev.Goroutine, ev.Stack = "R", d.e.ReadGoroutine, v.frames(d.e.ReadTrace)
	}
	tr := d.e.Trace
	if d.mode == Read {
		tr = d.e.ReadTrace
	}
	ev.Held = v.Held(tr)
	v.rec.Write(events.Event{Dependency: ev})
}
