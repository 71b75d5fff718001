package engine

import (
	"sync"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
)

// The operations of the validated lock types, package lockdep's and those
// of rewritten code (lockdepimpl): each validates, then does the real
// operation on the sync lock, whose address is the lock's. c is the
// lock's class, sub its subclass; the site is pc, the caller's return
// address, and site, the static record of rewritten code (nil elsewhere).

// LockMutex validates locking m, then locks it.
func (v *Engine) LockMutex(m *sync.Mutex, c *Class, sub int, pc uintptr, site *Site) {
	st, p := v.Acquire(unsafe.Pointer(m), c, sub, Write, false, pc, site)
	if p == nil {
		m.Lock()
	} else {
		v.Settle(st, p, (*MutexLock)(m))
	}
	st.Held()
}

// LockRW validates locking rw in mode, then locks it.
func (v *Engine) LockRW(rw *sync.RWMutex, c *Class, sub int, mode graph.Mode, pc uintptr, site *Site) {
	st, p := v.Acquire(unsafe.Pointer(rw), c, sub, mode, false, pc, site)
	switch {
	case p != nil && mode == Read:
		v.Settle(st, p, (*RLock)(rw))
	case p != nil:
		v.Settle(st, p, (*RWLock)(rw))
	case mode == Read:
		rw.RLock()
	default:
		rw.Lock()
	}
	st.Held()
}

// Tried validates a successful TryLock (or TryRLock, in mode Read) of the
// lock lk.
func (v *Engine) Tried(lk unsafe.Pointer, c *Class, sub int, mode graph.Mode, pc uintptr, site *Site) {
	st, _ := v.Acquire(lk, c, sub, mode, true, pc, site)
	st.Held()
}

// UnlockMutex validates unlocking m, unlocks it, then delivers what the
// release confirmed.
func (v *Engine) UnlockMutex(m *sync.Mutex, c *Class, pc uintptr, site *Site) {
	deliver := v.Release(addrOf(m), c, Write, pc, site, (*MutexLock)(m))
	m.Unlock()
	if deliver {
		v.Deliver()
	}
}

// UnlockRW validates unlocking rw in mode, unlocks it, then delivers what
// the release confirmed.
func (v *Engine) UnlockRW(rw *sync.RWMutex, c *Class, mode graph.Mode, pc uintptr, site *Site) {
	var deliver bool
	if mode == Read {
		deliver = v.Release(addrOf(rw), c, mode, pc, site, (*RLock)(rw))
		rw.RUnlock()
	} else {
		deliver = v.Release(addrOf(rw), c, mode, pc, site, (*RWLock)(rw))
		rw.Unlock()
	}
	if deliver {
		v.Deliver()
	}
}

func addrOf[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }
