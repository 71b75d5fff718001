// Package lockdepimpl is the run-time support of code rewritten by the
// lockdep command: each Lock, Unlock, RLock... of a sync.Mutex or
// sync.RWMutex in an instrumented package becomes a call to a function of
// this package, on the same line, with a static [Site] that names the
// lock's class after its declaration.
//
// It is public only so that rewritten code can import it. It is for
// generated code only: its API may change with every release of lockdep,
// and a version constant (V1) referenced by rewritten files makes a
// mismatch fail to compile rather than misbehave.
package lockdepimpl

import (
	"sync"
	"sync/atomic"
	"unsafe"

	_ "github.com/golockdep/lockdep" // sets up the validator behind hook
	"github.com/golockdep/lockdep/internal/hook"
)

// V1 is referenced by rewritten files: it exists while this package
// speaks version 1 of the rewriting protocol.
const V1 = 1

// Site is the static record of one rewritten call site.
type Site struct {
	Class string // the lock's class, named after its declaration
	File  string // relative to the module root
	Line  int

	class atomic.Pointer[byte] // the *lockdep.Class, made on first use
}

// classOf returns the site's class, creating it on first use. Sites of
// the same class name share one class.
func (s *Site) classOf() unsafe.Pointer {
	if c := s.class.Load(); c != nil {
		return unsafe.Pointer(c)
	}
	c := classNamed(s.Class)
	s.class.Store((*byte)(c))
	return c
}

var classes sync.Map // class name → unsafe.Pointer(*lockdep.Class)

func classNamed(name string) unsafe.Pointer {
	if c, ok := classes.Load(name); ok {
		return c.(unsafe.Pointer)
	}
	c, _ := classes.LoadOrStore(name, hook.NewClass(name))
	return c.(unsafe.Pointer)
}

func addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// Lock is (*sync.Mutex).Lock, validated.
func Lock(m *sync.Mutex, s *Site) {
	if hook.On.Load() {
		st := hook.Acquire(addr(m), s.classOf(), false, false)
		m.Lock()
		st.Held()
		return
	}
	m.Lock()
}

// TryLock is (*sync.Mutex).TryLock, validated.
func TryLock(m *sync.Mutex, s *Site) bool {
	if !m.TryLock() {
		return false
	}
	if hook.On.Load() {
		hook.Acquire(addr(m), s.classOf(), false, true).Held()
	}
	return true
}

// Unlock is (*sync.Mutex).Unlock, validated.
func Unlock(m *sync.Mutex, s *Site) {
	if hook.On.Load() && !hook.Release(addr(m), false) {
		if m.TryLock() {
			m.Unlock()
			hook.BadUnlock(addr(m), s.classOf(), "W", "The mutex is not locked.")
		} else {
			hook.Handoff(addr(m), false)
		}
	}
	m.Unlock()
}

// WLock is (*sync.RWMutex).Lock, validated.
func WLock(rw *sync.RWMutex, s *Site) {
	if hook.On.Load() {
		st := hook.Acquire(addr(rw), s.classOf(), false, false)
		rw.Lock()
		st.Held()
		return
	}
	rw.Lock()
}

// WTryLock is (*sync.RWMutex).TryLock, validated.
func WTryLock(rw *sync.RWMutex, s *Site) bool {
	if !rw.TryLock() {
		return false
	}
	if hook.On.Load() {
		hook.Acquire(addr(rw), s.classOf(), false, true).Held()
	}
	return true
}

// WUnlock is (*sync.RWMutex).Unlock, validated.
func WUnlock(rw *sync.RWMutex, s *Site) {
	if hook.On.Load() && !hook.Release(addr(rw), false) {
		switch {
		case hook.Holds(addr(rw), true):
			hook.BadUnlock(addr(rw), s.classOf(), "W", "The RWMutex is read-locked by this goroutine: release it with RUnlock.")
		case rw.TryLock():
			rw.Unlock()
			hook.BadUnlock(addr(rw), s.classOf(), "W", "The RWMutex is not locked.")
		default:
			hook.Handoff(addr(rw), false)
		}
	}
	rw.Unlock()
}

// RLock is (*sync.RWMutex).RLock, validated.
func RLock(rw *sync.RWMutex, s *Site) {
	if hook.On.Load() {
		st := hook.Acquire(addr(rw), s.classOf(), true, false)
		rw.RLock()
		st.Held()
		return
	}
	rw.RLock()
}

// TryRLock is (*sync.RWMutex).TryRLock, validated.
func TryRLock(rw *sync.RWMutex, s *Site) bool {
	if !rw.TryRLock() {
		return false
	}
	if hook.On.Load() {
		hook.Acquire(addr(rw), s.classOf(), true, true).Held()
	}
	return true
}

// RUnlock is (*sync.RWMutex).RUnlock, validated.
func RUnlock(rw *sync.RWMutex, s *Site) {
	if hook.On.Load() && !hook.Release(addr(rw), true) {
		switch {
		case hook.Holds(addr(rw), false):
			hook.BadUnlock(addr(rw), s.classOf(), "R", "The RWMutex is write-locked by this goroutine: release it with Unlock.")
		case rw.TryLock():
			rw.Unlock()
			hook.BadUnlock(addr(rw), s.classOf(), "R", "The RWMutex is not read-locked.")
		default:
			hook.Handoff(addr(rw), true)
		}
	}
	rw.RUnlock()
}

// Mutex is a *sync.Mutex that escaped as a value (a sync.Locker, a method
// value) with the site where it escaped; its methods are validated.
type Mutex struct {
	m *sync.Mutex
	s *Site
}

// Locker wraps m, for a *sync.Mutex used as an interface value or a method
// value.
func Locker(m *sync.Mutex, s *Site) *Mutex { return &Mutex{m, s} }

// Lock locks the mutex.
func (l *Mutex) Lock() { Lock(l.m, l.s) }

// Unlock unlocks the mutex.
func (l *Mutex) Unlock() { Unlock(l.m, l.s) }

// TryLock tries to lock the mutex.
func (l *Mutex) TryLock() bool { return TryLock(l.m, l.s) }

// RWMutex is a *sync.RWMutex that escaped as a value, like [Mutex].
type RWMutex struct {
	rw *sync.RWMutex
	s  *Site
}

// RWLocker wraps rw, for a *sync.RWMutex used as an interface value or a
// method value.
func RWLocker(rw *sync.RWMutex, s *Site) *RWMutex { return &RWMutex{rw, s} }

// Lock write-locks the mutex.
func (l *RWMutex) Lock() { WLock(l.rw, l.s) }

// Unlock write-unlocks the mutex.
func (l *RWMutex) Unlock() { WUnlock(l.rw, l.s) }

// TryLock tries to write-lock the mutex.
func (l *RWMutex) TryLock() bool { return WTryLock(l.rw, l.s) }

// RLock read-locks the mutex.
func (l *RWMutex) RLock() { RLock(l.rw, l.s) }

// RUnlock read-unlocks the mutex.
func (l *RWMutex) RUnlock() { RUnlock(l.rw, l.s) }

// TryRLock tries to read-lock the mutex.
func (l *RWMutex) TryRLock() bool { return TryRLock(l.rw, l.s) }

// RLocker returns a Locker whose Lock and Unlock read-lock the mutex.
func (l *RWMutex) RLocker() sync.Locker { return rlocker{l.rw, l.s} }

// RLocker is (*sync.RWMutex).RLocker, validated.
func RLocker(rw *sync.RWMutex, s *Site) sync.Locker { return rlocker{rw, s} }

type rlocker struct {
	rw *sync.RWMutex
	s  *Site
}

func (l rlocker) Lock()   { RLock(l.rw, l.s) }
func (l rlocker) Unlock() { RUnlock(l.rw, l.s) }
