package lockdep

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
)

// An RWMutex is a reader/writer mutual exclusion lock whose use is
// validated: a drop-in for [sync.RWMutex]. The zero value is an unlocked
// mutex with no class; see [Mutex] for classes and copying.
//
// Go's RWMutex prefers writers: once a writer waits, new readers block.
// So read locking is not recursive-safe, and the validator treats RLock of
// a class the goroutine already holds as recursive locking. A read
// acquisition blocks only when a writer waits, so a cycle through read
// acquisitions is reported only if each read-acquired class is also
// write-locked somewhere.
type RWMutex struct {
	rw    sync.RWMutex
	class atomic.Pointer[Class]
}

var _ sync.Locker = (*RWMutex)(nil)

func (rw *RWMutex) addr() uintptr { return uintptr(unsafe.Pointer(rw)) }

func (rw *RWMutex) classOf(v *validator) *Class {
	if c := rw.class.Load(); c != nil {
		return c
	}
	c := v.instanceClass("RWMutex")
	if rw.class.CompareAndSwap(nil, c) {
		return c
	}
	return rw.class.Load()
}

// SetClass sets the lock's class; see [Mutex.SetClass].
func (rw *RWMutex) SetClass(c *Class) {
	if c != nil {
		rw.class.Store(c)
	}
}

// Lock locks rw for writing, as [sync.RWMutex.Lock].
func (rw *RWMutex) Lock() {
	if v := active.Load(); v != nil {
		st := v.acquire(rw.addr(), rw.classOf(v), 0, graph.Write, false)
		rw.rw.Lock()
		st.Held()
		return
	}
	rw.rw.Lock()
}

// LockNested locks rw for writing as a subclass of its class; see
// [Mutex.LockNested].
func (rw *RWMutex) LockNested(subclass int) {
	if v := active.Load(); v != nil {
		st := v.acquire(rw.addr(), rw.classOf(v), clampSub(subclass), graph.Write, false)
		rw.rw.Lock()
		st.Held()
		return
	}
	rw.rw.Lock()
}

// TryLock tries to lock rw for writing, as [sync.RWMutex.TryLock].
func (rw *RWMutex) TryLock() bool {
	if !rw.rw.TryLock() {
		return false
	}
	if v := active.Load(); v != nil {
		v.acquire(rw.addr(), rw.classOf(v), 0, graph.Write, true).Held()
	}
	return true
}

// Unlock unlocks rw for writing, as [sync.RWMutex.Unlock]. Unlocking a
// mutex that is not write-locked is reported, and then is Go's usual fatal
// error.
func (rw *RWMutex) Unlock() {
	if v := active.Load(); v != nil && !v.release(rw.addr(), graph.Write) {
		switch {
		case v.holds(rw.addr(), graph.Read):
			v.badUnlock(rw.addr(), rw.classOf(v), "W", "The RWMutex is read-locked by this goroutine: release it with RUnlock.")
		case rw.rw.TryLock():
			rw.rw.Unlock()
			v.badUnlock(rw.addr(), rw.classOf(v), "W", "The RWMutex is not locked.")
		default:
			v.handoff(rw.addr(), graph.Write)
		}
	}
	rw.rw.Unlock()
}

// RLock locks rw for reading, as [sync.RWMutex.RLock]. It must not be
// used for recursive read locking.
func (rw *RWMutex) RLock() {
	if v := active.Load(); v != nil {
		st := v.acquire(rw.addr(), rw.classOf(v), 0, graph.Read, false)
		rw.rw.RLock()
		st.Held()
		return
	}
	rw.rw.RLock()
}

// RLockNested locks rw for reading as a subclass of its class; see
// [Mutex.LockNested].
func (rw *RWMutex) RLockNested(subclass int) {
	if v := active.Load(); v != nil {
		st := v.acquire(rw.addr(), rw.classOf(v), clampSub(subclass), graph.Read, false)
		rw.rw.RLock()
		st.Held()
		return
	}
	rw.rw.RLock()
}

// TryRLock tries to lock rw for reading, as [sync.RWMutex.TryRLock].
func (rw *RWMutex) TryRLock() bool {
	if !rw.rw.TryRLock() {
		return false
	}
	if v := active.Load(); v != nil {
		v.acquire(rw.addr(), rw.classOf(v), 0, graph.Read, true).Held()
	}
	return true
}

// RUnlock undoes a single RLock, as [sync.RWMutex.RUnlock]. Another
// goroutine than the reader may call it. Unlocking a mutex that is not
// read-locked is reported, and then is Go's usual fatal error.
func (rw *RWMutex) RUnlock() {
	if v := active.Load(); v != nil && !v.release(rw.addr(), graph.Read) {
		switch {
		case v.holds(rw.addr(), graph.Write):
			v.badUnlock(rw.addr(), rw.classOf(v), "R", "The RWMutex is write-locked by this goroutine: release it with Unlock.")
		case rw.rw.TryLock():
			rw.rw.Unlock()
			v.badUnlock(rw.addr(), rw.classOf(v), "R", "The RWMutex is not read-locked.")
		default:
			v.handoff(rw.addr(), graph.Read)
		}
	}
	rw.rw.RUnlock()
}

// RLocker returns a [sync.Locker] whose Lock and Unlock call rw.RLock and
// rw.RUnlock.
func (rw *RWMutex) RLocker() sync.Locker { return (*rlocker)(rw) }

type rlocker RWMutex

func (r *rlocker) Lock()   { (*RWMutex)(r).RLock() }
func (r *rlocker) Unlock() { (*RWMutex)(r).RUnlock() }

// AssertHeld reports a finding unless the calling goroutine holds rw for
// writing.
func (rw *RWMutex) AssertHeld() {
	if v := active.Load(); v != nil && !v.holds(rw.addr(), graph.Write) {
		v.assertFailed(rw.classOf(v), "W", "the lock is not write-locked by this goroutine")
	}
}

// AssertRHeld reports a finding unless the calling goroutine holds rw for
// reading or writing.
func (rw *RWMutex) AssertRHeld() {
	if v := active.Load(); v != nil && !v.holds(rw.addr(), graph.Read, graph.Write) {
		v.assertFailed(rw.classOf(v), "R", "the lock is not held by this goroutine")
	}
}

// AssertNotHeld reports a finding if the calling goroutine holds rw in
// either mode.
func (rw *RWMutex) AssertNotHeld() {
	if v := active.Load(); v != nil && v.holds(rw.addr(), graph.Read, graph.Write) {
		v.assertFailed(rw.classOf(v), "W", "the lock is held by this goroutine")
	}
}

// MightLock records what write-locking rw here would, without locking it;
// see [Mutex.MightLock].
func (rw *RWMutex) MightLock() {
	if v := active.Load(); v != nil {
		v.acquire(rw.addr(), rw.classOf(v), 0, graph.Write, false)
		v.release(rw.addr(), graph.Write) // validated, never held
	}
}

// MightRLock records what read-locking rw here would, without locking it.
func (rw *RWMutex) MightRLock() {
	if v := active.Load(); v != nil {
		v.acquire(rw.addr(), rw.classOf(v), 0, graph.Read, false)
		v.release(rw.addr(), graph.Read) // validated, never held
	}
}
