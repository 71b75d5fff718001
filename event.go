package lockdep

import (
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
)

// An Event is a pseudo-lock for a wait that is not a lock, in the way of
// the Linux kernel's lockdep_map: the completion of a job that a worker
// pool runs, a flush, a semaphore's release. Code that waits for the
// event calls Wait just before it blocks; code that makes the event runs
// between Begin and End. The validator then orders the event like a
// lock class:
//
//   - Wait records that every lock the goroutine holds waits for the event
//     (L → E), as if it took the event's lock and let it go at once;
//   - the locks taken between Begin and End depend on the event (E → M),
//     as if the region held its lock.
//
// So a goroutine that waits for a job while it holds L, where the job
// takes L, closes the cycle L → E → L, and it is reported like any other
// circular dependency, on a run in which the wait returned at once:
//
//	var done lockdep.Event // the job's completion
//
//	func (p *Pool) run(job func()) {
//		done.Begin()
//		defer done.End()
//		job()
//	}
//
//	func (p *Pool) Flush() {
//		done.Wait() // then wait for real, on a WaitGroup or a channel
//		p.wg.Wait()
//	}
//
// Wait inside a region of the same event is recursive locking: the
// goroutine would wait for itself. The zero value is an event with no
// class; it gets a class of its own, named after where it is first used,
// unless SetClass gives it one first. Give events made in numbers (one
// per job) a shared class, named after what is waited for
// ("example.com/pool.Pool.done").
//
// The region is a hold like a lock's: End by another goroutine than the
// one that called Begin is a hand-off (see the package documentation),
// and a region that never ends keeps its locks depending on the event.
// Locks the goroutine held before Begin are not counted: only those taken
// inside the region depend on the event. An Event never blocks and has no
// state of its own beyond its class; it must not be copied after first
// use. Its methods are safe for concurrent use: several goroutines may be
// inside regions of one event at once.
type Event struct {
	class atomic.Pointer[validate.Class]
}

func (e *Event) addr() uintptr { return uintptr(unsafe.Pointer(e)) }

// classOf returns e's class, giving it one of its own on first use.
func (e *Event) classOf() *validate.Class {
	if c := e.class.Load(); c != nil {
		return c
	}
	return e.ownClass()
}

// ownClass gives an event used without a class one of its own, named
// after where it is first used.
//
//go:noinline
func (e *Event) ownClass() *validate.Class {
	e.class.CompareAndSwap(nil, validate.InstanceClass("event: lockdep.Event", 0))
	return e.class.Load()
}

// SetClass sets the event's class. Call it before the event is first
// used, with a class shared by all events that play the same role.
func (e *Event) SetClass(c *Class) {
	if c != nil {
		e.class.Store(c.eventClass())
	}
}

// Begin starts a region of the calling goroutine that makes the event:
// the locks it takes until End depend on the event. Begin never blocks,
// and it adds no dependency on the locks already held (making an event
// does not wait for it).
//
//go:noinline
func (e *Event) Begin() {
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(e), e.classOf(), 0, validate.Write, stack.Caller(), nil)
	}
}

// End ends the region Begin started. Called by another goroutine, it
// ends that region as a hand-off: what the goroutine that called Begin
// took meanwhile no longer depends on the event.
//
//go:noinline
func (e *Event) End() {
	if v := validate.Active(); v != nil {
		v.EndRegion(e.addr(), e.classOf(), stack.Caller(), nil)
	}
}

// Signal makes the event at one point, as WaitGroup.Done, a send or
// Cond.Signal do: the locks the calling goroutine took since its start or
// its previous Signal (of any event), and those it holds, come after the
// event, so that a goroutine that waits for the event while it holds one
// of them closes a cycle. What it took is read from its stack of held
// locks: what it holds, the last lock it released at each depth, and the
// last eight of other classes that it released and then took another
// lock in place of (a lock taken again and again counts once). Signal
// never blocks. A goroutine's own later Wait for an event it signalled adds
// nothing: it does not wait for itself.
//
//go:noinline
func (e *Event) Signal() {
	if v := validate.Active(); v != nil {
		v.Signal(unsafe.Pointer(e), e.classOf(), stack.Caller(), nil)
	}
}

// Wait records that the calling goroutine is about to wait for the
// event: each lock it holds waits for it, and a cycle that closes is
// reported (see "When a finding is reported" in the package
// documentation). Call it before the real wait, even one that may return
// at once: the dependency is what a run that did not hang can tell. Wait
// itself never blocks.
//
//go:noinline
func (e *Event) Wait() {
	if v := validate.Active(); v != nil {
		v.Wait(unsafe.Pointer(e), e.classOf(), 0, stack.Caller(), nil)
	}
}
