// Package held keeps each goroutine's stack of held locks and knows
// goroutine identity.
//
// A goroutine's stack is private to it: only the owning goroutine reads or
// writes its entries, so the fast path takes no lock and executes no
// atomic read-modify-write. A Table maps goroutine IDs to stacks through a
// fixed array of slots, probed from a hash of the ID.
//
// Two things cross goroutines, both through atomics:
//
//   - A slot whose window is full is taken over (stolen) by a new
//     goroutine. Goroutine exit is invisible, so the victim may still run;
//     it finds on its next operation that the slot is no longer its own and
//     starts a new stack. What it held is then forgotten: the validator can
//     miss findings in that goroutine, never make false ones.
//   - An unlock by another goroutine than the holder (legal in Go) posts a
//     release to a shared list; the holder applies it before its next
//     operation, so no dependency is ever recorded from a lock it no longer
//     holds.
package held

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/petermattis/goid"
)

// Site is where a lock operation was made: the return address into the
// code that called it (PC, 0 if unknown), and for rewritten code the
// static record of the call site (Static, opaque to this package).
type Site struct {
	PC     uintptr
	Static unsafe.Pointer
}

// Entry is one held lock.
type Entry struct {
	graph.Acq
	Key uint64 // chain key of the held sequence up to and including this entry
	At  Site   // where it was acquired
	// Hold is opaque to this package: the validator's record of what the
	// hold supports, set only by the goroutine itself, on a slow path.
	Hold unsafe.Pointer
	// T is when the lock was held, in Unix nanoseconds, while lock
	// statistics are on; 0 otherwise.
	T   int64
	seq uint64 // the last posted release seen when it was pushed
	rel Site   // where it was released, once popped (see Remove)
}

// Stack is one goroutine's held locks, oldest first. Only its goroutine
// uses it, except Gid, which never changes.
type Stack struct {
	Entries []Entry
	Gid     int64
	t       *Table

	seen    *releases // the pending releases already applied
	deepest int       // the most entries it has had

	// released remembers the goroutine's last few releases from below
	// the top, for reports of unlocking a lock that is not locked.
	released [4]Released
	nrel     uint

	// relFrom is nrel at the goroutine's last signal (see Recent);
	// evicted keeps the popped entries that pushes of other classes
	// overwrote since, nevict in all; signalled are the events it made
	// last (see Signalled).
	relFrom   uint
	evicted   [8]Recent
	nevict    uint32
	evictFrom uint32
	signalled [4]graph.ClassID
	nsig      uint32
	// waitingFor is the event the goroutine waited for last (see
	// Waiting): for the held-lock dump, which shows it while the
	// goroutine is blocked in a wait of its kind.
	waitingFor Recent
	// Scratch is the owner's to reuse, for the acquisitions a signal
	// counts: no buffer to clear or allocate per signal.
	Scratch []Recent
}

// Waiting notes that the goroutine is about to wait for event class c,
// at pc.
func (s *Stack) Waiting(c graph.ClassID, pc uintptr) {
	s.waitingFor = Recent{Class: c, PC: pc}
}

// Recent is an acquisition remembered for the goroutine's next signal
// or for the event it waits for: its class, mode, where it was made and
// its lock (by address; 0 for an event waited for). A trylock is never
// one: it makes no dependency into its lock. Four fields, so that the
// compiler keeps one in registers: a fifth put every copy through
// memory, and cost a signal about 15 ns.
type Recent struct {
	Class graph.ClassID
	Mode  graph.Mode
	PC    uintptr
	Addr  uintptr
}

// Recent is the acquisition of e, as a signal counts it; ok is false
// for a trylock, which a signal does not count.
func (e *Entry) Recent() (r Recent, ok bool) {
	return Recent{Class: e.Class, Mode: e.Mode, PC: e.At.PC, Addr: e.Addr}, !e.Try
}

// Released is a release remembered: the lock, where it was acquired and
// where it was released.
type Released struct {
	graph.Acq
	At, Rel Site
}

// Top returns the chain key of the whole stack (0 when empty).
func (s *Stack) Top() uint64 {
	if len(s.Entries) == 0 {
		return 0
	}
	return s.Entries[len(s.Entries)-1].Key
}

// Acqs appends the held acquisitions to dst.
func (s *Stack) Acqs(dst []graph.Acq) []graph.Acq {
	for i := range s.Entries {
		dst = append(dst, s.Entries[i].Acq)
	}
	return dst
}

// waiting is the seq of an entry whose lock is not held yet: its
// goroutine pushed it before blocking in Lock. No release applies to it.
const waiting = ^uint64(0)

// Push adds an entry on top for a lock about to be acquired; Held marks
// it held once the lock is. A goroutine waiting for a lock does not hold
// it, so a release posted meanwhile must not apply to the entry.
func (s *Stack) Push(a graph.Acq, key uint64, at Site) {
	n := len(s.Entries)
	if n == cap(s.Entries) {
		s.Entries = append(s.Entries, Entry{})
	} else {
		s.Entries = s.Entries[:n+1]
	}
	// Field by field, which is cheaper than a composite literal; rel is
	// set when the entry is popped.
	e := &s.Entries[n]
	e.Acq, e.Key, e.At, e.Hold, e.T, e.seq = a, key, at, nil, 0, waiting
	if n >= s.deepest {
		s.deepest = n + 1
	}
}

// consumed is the seq of a popped entry that a signal counted already
// (see Recent).
const consumed = waiting - 1

// Overwriting is called before a push of a: if the popped entry it is
// about to overwrite is of another class and not counted by a signal
// yet, it is kept for the next one (see Recent). A lock taken again and
// again at one depth costs a comparison.
func (s *Stack) Overwriting(a graph.Acq) {
	// Below deepest is below the capacity too: the array never shrinks.
	if n := len(s.Entries); n < s.deepest {
		if e := &s.Entries[:n+1][n]; e.Class != a.Class && e.seq != consumed {
			s.evict(e)
		}
	}
}

func (s *Stack) evict(e *Entry) {
	if e.Class == 0 { // cleared by Remove
		return
	}
	if r, ok := e.Recent(); ok {
		s.evicted[s.nevict%uint32(len(s.evicted))] = r
		s.nevict++
	}
}

// Unrecent forgets the entry popped last, for an acquisition validated
// and never made (MightLock): it is no lock taken for the next signal.
func (s *Stack) Unrecent() {
	if n := len(s.Entries); n < cap(s.Entries) {
		s.Entries[:n+1][n].seq = consumed
	}
}

// Recent appends to dst the locks the goroutine took and released since
// its last signal, as far as it remembers them, and starts a new period:
// the next call returns only those taken after this one. It remembers
// the last lock released at each depth of its stack (popped entries stay
// in the stack's array until a push overwrites them), the last few such
// entries that pushes of another class overwrote (see Overwriting), and
// its last few releases from below the top.
func (s *Stack) Recent(dst []Recent) []Recent {
	if s.nrel == s.relFrom && s.nevict == s.evictFrom && len(s.Entries) >= s.deepest {
		return dst // nothing released since: the common case of a signal
	}
	return s.recent(dst)
}

func (s *Stack) recent(dst []Recent) []Recent {
	n, end := len(s.Entries), s.deepest // never pushed beyond deepest
	if end > cap(s.Entries) {
		end = cap(s.Entries)
	}
	if end < n {
		end = n
	}
	above := s.Entries[n:end]
	for i := range above {
		if e := &above[i]; e.seq != consumed && e.Class != 0 {
			if r, ok := e.Recent(); ok {
				dst = append(dst, r)
			}
			e.seq = consumed
		}
	}
	start := s.evictFrom
	if nv := uint32(len(s.evicted)); s.nevict-start > nv {
		start = s.nevict - nv
	}
	for j := start; j != s.nevict; j++ {
		dst = append(dst, s.evicted[j%uint32(len(s.evicted))])
	}
	s.evictFrom = s.nevict
	k := uint(len(s.released))
	if s.nrel-s.relFrom < k {
		k = s.nrel - s.relFrom
	}
	for j := s.nrel - k; j != s.nrel; j++ {
		if e := &s.released[j%uint(len(s.released))]; !e.Try {
			dst = append(dst, Recent{Class: e.Class, Mode: e.Mode, PC: e.At.PC, Addr: e.Addr})
		}
	}
	s.relFrom = s.nrel
	return dst
}

// Signal notes that the goroutine made event class c.
func (s *Stack) Signal(c graph.ClassID) {
	if s.Signalled(c) {
		return
	}
	s.signalled[s.nsig%uint32(len(s.signalled))] = c
	s.nsig++
}

// Signalled reports whether the goroutine made event class c, among the
// last few it made.
func (s *Stack) Signalled(c graph.ClassID) bool {
	for _, x := range s.signalled {
		if x == c && c != 0 {
			return true
		}
	}
	return false
}

// Reinsert pushes e, an entry Remove took off this stack, back on top,
// as it was held: a lock the goroutine held all along, that a wait was
// validated without (Cond.Wait releases its own lock while it waits).
func (s *Stack) Reinsert(e Entry) {
	e.Key = graph.ChainKey(s.Top(), e.Acq)
	s.Entries = append(s.Entries, e)
	if len(s.Entries) > s.deepest {
		s.deepest = len(s.Entries)
	}
}

// Held marks the top entry, pushed by Push, as held: releases posted
// from now on apply to it. A nil Stack does nothing.
func (s *Stack) Held() {
	if s != nil && len(s.Entries) > 0 {
		s.Entries[len(s.Entries)-1].seq = s.t.pending.Load().seq
	}
}

// Holds reports whether the stack has an entry for addr, in any mode.
func (s *Stack) Holds(addr uintptr) bool {
	for i := range s.Entries {
		if s.Entries[i].Addr == addr {
			return true
		}
	}
	return false
}

// Find returns the index of the most recent entry for addr held in mode,
// or -1.
func (s *Stack) Find(addr uintptr, mode graph.Mode) int {
	for i := len(s.Entries) - 1; i >= 0; i-- {
		if e := &s.Entries[i]; e.Addr == addr && e.Mode == mode {
			return i
		}
	}
	return -1
}

// Remove drops entry i, released at rel, recomputes the chain keys above
// it and remembers the release.
func (s *Stack) Remove(i int, rel Site) {
	if i == len(s.Entries)-1 {
		// The entry stays in the backing array above len until a push
		// overwrites it: LastRelease looks there. Copying it out costs
		// as much as the rest of the fast path.
		s.Entries[i].rel = rel
		s.Entries = s.Entries[:i]
	} else {
		e := &s.Entries[i]
		s.released[s.nrel%uint(len(s.released))] = Released{Acq: e.Acq, At: e.At, Rel: rel}
		s.nrel++
		n := len(s.Entries)
		copy(s.Entries[i:], s.Entries[i+1:])
		s.Entries[n-1] = Entry{} // a copy of the top, still held: not a release
		s.Entries = s.Entries[:n-1]
		prev := uint64(0)
		if i > 0 {
			prev = s.Entries[i-1].Key
		}
		for j := i; j < len(s.Entries); j++ {
			s.Entries[j].Key = graph.ChainKey(prev, s.Entries[j].Acq)
			prev = s.Entries[j].Key
		}
	}
}

// LastRelease returns a recent release of addr by this goroutine.
func (s *Stack) LastRelease(addr uintptr) (Released, bool) {
	if addr == 0 {
		return Released{}, false
	}
	for _, e := range s.Entries[len(s.Entries):cap(s.Entries)] {
		if e.Addr == addr {
			return Released{Acq: e.Acq, At: e.At, Rel: e.rel}, true
		}
	}
	n := uint(len(s.released))
	for k := uint(1); k <= n && k <= s.nrel; k++ {
		if e := s.released[(s.nrel-k)%n]; e.Addr == addr {
			return e, true
		}
	}
	return Released{}, false
}

type slot struct {
	owner atomic.Int64 // goroutine ID; 0 = free
	st    atomic.Pointer[Stack]
	_     [48]byte // one slot per cache line: owners never share one
}

// Table is the goroutine → held stack map.
type Table struct {
	slots    []slot
	mask     uint64
	maxDepth int
	fast     bool

	pending atomic.Pointer[releases]
	postMu  sync.Mutex // serialises Post
	// posted is, under postMu, the seq of the newest release posted per
	// lock and mode, for ReleasedAfter; postedFloor is the seq up to
	// which it forgot them (see maxPosted).
	posted      map[addrMode]uint64
	postedFloor uint64
}

type addrMode struct {
	addr uintptr
	mode graph.Mode
}

// maxPosted bounds the locks posted remembers; beyond it, it forgets
// them all, and ReleasedAfter answers yes for every entry held before.
const maxPosted = 4096

// window is how many slots a goroutine may probe from its home slot.
const window = 16

// NewTable returns a table of about size slots (rounded up to a power of
// two) for stacks of at most maxDepth locks. It checks the fast
// goroutine-ID source against the slow path and uses it only if they
// agree.
func NewTable(size, maxDepth int) *Table {
	n := 64
	for n < size {
		n <<= 1
	}
	t := &Table{slots: make([]slot, n), mask: uint64(n - 1), maxDepth: maxDepth, fast: verifyFast()}
	t.pending.Store(&releases{})
	return t
}

// ID returns the calling goroutine's ID.
func (t *Table) ID() int64 {
	if t.fast {
		return goid.Get()
	}
	return slowID()
}

// MaxDepth returns the held-depth bound.
func (t *Table) MaxDepth() int { return t.maxDepth }

func (t *Table) home(gid int64) uint64 {
	return (uint64(gid) * 0x9e3779b97f4a7c15 >> 20) & t.mask
}

// Current returns the calling goroutine's ID and stack, or nil if it has
// none, with the releases other goroutines posted for it applied: ID and
// Lookup in one call, with the common case (the stack in its home slot,
// nothing posted since) first.
func (t *Table) Current() (int64, *Stack) {
	var gid int64
	if t.fast {
		gid = goid.Get()
	} else {
		gid = slowID()
	}
	s := &t.slots[t.home(gid)]
	if st := s.st.Load(); st != nil && st.Gid == gid && st.seen == t.pending.Load() && s.owner.Load() == gid {
		return gid, st
	}
	return gid, t.Lookup(gid)
}

// Lookup returns goroutine gid's stack, or nil if it has none, with the
// releases other goroutines posted for it applied. Only gid calls it.
func (t *Table) Lookup(gid int64) *Stack {
	h := t.home(gid)
	for i := uint64(0); i < window; i++ {
		s := &t.slots[(h+i)&t.mask]
		if s.owner.Load() != gid {
			continue
		}
		// The slot may have been stolen since: the stack says whose it is.
		if st := s.st.Load(); st != nil && st.Gid == gid {
			t.Apply(st)
			return st
		}
		return nil
	}
	return nil
}

// Get returns the calling goroutine's stack, making one if needed. It
// never fails: a full window gives up one of its slots.
func (t *Table) Get(gid int64) *Stack {
	if st := t.Lookup(gid); st != nil {
		return st
	}
	h := t.home(gid)
	p := t.pending.Load()
	n := 8
	if t.maxDepth < n {
		n = t.maxDepth
	}
	st := &Stack{Gid: gid, t: t, Entries: make([]Entry, 0, n), seen: p}
	for {
		for i := uint64(0); i < window; i++ {
			s := &t.slots[(h+i)&t.mask]
			if s.owner.Load() == 0 && s.owner.CompareAndSwap(0, gid) {
				s.st.Store(st)
				return st
			}
		}
		// Steal a slot of the window, chosen by the ID.
		s := &t.slots[(h+uint64(gid)%window)&t.mask]
		if o := s.owner.Load(); o != 0 && s.owner.CompareAndSwap(o, gid) {
			s.st.Store(st)
			return st
		}
	}
}

// releases is an immutable list of releases posted by goroutines that
// unlocked a lock they did not hold.
type releases struct {
	list []*release
	seq  uint64 // the seq of the newest release
}

type release struct {
	addr    uintptr
	mode    graph.Mode
	hold    unsafe.Pointer // if set, the release is of the entry with this Hold
	seq     uint64
	claimed atomic.Bool
}

// maxPending bounds the list of unclaimed releases; beyond it the oldest
// are dropped (their holder did not run a lock operation in the meantime,
// typically because it exited). It also bounds the work of a post and of
// a goroutine's first operation after one.
const maxPending = 256

// Post announces that addr, held in mode by some goroutine other than the
// caller, was released: by the entry whose Hold is hold, if hold is not
// nil. The holder drops the entry before its next operation.
func (t *Table) Post(addr uintptr, mode graph.Mode, hold unsafe.Pointer) {
	t.postMu.Lock()
	defer t.postMu.Unlock()
	old := t.pending.Load().list
	list := make([]*release, 0, len(old)+1)
	for _, r := range old {
		if !r.claimed.Load() {
			list = append(list, r)
		}
	}
	if len(list) >= maxPending {
		list = list[len(list)-maxPending+1:]
	}
	seq := t.pending.Load().seq + 1
	list = append(list, &release{addr: addr, mode: mode, hold: hold, seq: seq})
	t.pending.Store(&releases{list: list, seq: seq})
	if t.posted == nil || len(t.posted) >= maxPosted {
		t.posted, t.postedFloor = map[addrMode]uint64{}, seq-1
	}
	t.posted[addrMode{addr, mode}] = seq
}

// ReleasedAfter reports whether a release of e's lock, in e's mode, was
// posted after e was held: for the entries of a goroutine that is gone,
// which applies no release any more. The release may have been of another
// goroutine's entry for the same lock: the answer is yes when in doubt.
func (t *Table) ReleasedAfter(e *Entry) bool {
	t.postMu.Lock()
	defer t.postMu.Unlock()
	return e.seq < t.postedFloor || t.posted[addrMode{e.Addr, e.Mode}] > e.seq
}

// Free gives up the slot of st, whose goroutine is ending: its stack is
// forgotten, and the slot is free for another goroutine. Only st's
// goroutine calls it.
func (t *Table) Free(st *Stack) {
	h := t.home(st.Gid)
	for i := uint64(0); i < window; i++ {
		s := &t.slots[(h+i)&t.mask]
		if s.st.Load() != st {
			continue
		}
		// The stack goes first: a goroutine that steals the slot
		// meanwhile stores its own, which this must not overwrite.
		if s.st.CompareAndSwap(st, nil) {
			s.owner.CompareAndSwap(st.Gid, 0)
		}
		return
	}
}

// Apply drops the entries of st that releases posted since st last looked
// name. The owner calls it; Lookup does too.
func (t *Table) Apply(st *Stack) {
	if p := t.pending.Load(); p != st.seen {
		t.apply(st, p)
	}
}

// apply drops the entries of st that posted releases name. A release
// applies only to an entry pushed before it was posted: a goroutine that
// took the lock after the release holds it anew.
func (t *Table) apply(st *Stack, p *releases) {
	st.seen = p
	if len(st.Entries) == 0 {
		return // nothing held: nothing to release
	}
	for _, r := range p.list {
		if r.claimed.Load() {
			continue
		}
		for i := len(st.Entries) - 1; i >= 0; i-- {
			e := &st.Entries[i]
			if e.Addr == r.addr && e.Mode == r.mode && e.seq < r.seq && (r.hold == nil || r.hold == e.Hold) {
				if r.claimed.CompareAndSwap(false, true) {
					st.Remove(i, Site{})
				}
				break
			}
		}
	}
}
