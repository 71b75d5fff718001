// Package instrument rewrites Go source so that every operation on a
// [sync.Mutex] or [sync.RWMutex] goes through the lockdep run-time support
// package, github.com/golockdep/lockdep/lockdepimpl, which validates the
// acquisition before (or after) performing it.
//
// The rewrite is driven by go/types, never by text matching: a call is
// rewritten only when the type checker resolves it to one of the sync methods
// (for example (*sync.Mutex).Lock), so types that merely have a Lock method and
// [sync.Locker] interface values are left alone. A mutex that escapes into an
// interface (typically &mu passed to [sync.NewCond]) is wrapped where it
// escapes, so the calls made later through the interface are validated too.
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
// Each site carries the lock class of the mutex it operates on, named after its
// declaration as described in the lockdep design: pkg/path.Type.field for a
// struct field, pkg/path.Type for an embedded mutex, pkg/path.name for a
// package variable and pkg/path.Func.name (pkg/path.Type.Method.name for
// methods) for a local variable. Elements of arrays and slices share the class
// of the array or slice.
//
// # Limitations
//
//   - A mutex reached through a pointer whose origin is not visible at the call
//     (a *sync.Mutex parameter, a local pointer variable, a function result) is
//     classed by that pointer's declaration, e.g. pkg/path.f.m for the parameter
//     m of f. Different mutexes locked through one helper then share a class.
//   - Method expressions such as (*sync.Mutex).Lock get the class
//     pkg/path.Func.(*sync.Mutex) of the function they appear in.
//   - A mutex that escapes into an empty interface (any) is not wrapped: such
//     values are usually printed, compared or type-asserted rather than locked.
//     Locks taken through such a value, through a type parameter, or through a
//     pointer to a struct that embeds a mutex and escapes as a sync.Locker are
//     not validated.
//   - Files that import "C" (cgo) are not rewritten; [Result.Notes] says so.
package instrument
