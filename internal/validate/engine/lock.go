package engine

import (
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/graph"
)

// A Lock is the real lock behind a validated one, as the validator looks
// at it on slow paths: to acquire it while a hand-off settles, and to tell
// a hand-off from a bad unlock. Make one by converting the lock's pointer:
// (*MutexLock)(&mu), (*RWLock)(&rw) for the write side, (*RLock)(&rw) for
// the read side.
type Lock interface {
	// TryLock tries to acquire the lock in the mode being validated.
	TryLock() bool
	lock() // acquires it, blocking
	state() lockState
	kind() string
}

type lockState uint8

const (
	unknown lockState = iota
	unlocked
	writeLocked
	readLocked
	heldOtherMode // by the calling goroutine, in the other mode
)

// MutexLock is a sync.Mutex seen as a Lock.
type MutexLock sync.Mutex

func (m *MutexLock) TryLock() bool { return (*sync.Mutex)(m).TryLock() }
func (m *MutexLock) lock()         { (*sync.Mutex)(m).Lock() }
func (m *MutexLock) kind() string  { return "mutex" }

func (m *MutexLock) state() lockState {
	if (*sync.Mutex)(m).TryLock() {
		(*sync.Mutex)(m).Unlock()
		return unlocked
	}
	return writeLocked
}

// RWLock is the write side of a sync.RWMutex seen as a Lock.
type RWLock sync.RWMutex

func (rw *RWLock) TryLock() bool    { return (*sync.RWMutex)(rw).TryLock() }
func (rw *RWLock) lock()            { (*sync.RWMutex)(rw).Lock() }
func (rw *RWLock) kind() string     { return "RWMutex" }
func (rw *RWLock) state() lockState { return rwState((*sync.RWMutex)(rw)) }

// RLock is the read side of a sync.RWMutex seen as a Lock.
type RLock sync.RWMutex

func (rw *RLock) TryLock() bool    { return (*sync.RWMutex)(rw).TryRLock() }
func (rw *RLock) lock()            { (*sync.RWMutex)(rw).RLock() }
func (rw *RLock) kind() string     { return "RWMutex" }
func (rw *RLock) state() lockState { return rwState((*sync.RWMutex)(rw)) }

// rwState tells whether rw is unlocked, write-locked or read-locked. The
// portable probes (TryLock, TryRLock) cannot tell a writer that holds rw
// from one that waits for readers to leave; the reader count can. It is
// read from sync.RWMutex's layout, which is checked once, at start-up,
// against known states; if the check fails, that case stays unknown.
func rwState(rw *sync.RWMutex) lockState {
	if rw.TryLock() {
		rw.Unlock()
		return unlocked
	}
	if rwLayoutOK {
		n := readerCount(rw).Load()
		if n < 0 {
			n += rwMaxReaders // a writer holds rw or waits for the readers left
		}
		if n == 0 {
			return writeLocked
		}
		return readLocked
	}
	if rw.TryRLock() {
		rw.RUnlock()
		return readLocked // locked, but not by a writer and none waits
	}
	return unknown
}

// rwMaxReaders is sync's rwmutexMaxReaders: a writer subtracts it from
// the reader count.
const rwMaxReaders = 1 << 30

// readerCount returns rw's reader count, the field after the writer
// mutex and the two semaphores.
func readerCount(rw *sync.RWMutex) *atomic.Int32 {
	return (*atomic.Int32)(unsafe.Add(unsafe.Pointer(rw), unsafe.Sizeof(sync.Mutex{})+8))
}

var rwLayoutOK = checkRWLayout()

// checkRWLayout verifies the reader count's place and meaning through
// the states it can be put in.
func checkRWLayout() bool {
	if unsafe.Sizeof(sync.RWMutex{}) != unsafe.Sizeof(sync.Mutex{})+16 {
		return false
	}
	var rw sync.RWMutex
	n := readerCount(&rw)
	ok := n.Load() == 0
	rw.RLock()
	ok = ok && n.Load() == 1
	rw.RLock()
	ok = ok && n.Load() == 2
	rw.RUnlock()
	rw.RUnlock()
	ok = ok && n.Load() == 0
	rw.Lock()
	ok = ok && n.Load() == -rwMaxReaders
	rw.Unlock()
	return ok && n.Load() == 0
}

// unlockDetail is the sentence that says why an unlock is bad.
func unlockDetail(kind string, mode graph.Mode, s lockState) string {
	switch {
	case s == heldOtherMode && mode == Write:
		return "The RWMutex is read-locked by this goroutine: release it with RUnlock."
	case s == heldOtherMode:
		return "The RWMutex is write-locked by this goroutine: release it with Unlock."
	case s == writeLocked:
		return "The RWMutex is write-locked, by another goroutine: RUnlock cannot release a write lock."
	case s == readLocked:
		return "The RWMutex is read-locked, by other goroutines: Unlock cannot release read locks."
	case kind == "mutex":
		return "The mutex is not locked."
	case mode == Read:
		return "The RWMutex is not read-locked."
	}
	return "The RWMutex is not locked."
}

// EventLock is the Lock of a pseudo-lock (package lockdep's Event): there
// is no real lock behind it. Nothing ever waits to take it, and whether
// it is held is known only from the held stacks, so a release by a
// goroutine that does not hold it is taken for a hand-off, never for a
// bad unlock.
type EventLock struct{}

func (EventLock) TryLock() bool    { return true }
func (EventLock) lock()            {}
func (EventLock) state() lockState { return unknown }
func (EventLock) kind() string     { return "event" }
