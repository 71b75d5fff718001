package engine

import (
	"slices"
	"unsafe"
	"weak"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
)

// Events have instances, as locks do: a class of channels stands for
// every channel made at one declaration. A cycle through an event class
// hangs only if the goroutine that waits and the one that makes the event
// meet on one instance, so the validator remembers, per event instance,
// the classes of the locks held by its waits (X of X → E) and those taken
// before it was made (Y of E → Y), and records a through (X, E, Y) of the
// graph (graph.AddThrough) when one instance has both. A cycle found
// through an event class waits (pending) until each of its passes is a
// through, and is reported then; one that never meets on an instance is
// never reported.
//
// Waits and signals of cached chains do not reach the slow path, where
// instances are noted. An event class on a cycle that waits for a through
// is therefore watched: its waits, signals and the acquisitions inside
// its regions note their instances on every call until the run ends.

// evKey is one event instance: its address and class.
type evKey struct {
	addr  uintptr
	class graph.ClassID
}

// evUse is what the validator knows of one event instance.
type evUse struct {
	p    weak.Pointer[byte] // the instance, when known: another at its address is another
	ins  []evSide           // classes held by waits for it
	outs []evSide           // classes taken before it was made
}

// evSide is a class on one side of an event instance, and the locks of
// it seen there, by address.
type evSide struct {
	class graph.ClassID
	locks []uintptr // at most maxSideLocks; nil once there were more
	many  bool      // there were more: any two may be one
}

// add notes the lock at addr (0 if unknown: any lock), and reports
// whether it is news.
func (s *evSide) add(addr uintptr) bool {
	switch {
	case s.many || slices.Contains(s.locks, addr):
		return false
	case addr == 0 || len(s.locks) == maxSideLocks:
		s.locks, s.many = nil, true
	default:
		s.locks = append(s.locks, addr)
	}
	return true
}

// maxEventUses bounds the event instances remembered: past it, those
// collected are forgotten, then all of them.
const maxEventUses = 1 << 16

// maxEventSides bounds the classes remembered on each side of one
// instance, and maxSideLocks the locks of one such class.
const (
	maxEventSides = 32
	maxSideLocks  = 64
)

// maxEventNests bounds the nestings through events remembered: past it,
// they are forgotten.
const maxEventNests = 1 << 16

// eventUse returns the record of the event of class c at addr (lk, when
// the caller has it), making it. Called with mu held.
func (v *Engine) eventUse(addr uintptr, lk unsafe.Pointer, c graph.ClassID) *evUse {
	k := evKey{addr, c}
	u := v.evUses[k]
	if u != nil && u.p != (weak.Pointer[byte]{}) && uintptr(unsafe.Pointer(u.p.Value())) != addr {
		u = nil // that event was collected: this one is another at its address
	}
	if u == nil {
		if len(v.evUses) >= maxEventUses {
			v.sweepEvents()
		}
		u = &evUse{}
		v.evUses[k] = u
	}
	if lk != nil && u.p == (weak.Pointer[byte]{}) {
		u.p = weak.Make((*byte)(lk))
	}
	return u
}

// sweepEvents forgets the event instances that were collected, or all
// of them if that is not enough. Called with mu held.
func (v *Engine) sweepEvents() {
	for k, u := range v.evUses {
		if u.p != (weak.Pointer[byte]{}) && u.p.Value() == nil {
			delete(v.evUses, k)
		}
	}
	if len(v.evUses) >= maxEventUses*3/4 {
		v.evUses = make(map[evKey]*evUse) // the module is built at go 1.18: no clear
	}
}

// noteSide records that the lock at addr, of class x, was held by a wait
// for the event u of class e (in), or taken before u was made (!in), and
// the throughs that makes. Called with mu held.
//
// A lock of the class on the other side makes a through (x, e, x) only
// if they may be one lock, or if the run nested two of the class the
// other way round too (through another event, or as a goroutine's two
// holds). Otherwise it is a nesting, a parent that waits for a child's
// goroutine, which takes the child's lock first: on its own it cannot
// hang, as a tree's nesting cannot.
func (v *Engine) noteSide(u *evUse, e, x graph.ClassID, addr uintptr, in bool) {
	side, other := &u.outs, u.ins
	if in {
		side, other = &u.ins, u.outs
	}
	if x == e {
		return
	}
	i := slices.IndexFunc(*side, func(s evSide) bool { return s.class == x })
	fresh := i < 0
	if fresh {
		if len(*side) >= maxEventSides {
			return
		}
		*side = append(*side, evSide{class: x})
		i = len(*side) - 1
	}
	s := &(*side)[i]
	if !s.add(addr) && !fresh {
		return
	}
	added := false
	for j := range other {
		y := &other[j]
		if y.class == x {
			if !s.many && !y.many && !v.meets(addr, y.locks, in) {
				continue
			}
		} else if !fresh {
			continue // a new lock of a class known here: only its own class is news
		}
		from, to := x, y.class
		if !in {
			from, to = y.class, x
		}
		if v.g.AddThrough(from, e, to) {
			added = true
			if v.rec != nil {
				v.rec.Write(events.Event{Through: []uint32{uint32(from), uint32(e), uint32(to)}})
			}
		}
	}
	if added {
		v.resolve() // a cycle that waits may pass now
	}
}

// meets reports whether the lock at addr, held by a wait for an event
// instance (in) or taken before it was made (!in), may hang together
// with the locks of its class on the other side, others: one of them is
// that lock, or the run also nested the two the other way round. It
// remembers the nestings. Called with mu held.
func (v *Engine) meets(addr uintptr, others []uintptr, in bool) bool {
	for _, b := range others {
		wait, made := addr, b
		if !in {
			wait, made = b, addr
		}
		if wait == made || v.evNests[[2]uintptr{made, wait}] || v.pairs.get(made, wait) != nil {
			return true
		}
	}
	for _, b := range others {
		wait, made := addr, b
		if !in {
			wait, made = b, addr
		}
		if len(v.evNests) >= maxEventNests {
			v.evNests = make(map[[2]uintptr]bool) // the module is built at go 1.18: no clear
		}
		v.evNests[[2]uintptr{wait, made}] = true
	}
	return false
}

// noteDeps notes the event instances of the dependencies deps that the
// acquisition a (of lk) made while st was held: an event taken (a wait,
// a Do of a Once) is waited for under the locks held, and a lock taken
// inside an event's region (a Once's function, a WaitGroup's Go) comes
// before the event is made. Called with mu held.
func (v *Engine) noteDeps(st *held.Stack, deps []graph.Dep, a graph.Acq, lk unsafe.Pointer) {
	var to *evUse
	if v.g.Class(a.Class).Shared && a.Addr != 0 {
		to = v.eventUse(a.Addr, lk, a.Class)
	}
	for _, d := range deps {
		if to != nil {
			v.noteSide(to, a.Class, d.Edge.From, st.Entries[d.Held].Addr, true)
		}
		if from := &st.Entries[d.Held]; v.g.Class(from.Class).Shared && from.Addr != 0 {
			v.noteSide(v.eventUse(from.Addr, nil, from.Class), from.Class, a.Class, a.Addr, false)
		}
	}
}

// watchUnpassed watches the event classes a cycle (edges in the order
// they go round) passes through by no through, and reports whether
// there is one. Called with mu held.
func (v *Engine) watchUnpassed(edges []*graph.Edge) bool {
	un := v.g.Unpassed(edges)
	if len(un) == 0 {
		return false
	}
	old := v.watched.Load()
	if old != nil && !slices.ContainsFunc(un, func(c graph.ClassID) bool { return !(*old)[c] }) {
		return true
	}
	m := map[graph.ClassID]bool{}
	if old != nil {
		for c := range *old {
			m[c] = true
		}
	}
	for _, c := range un {
		m[c] = true
	}
	v.watched.Store(&m)
	v.setHitSlow()
	return true
}

// isWatched reports whether event class c is watched.
func (v *Engine) isWatched(c graph.ClassID) bool {
	w := v.watched.Load()
	return w != nil && (*w)[c]
}

// noteWait notes a wait, by the goroutine of st, for the event of class
// c at lk, while c is watched: every lock it holds but except. It
// delivers what that confirmed.
func (v *Engine) noteWait(st *held.Stack, lk unsafe.Pointer, c graph.ClassID, except uintptr) {
	v.mu.Lock()
	u := v.eventUse(uintptr(lk), lk, c)
	for i := range st.Entries {
		if e := &st.Entries[i]; e.Addr != except && !(e.Try && v.g.Class(e.Class).Shared) {
			v.noteSide(u, c, e.Class, e.Addr, true)
		}
	}
	v.mu.Unlock()
	v.deliver()
}

// noteRegions notes, while event classes are watched, an acquisition of
// class c (on top of st, its chain cached) inside regions of watched
// events: it comes before they are made.
func (v *Engine) noteRegions(st *held.Stack, c graph.ClassID) {
	w := v.watched.Load()
	if w == nil {
		return
	}
	below := st.Entries[:len(st.Entries)-1]
	in := false
	for i := range below {
		in = in || (*w)[below[i].Class]
	}
	if !in {
		return
	}
	v.mu.Lock()
	addr := st.Entries[len(st.Entries)-1].Addr
	for i := range below {
		if e := &below[i]; (*w)[e.Class] && e.Addr != 0 {
			v.noteSide(v.eventUse(e.Addr, nil, e.Class), e.Class, c, addr, false)
		}
	}
	v.mu.Unlock()
	v.deliver()
}
