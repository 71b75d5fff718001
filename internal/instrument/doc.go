// Package instrument rewrites Go source so that every operation on a
// [sync.Mutex] or [sync.RWMutex] goes through the lockdep run-time support
// package, github.com/golockdep/lockdep/lockdepimpl, which validates the
// acquisition before (or after) performing it.
//
// The rewrite is driven by go/types, never by text matching: a call is
// rewritten only when the type checker resolves it to one of the sync methods
// (for example (*sync.Mutex).Lock), or to a lock method of an interface or a
// type parameter, whose dynamic type is checked at run time; types that
// merely have a Lock method are left alone. A mutex that escapes into an
// interface (typically &mu passed to [sync.NewCond]) is wrapped where it
// escapes, so the calls made later through the interface, by code that is
// not rewritten too, are validated.
//
// # Same-line edits
//
// Every rewrite is a byte-range edit inside the lines of the original call, so
// each original line keeps its line number: panics, stack traces and lockdep
// reports point at the user's own lines. A rewritten file gains an import on
// its package-clause line and, after its last line, a version check and one
// array of static site records:
//
//	package p; import lockdepimpl_ "github.com/golockdep/lockdep/lockdepimpl"
//	...
//	lockdepimpl_.Lock(&s.mu, &lockdepSites_0[0])   // was: s.mu.Lock()
//	...
//	var _ = lockdepimpl_.V1
//	var lockdepSites_0 = [...]lockdepimpl_.Site{{Class: "p.S.mu", File: "p/x.go", Line: 12}}
//
// # Classes
//
// Each site carries the lock class of the mutex it operates on, named after
// its declaration as described in the lockdep design: pkg/path.Type.field
// for a struct field, pkg/path.Type for an embedded mutex, pkg/path.name
// for a package variable and pkg/path.Func.name (pkg/path.Type.Method.name
// for methods) for a local variable. Elements of arrays, and of slices held
// in a field or variable, share the class of the array or slice.
//
// A site that reaches its mutex through a pointer (a parameter, a function
// result, a field or element of pointer type) or calls Lock on an
// interface or a type parameter cannot name the declaration: its receiver
// is wrapped (lockdepimpl.Ptr, lockdepimpl.Any) and the class is found at
// run time by the mutex's address, which rewritten code registers where
// the declaration is in view (lockdepimpl.Ref or RWRef around &x.mu, and
// around a new mutex stored in a variable or field). The site records the
// pointer's own name, which names the class a mutex never registered
// gets. See follow.go.
//
// Everything the rewrite inserts, and the TestMain it adds to test
// packages (see testmain.go), is Go 1.16: no type parameters, no any. A
// module's go line sets the language version its files compile at, and
// one that is older than 1.18 (or absent, which means 1.16) would
// reject a call of a generic function.
//
// # Waits
//
// The waits that are not locks are rewritten too (see waits.go): each
// becomes a call of lockdepimpl with the receiver's address and a site
// whose class is the event's, "kind: " and the declaration's name, the
// same name a mutex there would have (through a pointer: the pointer's
// own name; no registry is involved):
//
//	wg.Wait()        →  lockdepimpl_.WGWait(&wg, &lockdepSites_0[0])    class "wait: p.S.wg"
//	defer wg.Done()  →  defer lockdepimpl_.WGDone(&wg, &lockdepSites_0[1])
//	wg.Go(f)         →  lockdepimpl_.WGGo(&wg, &lockdepSites_0[2], f)
//	once.Do(f)       →  lockdepimpl_.OnceDo(&once, &lockdepSites_0[3], f)  class "once: p.S.once"
//	c.Wait()         →  lockdepimpl_.CondWait(c, &lockdepSites_0[4])       class "cond: p.S.c"
//	c.Signal()       →  lockdepimpl_.CondSignal(c, &lockdepSites_0[5])     (Broadcast: CondBroadcast)
//
// WaitGroup.Add is left alone (it is not a wait). A method value wraps
// its receiver (lockdepimpl_.WGMethod(&wg, ...).Done); a method
// expression is not rewritten, nor are the functions that sync.OnceFunc,
// OnceValue and OnceValues return (they are not validated).
// go statements tell the validator when their goroutines end (see
// goexit.go), so that it can report a lock a goroutine left held.
//
// A struct type that embeds a mutex by value gets the mutex's methods as
// its own, for locks taken through a sync.Locker it went into (see
// embed.go), and //lockdep:nested directives set a site's subclass (see
// directive.go).
//
// Channel operations (sends, receives, closes, selects, ranges over a
// channel) get a call of lockdepimpl before their statement, on its
// line, with the sites of the channel's two event classes ("send: X",
// "receive: X", X the channel's class as above) and its len and cap
// evaluated there; see chans.go.
//
// # Limitations
//
//   - A channel operation is rewritten only where its channel expression
//     has no side effects (it is evaluated again for len and cap) and
//     its statement is in a statement list: not a channel a call
//     returns, a send in a for's post statement, a receive in the right
//     operand of && or ||, in a function literal, or in a var
//     declaration. A channel reached through a parameter or a local is
//     classed by it, not by the field it came from.
//   - A mutex whose address was never taken where its declaration is in
//     view (made outside the instrumented packages, or an element of a
//     slice parameter) gets a class of its own where it is reached through
//     a pointer: two classes if it is also locked where it is declared.
//   - A mutex embedded by pointer, or in a type whose package would see a
//     method set change, is locked through a sync.Locker unvalidated.
//   - Files that import "C" (cgo) are not rewritten; [Result.Notes] says so.
//   - A WaitGroup, Once or Cond reached through a pointer has the
//     pointer's class, not its declaration's: a Done through a worker's
//     *sync.WaitGroup parameter and a Wait on the variable it points to
//     are two events, and a cycle through both is missed.
//   - A Cond whose L is a Locker of a type other than *sync.Mutex,
//     *sync.RWMutex or lockdepimpl's wrappers (a struct that embeds a
//     mutex, say) has its Waits unvalidated: the lock they release is not
//     known.
//   - A go statement whose call passes arguments, or calls a function with
//     results, is left as it is: wrapping it would name the types of its
//     arguments or results, which the file may not be able to name. The
//     validator finds its goroutine gone only when the process or a test
//     ends.
package instrument
