package lockdep

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
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
	class atomic.Pointer[validate.Class]
}

var _ sync.Locker = (*RWMutex)(nil)

func (rw *RWMutex) addr() uintptr { return uintptr(unsafe.Pointer(rw)) }

// classOf returns rw's class, giving it one of its own on first use.
func (rw *RWMutex) classOf() *validate.Class {
	if c := rw.class.Load(); c != nil {
		return c
	}
	return rw.ownClass()
}

// ownClass gives a lock used without a class one of its own, named after
// where it is first locked.
//
//go:noinline
func (rw *RWMutex) ownClass() *validate.Class {
	rw.class.CompareAndSwap(nil, validate.InstanceClass("lockdep.RWMutex", 0))
	return rw.class.Load()
}

// SetClass sets the lock's class; see [Mutex.SetClass].
func (rw *RWMutex) SetClass(c *Class) {
	if c != nil {
		rw.class.Store(&c.c)
	}
}

// Lock locks rw for writing, as [sync.RWMutex.Lock].
//
//go:noinline
func (rw *RWMutex) Lock() {
	if v := validate.Active(); v != nil {
		v.LockRW(&rw.rw, rw.classOf(), 0, validate.Write, stack.Caller(), nil)
		return
	}
	rw.rw.Lock()
}

// LockNested locks rw for writing as a subclass of its class; see
// [Mutex.LockNested].
//
//go:noinline
func (rw *RWMutex) LockNested(subclass int) {
	if v := validate.Active(); v != nil {
		v.LockRW(&rw.rw, rw.classOf(), subclass, validate.Write, stack.Caller(), nil)
		return
	}
	rw.rw.Lock()
}

// RLock locks rw for reading, as [sync.RWMutex.RLock]. It must not be
// used for recursive read locking.
//
//go:noinline
func (rw *RWMutex) RLock() {
	if v := validate.Active(); v != nil {
		v.LockRW(&rw.rw, rw.classOf(), 0, validate.Read, stack.Caller(), nil)
		return
	}
	rw.rw.RLock()
}

// RLockNested locks rw for reading as a subclass of its class; see
// [Mutex.LockNested].
//
//go:noinline
func (rw *RWMutex) RLockNested(subclass int) {
	if v := validate.Active(); v != nil {
		v.LockRW(&rw.rw, rw.classOf(), subclass, validate.Read, stack.Caller(), nil)
		return
	}
	rw.rw.RLock()
}

// TryLock tries to lock rw for writing, as [sync.RWMutex.TryLock].
//
//go:noinline
func (rw *RWMutex) TryLock() bool {
	if !rw.rw.TryLock() {
		return false
	}
	rw.tried(validate.Write, stack.Caller())
	return true
}

// TryRLock tries to lock rw for reading, as [sync.RWMutex.TryRLock].
//
//go:noinline
func (rw *RWMutex) TryRLock() bool {
	if !rw.rw.TryRLock() {
		return false
	}
	rw.tried(validate.Read, stack.Caller())
	return true
}

func (rw *RWMutex) tried(mode graph.Mode, pc uintptr) {
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(rw), rw.classOf(), 0, mode, pc, nil)
	}
}

// Unlock unlocks rw for writing, as [sync.RWMutex.Unlock]. Unlocking a
// mutex that is not write-locked is reported, and then is Go's usual fatal
// error.
//
//go:noinline
func (rw *RWMutex) Unlock() {
	if v := validate.Active(); v != nil {
		// validate.UnlockRW, spelled out, as in Mutex.Unlock.
		deliver := v.Release(rw.addr(), rw.classOf(), validate.Write, stack.Caller(), nil, (*validate.RWLock)(&rw.rw))
		rw.rw.Unlock()
		if deliver {
			v.Deliver()
		}
		return
	}
	rw.rw.Unlock()
}

// RUnlock undoes a single RLock, as [sync.RWMutex.RUnlock]. Another
// goroutine than the reader may call it. Unlocking a mutex that is not
// read-locked is reported, and then is Go's usual fatal error.
//
//go:noinline
func (rw *RWMutex) RUnlock() {
	if v := validate.Active(); v != nil {
		v.UnlockRW(&rw.rw, rw.classOf(), validate.Read, stack.Caller(), nil)
		return
	}
	rw.rw.RUnlock()
}

// RLocker returns a [sync.Locker] whose Lock and Unlock call rw.RLock and
// rw.RUnlock.
func (rw *RWMutex) RLocker() sync.Locker { return (*rlocker)(rw) }

type rlocker RWMutex

//go:noinline
func (r *rlocker) Lock() {
	if v := validate.Active(); v != nil {
		v.LockRW(&r.rw, (*RWMutex)(r).classOf(), 0, validate.Read, stack.Caller(), nil)
		return
	}
	r.rw.RLock()
}

//go:noinline
func (r *rlocker) Unlock() {
	if v := validate.Active(); v != nil {
		v.UnlockRW(&r.rw, (*RWMutex)(r).classOf(), validate.Read, stack.Caller(), nil)
		return
	}
	r.rw.RUnlock()
}

// AssertHeld reports a finding unless the calling goroutine holds rw for
// writing.
//
//go:noinline
func (rw *RWMutex) AssertHeld() {
	if v := validate.Active(); v != nil && !v.Holds(rw.addr(), validate.Write) {
		pc := stack.Caller()
		v.AssertFailed(rw.classOf(), "W", pc, "the lock is not write-locked by this goroutine")
	}
}

// AssertRHeld reports a finding unless the calling goroutine holds rw for
// reading or writing.
//
//go:noinline
func (rw *RWMutex) AssertRHeld() {
	if v := validate.Active(); v != nil && !v.Holds(rw.addr(), validate.Read, validate.Write) {
		pc := stack.Caller()
		v.AssertFailed(rw.classOf(), "R", pc, "the lock is not held by this goroutine")
	}
}

// AssertNotHeld reports a finding if the calling goroutine holds rw in
// either mode.
//
//go:noinline
func (rw *RWMutex) AssertNotHeld() {
	if v := validate.Active(); v != nil && v.Holds(rw.addr(), validate.Read, validate.Write) {
		pc := stack.Caller()
		v.AssertFailed(rw.classOf(), "W", pc, "the lock is held by this goroutine")
	}
}

// MightLock records what write-locking rw here would, without locking it;
// see [Mutex.MightLock].
//
//go:noinline
func (rw *RWMutex) MightLock() {
	if v := validate.Active(); v != nil {
		pc := stack.Caller()
		v.MightLock(unsafe.Pointer(rw), rw.classOf(), validate.Write, pc)
	}
}

// MightRLock records what read-locking rw here would, without locking it.
//
//go:noinline
func (rw *RWMutex) MightRLock() {
	if v := validate.Active(); v != nil {
		pc := stack.Caller()
		v.MightLock(unsafe.Pointer(rw), rw.classOf(), validate.Read, pc)
	}
}
