package lockdepimpl

import (
	"sync"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
)

// Dyn is a lock reached through a value of interface or type-parameter
// type, whose dynamic type may be *sync.Mutex: a sync.Locker, an any
// asserted to an interface, the L of func f[L sync.Locker](l L).
// Rewritten code calls its methods in place of the value's own
// (Any(l, s).Lock()). A *sync.Mutex or *sync.RWMutex is validated as
// through [Ptr], a lock that this package wraps as itself; any other type's
// own method is called.
type Dyn struct {
	l any
	s *Site
}

// Any returns l, the receiver of a lock method called through an
// interface or a type parameter at site s, as a Dyn.
func Any(l any, s *Site) Dyn { return Dyn{l: l, s: s} }

// dynKind is what a Dyn holds.
type dynKind int

const (
	dynOther   dynKind = iota // a type of its own
	dynMutex                  // a *sync.Mutex or a Mutex
	dynRWMutex                // a *sync.RWMutex or an RWMutex
	dynRLocker                // the Locker of RWMutex.RLocker
)

// locks returns the lock behind d as one of this package's wrappers, and
// which kind of lock it is.
func (d Dyn) locks() (m *Mutex, rw *RWMutex, k dynKind) {
	switch l := d.l.(type) {
	case *sync.Mutex:
		return &Mutex{m: l, s: d.s, ptr: true}, nil, dynMutex
	case *Mutex:
		return l, nil, dynMutex
	case *sync.RWMutex:
		return nil, &RWMutex{rw: l, s: d.s, ptr: true}, dynRWMutex
	case *RWMutex:
		return nil, l, dynRWMutex
	case *rlocker:
		return nil, (*RWMutex)(l), dynRLocker
	}
	return nil, nil, dynOther
}

// Lock locks the lock.
//
//go:noinline
func (d Dyn) Lock() {
	switch m, rw, k := d.locks(); k {
	case dynMutex:
		m.lock(stack.Caller())
	case dynRWMutex, dynRLocker:
		rw.lock(k.mode(), stack.Caller())
	default:
		l, _ := d.l.(interface{ Lock() })
		l.Lock()
	}
}

// Unlock unlocks the lock.
//
//go:noinline
func (d Dyn) Unlock() {
	switch m, rw, k := d.locks(); k {
	case dynMutex:
		m.unlock(stack.Caller())
	case dynRWMutex, dynRLocker:
		rw.unlock(k.mode(), stack.Caller())
	default:
		l, _ := d.l.(interface{ Unlock() })
		l.Unlock()
	}
}

// mode is the mode in which Lock and Unlock take a lock of kind k.
func (k dynKind) mode() graph.Mode {
	if k == dynRLocker {
		return validate.Read
	}
	return validate.Write
}

// TryLock tries to lock the lock.
//
//go:noinline
func (d Dyn) TryLock() bool {
	switch m, rw, k := d.locks(); k {
	case dynMutex:
		return m.tryLock(stack.Caller())
	case dynRWMutex:
		return rw.tryLock(validate.Write, stack.Caller())
	}
	l, _ := d.l.(interface{ TryLock() bool })
	return l.TryLock()
}

// RLock read-locks the lock.
//
//go:noinline
func (d Dyn) RLock() {
	if _, rw, k := d.locks(); k == dynRWMutex {
		rw.lock(validate.Read, stack.Caller())
		return
	}
	l, _ := d.l.(interface{ RLock() })
	l.RLock()
}

// RUnlock read-unlocks the lock.
//
//go:noinline
func (d Dyn) RUnlock() {
	if _, rw, k := d.locks(); k == dynRWMutex {
		rw.unlock(validate.Read, stack.Caller())
		return
	}
	l, _ := d.l.(interface{ RUnlock() })
	l.RUnlock()
}

// TryRLock tries to read-lock the lock.
//
//go:noinline
func (d Dyn) TryRLock() bool {
	if _, rw, k := d.locks(); k == dynRWMutex {
		return rw.tryLock(validate.Read, stack.Caller())
	}
	l, _ := d.l.(interface{ TryRLock() bool })
	return l.TryRLock()
}
