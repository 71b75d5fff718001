package lockdepimpl

import (
	"unsafe"

	"github.com/golockdep/lockdep/internal/validate"
)

// A goroutine may end while it holds a lock: legal when another goroutine
// unlocks it later (a hand-off), a bug when none does. Rewritten go
// statements tell the validator when a goroutine ends, so that it can
// report a lock left held once someone waits for it or the process ends:
//
//	go func(...) { ... }(args)  →  go func(...) { defer lockdepimpl_.Exited(&site); ... }(args)
//	go x.m()                    →  go lockdepimpl_.Go(x.m, &site)
//	go f()                      →  go lockdepimpl_.Go(f, &site)
//
// The site is the go statement's. A goroutine that holds nothing when it
// ends costs a lookup of its held stack.

// Exited is deferred first by the function literal of a rewritten go
// statement: the goroutine ends when it returns. It reports nothing; the
// locks the goroutine still holds are remembered as left held.
//
//go:noinline
func Exited(s *Site) {
	if v := validate.Active(); v != nil {
		v.Exited(s, 0)
	}
}

// Go runs f, the function of a rewritten go statement without arguments
// (go x.m(), go f()), then tells the validator that the goroutine ends.
// f is evaluated by the go statement, as the original statement
// evaluated it.
func Go(f func(), s *Site) {
	defer goExited(f, s)
	f()
}

// goExited tells the validator that the goroutine that ran f ends.
func goExited(f func(), s *Site) {
	if v := validate.Active(); v != nil {
		v.Exited(s, funcPC(f))
	}
}

// funcPC returns the entry of the function f calls: a func value points
// to a closure whose first word is that entry.
func funcPC(f func()) uintptr {
	if f == nil {
		return 0
	}
	return **(**uintptr)(unsafe.Pointer(&f))
}
