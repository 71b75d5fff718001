// Package held keeps each goroutine's stack of held locks and knows
// goroutine identity.
//
// A Table maps goroutine IDs to slots. A goroutine claims a slot the first
// time it acquires a lock and keeps it; idle slots (no locks held) of other
// goroutines are taken over when a probe window is full, so goroutines that
// exit cost nothing. Each slot word doubles as a tiny lock: its owner sets
// the busy bit around every change, and another goroutine sets it to move
// an entry out (an unlock from another goroutine). Nothing else is locked
// while a slot is busy, and a slot is never busy while user code runs.
package held

import (
	"runtime"
	"sync/atomic"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/petermattis/goid"
)

// Entry is one held lock.
type Entry struct {
	graph.Acq
	Key  uint64 // chain key of the held sequence up to and including this entry
	Site uint64 // opaque: where it was acquired
}

// Stack is one goroutine's held locks, oldest first.
type Stack struct {
	Entries []Entry
	Gid     int64
	// released remembers the goroutine's last few releases, for reports
	// of unlocking a lock that is not locked.
	released [4]Entry
	nrel     uint
}

// Released records that e was released by this goroutine.
func (s *Stack) Released(e Entry) {
	s.released[s.nrel%uint(len(s.released))] = e
	s.nrel++
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

// Find returns the index of the most recent entry for addr held in a mode
// that matches read (RUnlock) or write (Unlock), or -1.
func (s *Stack) Find(addr uintptr, mode graph.Mode) int {
	for i := len(s.Entries) - 1; i >= 0; i-- {
		if e := &s.Entries[i]; e.Addr == addr && e.Mode == mode {
			return i
		}
	}
	return -1
}

// Remove drops entry i and recomputes the chain keys above it.
func (s *Stack) Remove(i int) Entry {
	e := s.Entries[i]
	copy(s.Entries[i:], s.Entries[i+1:])
	s.Entries = s.Entries[:len(s.Entries)-1]
	prev := uint64(0)
	if i > 0 {
		prev = s.Entries[i-1].Key
	}
	for j := i; j < len(s.Entries); j++ {
		s.Entries[j].Key = graph.ChainKey(prev, s.Entries[j].Acq)
		prev = s.Entries[j].Key
	}
	return e
}

// slot words: 0 free, gid<<1 owned and idle, gid<<1|busy owned and in use.
const busy = 1

type slot struct {
	word atomic.Uint64
	st   *Stack
	_    [48]byte // one slot per cache line: owners never share one
}

// Table is the goroutine → held stack map.
type Table struct {
	slots    []slot
	mask     uint64
	maxDepth int
	fast     bool
}

// window is how many slots a goroutine may probe from its home slot.
const window = 16

// NewTable returns a table for up to about size concurrent lock-holding
// goroutines (rounded up to a power of two), each holding at most maxDepth
// locks. It checks the fast goroutine-ID source against the slow path and
// uses it only if they agree.
func NewTable(size, maxDepth int) *Table {
	n := 64
	for n < size {
		n <<= 1
	}
	return &Table{slots: make([]slot, n), mask: uint64(n - 1), maxDepth: maxDepth, fast: verifyFast()}
}

// FastID reports whether goroutine IDs come from the verified fast source.
func (t *Table) FastID() bool { return t.fast }

// ID returns the calling goroutine's ID.
func (t *Table) ID() int64 {
	if t.fast {
		return goid.Get()
	}
	return slowID()
}

func (t *Table) home(gid int64) uint64 {
	return (uint64(gid) * 0x9e3779b97f4a7c15 >> 20) & t.mask
}

// Held is a locked view of one goroutine's stack; Release unlocks it.
type Held struct {
	*Stack
	s *slot
}

// Release makes the slot idle again.
func (h Held) Release() { h.s.word.Store(uint64(h.Gid) << 1) }

// Size returns the number of slots.
func (t *Table) Size() int { return len(t.slots) }

// MaxDepth returns the held-depth bound.
func (t *Table) MaxDepth() int { return t.maxDepth }

// Lookup locks and returns the calling goroutine's stack if it has one.
func (t *Table) Lookup(gid int64) (Held, bool) {
	idle := uint64(gid) << 1
	h := t.home(gid)
	for i := uint64(0); i < window; i++ {
		s := &t.slots[(h+i)&t.mask]
		if s.word.Load()&^busy != idle {
			continue
		}
		// Only the owner sets its own slot busy from idle, except Steal and
		// Drop from other goroutines, which are brief: spin for them.
		for !s.word.CompareAndSwap(idle, idle|busy) {
			if s.word.Load()&^busy != idle {
				return Held{}, false // taken over while idle
			}
			runtime.Gosched()
		}
		return Held{Stack: s.st, s: s}, true
	}
	return Held{}, false
}

// Claim locks and returns a stack for the calling goroutine, taking over a
// free or idle slot in its window. It reports false when the window is full
// of goroutines that hold locks.
func (t *Table) Claim(gid int64) (Held, bool) {
	if h, ok := t.Lookup(gid); ok {
		return h, true
	}
	mine := uint64(gid)<<1 | busy
	h := t.home(gid)
	for pass := 0; pass < 2; pass++ {
		for i := uint64(0); i < window; i++ {
			s := &t.slots[(h+i)&t.mask]
			w := s.word.Load()
			if w&busy != 0 {
				continue
			}
			if w != 0 {
				// Owned and idle: take it over only if it holds nothing,
				// and only on the second pass.
				if pass == 0 || !s.word.CompareAndSwap(w, w|busy) {
					continue
				}
				if len(s.st.Entries) != 0 {
					s.word.Store(w)
					continue
				}
				s.word.Store(mine)
			} else if !s.word.CompareAndSwap(0, mine) {
				continue
			}
			if s.st == nil {
				s.st = &Stack{Entries: make([]Entry, 0, min(t.maxDepth, 8))}
			}
			s.st.Gid = gid
			s.st.Entries = s.st.Entries[:0]
			return Held{Stack: s.st, s: s}, true
		}
	}
	return Held{}, false
}

// LastRelease finds a recorded release of addr, most recent first within
// each goroutine, and returns it with the releasing goroutine's ID.
func (t *Table) LastRelease(addr uintptr) (Entry, int64, bool) {
	for i := range t.slots {
		s := &t.slots[i]
		if !t.lock(s) {
			continue
		}
		st := s.st
		for k := uint(1); k <= uint(len(st.released)) && k <= st.nrel; k++ {
			if e := st.released[(st.nrel-k)%uint(len(st.released))]; e.Addr == addr {
				gid := st.Gid
				t.unlock(s)
				return e, gid, true
			}
		}
		t.unlock(s)
	}
	return Entry{}, 0, false
}

// lock sets a slot busy on behalf of another goroutine; it reports false
// for a free slot.
func (t *Table) lock(s *slot) bool {
	for {
		w := s.word.Load()
		if w == 0 {
			return false
		}
		if w&busy == 0 && s.word.CompareAndSwap(w, w|busy) {
			return true
		}
		runtime.Gosched()
	}
}

func (t *Table) unlock(s *slot) { s.word.Store(s.word.Load() &^ busy) }

// Take finds a goroutine other than self holding addr in the given mode,
// removes that entry and returns it with the holder's ID. hint, if not 0,
// is the goroutine most likely to hold it and is tried first. It is the
// slow path of an unlock by a goroutine that does not hold the lock.
func (t *Table) Take(self, hint int64, addr uintptr, mode graph.Mode) (Entry, int64, bool) {
	if hint != 0 && hint != self {
		h := t.home(hint)
		for i := uint64(0); i < window; i++ {
			if e, gid, ok := t.takeAt(&t.slots[(h+i)&t.mask], self, addr, mode); ok {
				return e, gid, true
			}
		}
	}
	for i := range t.slots {
		if e, gid, ok := t.takeAt(&t.slots[i], self, addr, mode); ok {
			return e, gid, true
		}
	}
	return Entry{}, 0, false
}

func (t *Table) takeAt(s *slot, self int64, addr uintptr, mode graph.Mode) (Entry, int64, bool) {
	if int64(s.word.Load()>>1) == self || !t.lock(s) {
		return Entry{}, 0, false
	}
	defer t.unlock(s)
	if s.st.Gid == self {
		return Entry{}, 0, false
	}
	if j := s.st.Find(addr, mode); j >= 0 {
		e := s.st.Remove(j)
		s.st.Released(e)
		return e, s.st.Gid, true
	}
	return Entry{}, 0, false
}
