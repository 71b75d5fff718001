package lockdep

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
)

// A Mutex is a mutual exclusion lock whose use is validated: a drop-in
// for [sync.Mutex]. The zero value is an unlocked mutex with no class;
// it gets a class of its own, named after where it is first locked, unless
// SetClass gives it one first.
//
// A Mutex must not be copied after first use; go vet's copylocks check
// reports copies. The memory-model guarantees are those of sync.Mutex.
//
// Each operation is checked against the dependencies recorded so far
// before it blocks; the package documentation says when each finding is
// reported. Findings are reported, not returned: the operation itself
// behaves exactly as sync.Mutex's, including where it waits and Go's
// fatal error on unlocking an unlocked mutex.
type Mutex struct {
	mu    sync.Mutex
	class atomic.Pointer[validate.Class]
}

var _ sync.Locker = (*Mutex)(nil)

func (m *Mutex) addr() uintptr { return uintptr(unsafe.Pointer(m)) }

// classOf returns m's class, giving it one of its own on first use.
func (m *Mutex) classOf() *validate.Class {
	if c := m.class.Load(); c != nil {
		return c
	}
	return m.ownClass()
}

// ownClass gives a lock used without a class one of its own, named after
// where it is first locked.
//
//go:noinline
func (m *Mutex) ownClass() *validate.Class {
	m.class.CompareAndSwap(nil, validate.InstanceClass("lockdep.Mutex", 0))
	return m.class.Load()
}

// SetClass sets the lock's class. Call it before the first Lock, typically
// in the constructor of the struct that holds the mutex, with a class
// shared by all locks that play the same role.
func (m *Mutex) SetClass(c *Class) {
	if c != nil {
		m.class.Store(&c.c)
	}
}

// The methods that validate are not inlined: each reads its caller's
// address, the exact site reports show, from its own frame.

// Lock locks m, as [sync.Mutex.Lock], after validating the acquisition:
// recursive locking and the circular dependencies it creates are reported
// (see "When a finding is reported" in the package documentation).
//
//go:noinline
func (m *Mutex) Lock() {
	if v := validate.Active(); v != nil {
		v.LockMutex(&m.mu, m.classOf(), 0, stack.Caller(), nil)
		return
	}
	m.mu.Lock()
}

// LockNested locks m as a subclass of its class, for deliberate nesting of
// locks of one class (parent before child, accounts in ID order): a lock
// taken with subclass 1 while one of subclass 0 is held is not recursive
// locking. Subclasses are ordered like classes. subclass must be in [0,
// MaxSubclasses); another value is reported, and then validated as
// MaxSubclasses-1.
//
//go:noinline
func (m *Mutex) LockNested(subclass int) {
	if v := validate.Active(); v != nil {
		v.LockMutex(&m.mu, m.classOf(), subclass, stack.Caller(), nil)
		return
	}
	m.mu.Lock()
}

// TryLock tries to lock m, as [sync.Mutex.TryLock]. A successful TryLock
// cannot block, so it adds no dependency on locks already held; locks
// taken while it is held depend on it as usual.
//
//go:noinline
func (m *Mutex) TryLock() bool {
	if !m.mu.TryLock() {
		return false
	}
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(m), m.classOf(), 0, validate.Write, stack.Caller(), nil)
	}
	return true
}

// Unlock unlocks m, as [sync.Mutex.Unlock]. m may be unlocked by another
// goroutine than the one that locked it. Unlocking an unlocked mutex is
// reported, and then is Go's usual fatal error.
//
//go:noinline
func (m *Mutex) Unlock() {
	if v := validate.Active(); v != nil {
		// validate.UnlockMutex, spelled out: the call it would add costs
		// a nanosecond on the fast path.
		deliver := v.Release(m.addr(), m.classOf(), validate.Write, stack.Caller(), nil, (*validate.MutexLock)(&m.mu))
		m.mu.Unlock()
		if deliver {
			v.Deliver()
		}
		return
	}
	m.mu.Unlock()
}

// AssertHeld reports a finding unless the calling goroutine holds m.
//
//go:noinline
func (m *Mutex) AssertHeld() {
	if v := validate.Active(); v != nil && !v.Holds(m.addr(), validate.Write) {
		pc := stack.Caller()
		v.AssertFailed(m.classOf(), "W", pc, "the lock is not held by this goroutine")
	}
}

// AssertNotHeld reports a finding if the calling goroutine holds m.
//
//go:noinline
func (m *Mutex) AssertNotHeld() {
	if v := validate.Active(); v != nil && v.Holds(m.addr(), validate.Write) {
		pc := stack.Caller()
		v.AssertFailed(m.classOf(), "W", pc, "the lock is held by this goroutine")
	}
}

// MightLock records the dependencies that locking m here would create, and
// reports what that lock would, without locking it: for paths that lock m
// only sometimes.
//
//go:noinline
func (m *Mutex) MightLock() {
	if v := validate.Active(); v != nil {
		pc := stack.Caller()
		v.MightLock(unsafe.Pointer(m), m.classOf(), validate.Write, pc)
	}
}
