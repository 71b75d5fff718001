// Package lockdepimpl is the run-time support of code rewritten by the
// lockdep command: each Lock, Unlock, RLock... of a sync.Mutex or
// sync.RWMutex in an instrumented package becomes a call to a function of
// this package, on the same line, with a static [Site] that names the
// lock's class after its declaration. Where the call site cannot see the
// declaration (the lock is reached through a pointer, an interface or a
// type parameter), the receiver is wrapped ([Ptr], [RWPtr], [Any]) and the
// class is found by the mutex's address, which rewritten code registers
// where the declaration is in view ([Ref], [RWRef]); see registry.go.
// What rewritten code calls takes no type parameters: it compiles at the
// module's language version, which may be older than Go 1.18.
//
// It is public only so that rewritten code can import it. It is for
// generated code only: its API may change with every release of lockdep,
// and a version constant (V1) referenced by rewritten files makes a
// mismatch fail to compile rather than misbehave.
package lockdepimpl

import (
	"sync"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
)

// V1 is referenced by rewritten files: it exists while this package
// speaks version 1 of the rewriting protocol.
const V1 = 1

// Site is the static record of one rewritten call site: the lock's class,
// named after its declaration, and where the call is. Sites of one class
// name share one class. A site's Nested field is the subclass its
// acquisitions use (a //lockdep:nested directive).
type Site = validate.Site

// The exported functions are not inlined: each reads its caller's address,
// the exact site reports show, from its own frame.

// Lock is (*sync.Mutex).Lock, validated.
//
//go:noinline
func Lock(m *sync.Mutex, s *Site) {
	if v := validate.Active(); v != nil {
		v.LockMutex(m, s.ClassOf(), s.Nested, stack.Caller(), s)
		return
	}
	m.Lock()
}

// TryLock is (*sync.Mutex).TryLock, validated.
//
//go:noinline
func TryLock(m *sync.Mutex, s *Site) bool {
	if !m.TryLock() {
		return false
	}
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(m), s.ClassOf(), s.Nested, validate.Write, stack.Caller(), s)
	}
	return true
}

// Unlock is (*sync.Mutex).Unlock, validated.
//
//go:noinline
func Unlock(m *sync.Mutex, s *Site) {
	if v := validate.Active(); v != nil {
		v.UnlockMutex(m, s.ClassOf(), stack.Caller(), s)
		return
	}
	m.Unlock()
}

// WLock is (*sync.RWMutex).Lock, validated.
//
//go:noinline
func WLock(rw *sync.RWMutex, s *Site) {
	if v := validate.Active(); v != nil {
		v.LockRW(rw, s.ClassOf(), s.Nested, validate.Write, stack.Caller(), s)
		return
	}
	rw.Lock()
}

// RLock is (*sync.RWMutex).RLock, validated.
//
//go:noinline
func RLock(rw *sync.RWMutex, s *Site) {
	if v := validate.Active(); v != nil {
		v.LockRW(rw, s.ClassOf(), s.Nested, validate.Read, stack.Caller(), s)
		return
	}
	rw.RLock()
}

// WTryLock is (*sync.RWMutex).TryLock, validated.
//
//go:noinline
func WTryLock(rw *sync.RWMutex, s *Site) bool {
	if !rw.TryLock() {
		return false
	}
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(rw), s.ClassOf(), s.Nested, validate.Write, stack.Caller(), s)
	}
	return true
}

// TryRLock is (*sync.RWMutex).TryRLock, validated.
//
//go:noinline
func TryRLock(rw *sync.RWMutex, s *Site) bool {
	if !rw.TryRLock() {
		return false
	}
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(rw), s.ClassOf(), s.Nested, validate.Read, stack.Caller(), s)
	}
	return true
}

// WUnlock is (*sync.RWMutex).Unlock, validated.
//
//go:noinline
func WUnlock(rw *sync.RWMutex, s *Site) {
	if v := validate.Active(); v != nil {
		v.UnlockRW(rw, s.ClassOf(), validate.Write, stack.Caller(), s)
		return
	}
	rw.Unlock()
}

// RUnlock is (*sync.RWMutex).RUnlock, validated.
//
//go:noinline
func RUnlock(rw *sync.RWMutex, s *Site) {
	if v := validate.Active(); v != nil {
		v.UnlockRW(rw, s.ClassOf(), validate.Read, stack.Caller(), s)
		return
	}
	rw.RUnlock()
}

func addr[T any](p *T) uintptr { return uintptr(unsafe.Pointer(p)) }

// Mutex is a *sync.Mutex that escaped as a value (a sync.Locker, a method
// value) with the site where it escaped, or that a site reaches through a
// pointer (see [Ptr]); its methods are validated.
type Mutex struct {
	m   *sync.Mutex
	s   *Site
	ptr bool // s names the pointer, not the mutex: see Ptr
}

// Locker wraps m, for a *sync.Mutex used as an interface value or a method
// value.
func Locker(m *sync.Mutex, s *Site) *Mutex { return &Mutex{m: m, s: s} }

// Ptr wraps m for a site that reaches it through a pointer whose origin
// the rewriter could not see (a parameter, a function result, an element
// of a slice of pointers...): rewritten code calls the method on the
// result (Ptr(m, s).Lock()) or uses it as the interface value. The class
// is the one registered for m's address (see [Ref]); a mutex that has
// none gets a class of its own, named after s and where it is first
// locked.
func Ptr(m *sync.Mutex, s *Site) *Mutex { return &Mutex{m: m, s: s, ptr: true} }

// class returns the class of the lock acquired at pc.
func (l *Mutex) class(pc uintptr) *validate.Class {
	if l.ptr {
		return classAt(unsafe.Pointer(l.m), l.s, pc)
	}
	return l.s.ClassOf()
}

// Lock locks the mutex.
//
//go:noinline
func (l *Mutex) Lock() { l.lock(stack.Caller()) }

func (l *Mutex) lock(pc uintptr) {
	if v := validate.Active(); v != nil {
		v.LockMutex(l.m, l.class(pc), l.s.Nested, pc, l.s)
		return
	}
	l.m.Lock()
}

// Unlock unlocks the mutex.
//
//go:noinline
func (l *Mutex) Unlock() { l.unlock(stack.Caller()) }

func (l *Mutex) unlock(pc uintptr) {
	if v := validate.Active(); v != nil {
		c := l.s.ClassOf()
		if l.ptr {
			c = releaseClass(unsafe.Pointer(l.m), l.s)
		}
		v.UnlockMutex(l.m, c, pc, l.s)
		return
	}
	l.m.Unlock()
}

// TryLock tries to lock the mutex.
//
//go:noinline
func (l *Mutex) TryLock() bool { return l.tryLock(stack.Caller()) }

func (l *Mutex) tryLock(pc uintptr) bool {
	if !l.m.TryLock() {
		return false
	}
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(l.m), l.class(pc), l.s.Nested, validate.Write, pc, l.s)
	}
	return true
}

// RWMutex is a *sync.RWMutex that escaped as a value, or that a site
// reaches through a pointer, like [Mutex].
type RWMutex struct {
	rw  *sync.RWMutex
	s   *Site
	ptr bool
}

// RWLocker wraps rw, for a *sync.RWMutex used as an interface value or a
// method value.
func RWLocker(rw *sync.RWMutex, s *Site) *RWMutex { return &RWMutex{rw: rw, s: s} }

// RWPtr wraps rw for a site that reaches it through a pointer, like [Ptr].
func RWPtr(rw *sync.RWMutex, s *Site) *RWMutex { return &RWMutex{rw: rw, s: s, ptr: true} }

func (l *RWMutex) class(pc uintptr) *validate.Class {
	if l.ptr {
		return classAt(unsafe.Pointer(l.rw), l.s, pc)
	}
	return l.s.ClassOf()
}

// Lock write-locks the mutex.
//
//go:noinline
func (l *RWMutex) Lock() { l.lock(validate.Write, stack.Caller()) }

// RLock read-locks the mutex.
//
//go:noinline
func (l *RWMutex) RLock() { l.lock(validate.Read, stack.Caller()) }

func (l *RWMutex) lock(mode graph.Mode, pc uintptr) {
	if v := validate.Active(); v != nil {
		v.LockRW(l.rw, l.class(pc), l.s.Nested, mode, pc, l.s)
	} else if mode == validate.Read {
		l.rw.RLock()
	} else {
		l.rw.Lock()
	}
}

// Unlock write-unlocks the mutex.
//
//go:noinline
func (l *RWMutex) Unlock() { l.unlock(validate.Write, stack.Caller()) }

// RUnlock read-unlocks the mutex.
//
//go:noinline
func (l *RWMutex) RUnlock() { l.unlock(validate.Read, stack.Caller()) }

func (l *RWMutex) unlock(mode graph.Mode, pc uintptr) {
	if v := validate.Active(); v != nil {
		c := l.s.ClassOf()
		if l.ptr {
			c = releaseClass(unsafe.Pointer(l.rw), l.s)
		}
		v.UnlockRW(l.rw, c, mode, pc, l.s)
	} else if mode == validate.Read {
		l.rw.RUnlock()
	} else {
		l.rw.Unlock()
	}
}

// TryLock tries to write-lock the mutex.
//
//go:noinline
func (l *RWMutex) TryLock() bool { return l.tryLock(validate.Write, stack.Caller()) }

// TryRLock tries to read-lock the mutex.
//
//go:noinline
func (l *RWMutex) TryRLock() bool { return l.tryLock(validate.Read, stack.Caller()) }

func (l *RWMutex) tryLock(mode graph.Mode, pc uintptr) bool {
	ok := false
	if mode == validate.Read {
		ok = l.rw.TryRLock()
	} else {
		ok = l.rw.TryLock()
	}
	if !ok {
		return false
	}
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(l.rw), l.class(pc), l.s.Nested, mode, pc, l.s)
	}
	return true
}

// RLocker returns a Locker whose Lock and Unlock read-lock the mutex.
func (l *RWMutex) RLocker() sync.Locker { return (*rlocker)(l) }

// RLocker is (*sync.RWMutex).RLocker, validated.
func RLocker(rw *sync.RWMutex, s *Site) sync.Locker { return &rlocker{rw: rw, s: s} }

type rlocker RWMutex

//go:noinline
func (l *rlocker) Lock() { (*RWMutex)(l).lock(validate.Read, stack.Caller()) }

//go:noinline
func (l *rlocker) Unlock() { (*RWMutex)(l).unlock(validate.Read, stack.Caller()) }
