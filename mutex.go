package lockdep

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
)

// A Mutex is a mutual exclusion lock whose use is validated: a drop-in
// for [sync.Mutex]. The zero value is an unlocked mutex with no class;
// it gets a class of its own, named after where it is first locked, unless
// SetClass gives it one first.
//
// A Mutex must not be copied after first use; go vet's copylocks check
// reports copies. The memory-model guarantees are those of sync.Mutex.
//
// Each operation is checked against the dependencies recorded so far (see
// the package documentation) before it blocks. Findings are reported, not
// returned: the operation itself behaves exactly as sync.Mutex's, including
// Go's fatal error on unlocking an unlocked mutex.
type Mutex struct {
	mu    sync.Mutex
	class atomic.Pointer[Class]
}

var _ sync.Locker = (*Mutex)(nil)

func (m *Mutex) addr() uintptr { return uintptr(unsafe.Pointer(m)) }

func (m *Mutex) classOf(v *validator) *Class {
	if c := m.class.Load(); c != nil {
		return c
	}
	c := v.instanceClass("Mutex")
	if m.class.CompareAndSwap(nil, c) {
		return c
	}
	return m.class.Load()
}

// SetClass sets the lock's class. Call it before the first Lock, typically
// in the constructor of the struct that holds the mutex, with a class
// shared by all locks that play the same role.
func (m *Mutex) SetClass(c *Class) {
	if c != nil {
		m.class.Store(c)
	}
}

// Lock locks m, as [sync.Mutex.Lock]. Before it blocks, it reports
// recursive locking and circular dependencies the acquisition creates.
func (m *Mutex) Lock() {
	if v := active.Load(); v != nil {
		st := v.acquire(m.addr(), m.classOf(v), 0, graph.Write, false)
		m.mu.Lock()
		st.Held()
		return
	}
	m.mu.Lock()
}

// LockNested locks m as a subclass of its class, for deliberate nesting of
// locks of one class (parent before child, hand-over-hand): a lock taken
// with subclass 1 while one of subclass 0 is held is not recursive locking.
// Subclasses are ordered like classes. subclass must be in [0,
// MaxSubclasses); larger values are treated as MaxSubclasses-1.
func (m *Mutex) LockNested(subclass int) {
	if v := active.Load(); v != nil {
		st := v.acquire(m.addr(), m.classOf(v), clampSub(subclass), graph.Write, false)
		m.mu.Lock()
		st.Held()
		return
	}
	m.mu.Lock()
}

// TryLock tries to lock m, as [sync.Mutex.TryLock]. A successful TryLock
// cannot block, so it adds no dependency on locks already held; locks
// taken while it is held depend on it as usual.
func (m *Mutex) TryLock() bool {
	if !m.mu.TryLock() {
		return false
	}
	if v := active.Load(); v != nil {
		v.acquire(m.addr(), m.classOf(v), 0, graph.Write, true).Held()
	}
	return true
}

// Unlock unlocks m, as [sync.Mutex.Unlock]. m may be unlocked by another
// goroutine than the one that locked it. Unlocking an unlocked mutex is
// reported, and then is Go's usual fatal error.
func (m *Mutex) Unlock() {
	if v := active.Load(); v != nil && !v.release(m.addr(), graph.Write) {
		if m.mu.TryLock() {
			m.mu.Unlock()
			v.badUnlock(m.addr(), m.classOf(v), "W", "The mutex is not locked.")
		} else {
			v.handoff(m.addr(), graph.Write)
		}
	}
	m.mu.Unlock()
}

// AssertHeld reports a finding unless the calling goroutine holds m.
func (m *Mutex) AssertHeld() {
	if v := active.Load(); v != nil && !v.holds(m.addr(), graph.Write) {
		v.assertFailed(m.classOf(v), "W", "the lock is not held by this goroutine")
	}
}

// AssertNotHeld reports a finding if the calling goroutine holds m.
func (m *Mutex) AssertNotHeld() {
	if v := active.Load(); v != nil && v.holds(m.addr(), graph.Write) {
		v.assertFailed(m.classOf(v), "W", "the lock is held by this goroutine")
	}
}

// MightLock records the dependencies that locking m here would create, and
// reports what that lock would, without locking it: for paths that lock m
// only sometimes.
func (m *Mutex) MightLock() {
	if v := active.Load(); v != nil {
		v.acquire(m.addr(), m.classOf(v), 0, graph.Write, false)
		v.release(m.addr(), graph.Write) // validated, never held
	}
}

func clampSub(s int) int {
	if s < 0 || s >= MaxSubclasses {
		return MaxSubclasses - 1
	}
	return s
}
