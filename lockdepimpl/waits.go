package lockdepimpl

import (
	"sync"
	"unsafe"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
)

// Waits that are not locks (see the lockdep package documentation,
// "Waits that are not locks"). Rewritten code calls these functions in
// place of the methods of sync.WaitGroup, sync.Once and sync.Cond; a
// site's class is the event's, "kind: name", named after the
// declaration of the WaitGroup, Once or Cond (of the pointer, for one
// reached through a pointer):
//
//	wg.Wait()   →  lockdepimpl_.WGWait(&wg, &lockdepSites_N[i])       (class "wait: p.T.wg")
//	wg.Done()   →  lockdepimpl_.WGDone(&wg, &lockdepSites_N[i])
//	wg.Go(f)    →  lockdepimpl_.WGGo(&wg, &lockdepSites_N[i], f)
//	wg.Done     →  lockdepimpl_.WGMethod(&wg, &lockdepSites_N[i]).Done    (a method value)
//	once.Do(f)  →  lockdepimpl_.OnceDo(&once, &lockdepSites_N[i], f)  (class "once: p.T.once")
//	c.Wait()    →  lockdepimpl_.CondWait(c, &lockdepSites_N[i])       (class "cond: p.T.c")
//
// A wait validates that each lock the goroutine holds waits for the
// event (L → E), then waits for real; making the event validates that
// the locks the goroutine took since its start or its previous signal,
// and those it holds, come after it (E → M), then makes it for real. A
// Once's Do is a lock around its function, at the Once's address.

// WGWait is (*sync.WaitGroup).Wait, validated: each lock the calling
// goroutine holds waits for the WaitGroup's event, then it waits.
//
//go:noinline
func WGWait(wg *sync.WaitGroup, s *Site) {
	if v := validate.Active(); v != nil {
		v.Wait(unsafe.Pointer(wg), wgFollowed(wg, s), 0, stack.Caller(), s)
	}
	wg.Wait()
}

// WGDone is (*sync.WaitGroup).Done, validated: the WaitGroup's event
// comes before the locks the goroutine took since its start or its
// previous signal, and those it holds; then it is done.
//
//go:noinline
func WGDone(wg *sync.WaitGroup, s *Site) {
	if v := validate.Active(); v != nil {
		v.Signal(unsafe.Pointer(wg), wgFollowed(wg, s), stack.Caller(), s)
	}
	wg.Done()
}

// WGBegin is the argument of a deferred Done (defer wg.Done() becomes
// defer WGDeferredDone(WGBegin(&wg, s), s)), evaluated at the defer
// statement: from there to the function's return the goroutine is in a
// region of the WaitGroup's event, as the function of WGGo is, so that a
// lock it then blocks on while a Wait holds it makes the cycle before it
// blocks (a deadlock in progress), not at a Done that never comes. It
// returns wg.
//
//go:noinline
func WGBegin(wg *sync.WaitGroup, s *Site) *sync.WaitGroup {
	if v := validate.Active(); v != nil {
		v.Tried(unsafe.Pointer(wg), wgClass(wg, s), 0, validate.Write, stack.Caller(), s)
	}
	return wg
}

// WGDeferredDone is a deferred wg.Done(), whose region WGBegin began: it
// ends the region, makes the event as WGDone does, and calls Done.
//
//go:noinline
func WGDeferredDone(wg *sync.WaitGroup, s *Site) {
	if v := validate.Active(); v != nil {
		pc := stack.Caller()
		c := wgClass(wg, s)
		v.EndRegion(addr(wg), c, pc, s)
		v.Signal(unsafe.Pointer(wg), c, pc, s)
	}
	wg.Done()
}

// goer is a sync.WaitGroup of Go 1.25 or later. WGGo reaches Go through
// it, not to need that release to compile: rewritten code calls WGGo only
// where the module's code calls WaitGroup.Go, which the toolchain then
// has.
type goer interface{ Go(func()) }

// WGGo is (*sync.WaitGroup).Go, validated: f runs in a new goroutine
// started by wg.Go, inside a region of the WaitGroup's event, as an
// Event's Begin and End make one: every lock f takes depends on the
// event when it is taken, so that a function that blocks on a lock that
// a Wait holds makes the cycle before it blocks (and it is reported as a
// deadlock in progress). Its return signals the event (the implicit
// Done) at s, before the real Done, and tells the validator that the
// goroutine ends, as a rewritten go statement does.
//
//go:noinline
func WGGo(wg *sync.WaitGroup, s *Site, f func()) {
	wgGo(wg, s, stack.Caller(), f)
}

// wgGo is WGGo called at pc.
func wgGo(wg *sync.WaitGroup, s *Site, pc uintptr, f func()) {
	any(wg).(goer).Go(func() {
		defer goExited(f, s) // last: the goroutine ends (see Go)
		defer wgSignal(wg, s, pc)
		if v := validate.Active(); v != nil {
			v.Tried(unsafe.Pointer(wg), wgClass(wg, s), 0, validate.Write, pc, s)
			defer endRegion(wg, s, pc)
		}
		f()
	})
}

// endRegion ends the region of the WaitGroup's event that WGGo began.
func endRegion(wg *sync.WaitGroup, s *Site, pc uintptr) {
	if v := validate.Active(); v != nil {
		v.EndRegion(addr(wg), wgClass(wg, s), pc, s)
	}
}

// wgSignal signals the event of WaitGroup wg, at s and pc, while
// validation is on.
func wgSignal(wg *sync.WaitGroup, s *Site, pc uintptr) {
	if v := validate.Active(); v != nil {
		v.Signal(unsafe.Pointer(wg), wgFollowed(wg, s), pc, s)
	}
}

// signal signals the event at p, of the class of s, at pc, while
// validation is on.
func signal(p unsafe.Pointer, s *Site, pc uintptr) {
	if v := validate.Active(); v != nil {
		v.Signal(p, nil, pc, s)
	}
}

// WaitGroup is a *sync.WaitGroup used as a method value (wg.Done passed
// as a callback), with the site where the value was made; its methods are
// validated as [WGWait], [WGDone] and [WGGo] are.
type WaitGroup struct {
	wg *sync.WaitGroup
	s  *Site
}

// WG wraps wg, for a method value of a *sync.WaitGroup made at s.
func WGMethod(wg *sync.WaitGroup, s *Site) *WaitGroup { return &WaitGroup{wg: wg, s: s} }

// Add adds delta to the WaitGroup's counter: it is not a wait, and is not
// validated.
func (w *WaitGroup) Add(delta int) { w.wg.Add(delta) }

// Done decrements the WaitGroup's counter, a signal of its event.
//
//go:noinline
func (w *WaitGroup) Done() {
	wgSignal(w.wg, w.s, stack.Caller())
	w.wg.Done()
}

// Wait waits for the WaitGroup's counter to reach zero.
//
//go:noinline
func (w *WaitGroup) Wait() {
	if v := validate.Active(); v != nil {
		v.Wait(unsafe.Pointer(w.wg), wgFollowed(w.wg, w.s), 0, stack.Caller(), w.s)
	}
	w.wg.Wait()
}

// Go runs f in a new goroutine, as [WGGo].
//
//go:noinline
func (w *WaitGroup) Go(f func()) {
	wgGo(w.wg, w.s, stack.Caller(), f)
}

// OnceDo is (*sync.Once).Do, validated as a lock of the Once's class
// around f: the locks the goroutine holds come before the Once, which
// comes before the locks f takes. A Do already done counts too, and a Do
// inside f of the same Once is reported as recursive locking (see
// the validator's OnceDo).
//
//go:noinline
func OnceDo(o *sync.Once, s *Site, f func()) {
	if v := validate.Active(); v != nil {
		v.OnceDo(o, f, s.ClassOf(), stack.Caller(), s)
		return
	}
	o.Do(f)
}

// Once is a *sync.Once used as a method value (once.Do passed as a
// function), with the site where the value was made; Do is validated as
// [OnceDo] is.
type Once struct {
	o *sync.Once
	s *Site
}

// OnceMethod wraps o, for a method value of a *sync.Once made at s.
func OnceMethod(o *sync.Once, s *Site) *Once { return &Once{o: o, s: s} }

// Do calls f if and only if Do is called for the first time for the Once.
//
//go:noinline
func (o *Once) Do(f func()) {
	if v := validate.Active(); v != nil {
		v.OnceDo(o.o, f, o.s.ClassOf(), stack.Caller(), o.s)
		return
	}
	o.o.Do(f)
}

// CondWait is (*sync.Cond).Wait, validated: each lock the calling
// goroutine holds, but the one behind c.L, which Wait releases while it
// waits, waits for the Cond's event; then it waits. A c.L this package
// cannot see into (a Locker of another type, which may stand for a lock
// the goroutine holds) is not validated: the wait is not either, rather
// than order that lock before the event it waits with.
//
//go:noinline
func CondWait(c *sync.Cond, s *Site) {
	condWait(c, s, stack.Caller())
	c.Wait()
}

func condWait(c *sync.Cond, s *Site, pc uintptr) {
	v := validate.Active()
	if v == nil {
		return
	}
	if l, ok := lockAddr(c.L); ok {
		v.Wait(unsafe.Pointer(c), s.ClassOf(), l, pc, s)
	}
}

// lockAddr returns the address of the lock behind l, a Cond's L, if l is
// a *sync.Mutex, a *sync.RWMutex or one of this package's wrappers, and
// whether it is.
func lockAddr(l sync.Locker) (uintptr, bool) {
	switch l := l.(type) {
	case *Mutex:
		return addr(l.m), true
	case *RWMutex:
		return addr(l.rw), true
	case *rlocker:
		return addr(l.rw), true
	case *sync.Mutex:
		return addr(l), true
	case *sync.RWMutex:
		return addr(l), true
	}
	return 0, false
}

// CondSignal is (*sync.Cond).Signal, validated: the Cond's event comes
// before the locks the goroutine took since its start or its previous
// signal, and those it holds; then it signals.
//
//go:noinline
func CondSignal(c *sync.Cond, s *Site) {
	signal(unsafe.Pointer(c), s, stack.Caller())
	c.Signal()
}

// CondBroadcast is (*sync.Cond).Broadcast, validated as [CondSignal].
//
//go:noinline
func CondBroadcast(c *sync.Cond, s *Site) {
	signal(unsafe.Pointer(c), s, stack.Caller())
	c.Broadcast()
}

// Cond is a *sync.Cond used as a method value (cond.Broadcast passed as
// a callback), with the site where the value was made; its methods are
// validated as [CondWait], [CondSignal] and [CondBroadcast] are.
type Cond struct {
	c *sync.Cond
	s *Site
}

// CondMethod wraps c, for a method value of a *sync.Cond made at s.
func CondMethod(c *sync.Cond, s *Site) *Cond { return &Cond{c: c, s: s} }

// Wait waits for the Cond, as [CondWait].
//
//go:noinline
func (c *Cond) Wait() {
	condWait(c.c, c.s, stack.Caller())
	c.c.Wait()
}

// Signal wakes one goroutine waiting on the Cond, as [CondSignal].
//
//go:noinline
func (c *Cond) Signal() {
	signal(unsafe.Pointer(c.c), c.s, stack.Caller())
	c.c.Signal()
}

// Broadcast wakes all goroutines waiting on the Cond, as [CondBroadcast].
//
//go:noinline
func (c *Cond) Broadcast() {
	signal(unsafe.Pointer(c.c), c.s, stack.Caller())
	c.c.Broadcast()
}
