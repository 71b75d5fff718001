package lockdep

import (
	"errors"
	"io"

	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// A Report is one finding. Its String method gives the text form, laid
// out like the Linux kernel's lockdep reports; JSON gives one line of
// JSON with stable field names:
//
//	version       the version of this form (1)
//	kind          circular, recursive, bad_unlock, assertion, bad_subclass
//	              or timeout
//	headline      what follows "WARNING: " in the text
//	goroutine     the goroutine that made the operation
//	lock          the lock acquired, released or asserted on: class, mode
//	              (W, R or T), at (where, if known), chain_first_seen_at
//	holding       the held lock the finding is about (circular, recursive)
//	chain         a cycle's dependencies, held lock first: class, mode,
//	              after (the class held), goroutine, stack, origin
//	writers       for a cycle through read locks, where those classes are
//	              write-locked
//	detail        a sentence completing the headline
//	advice        how to fix it, or how to declare it deliberate
//	same_instance for recursive locking, set if the lock is the one held
//	opposite_order for recursive locking of two instances of a class, where
//	              this run took them the other way round
//	holders       for a timeout, the goroutines that hold the lock: goroutine,
//	waiters       state, waiting, waited, held_locks, stack; the other waiters
//	last_release  for a bad unlock, where this goroutine last released the
//	              lock (at) after acquiring it (acquired_at)
//	held_locks    the locks the goroutine held, oldest first
//	stack         the goroutine's stack at the operation
//	unrecorded    for a cycle the lockdep command found across processes,
//	              the facts their records lacked: "holding" (where and in
//	              which mode the held lock was taken), "held_locks" (what
//	              else the goroutine held)
//
// Frames are {"func", "file", "line"}, files relative to the module root
// where possible.
type Report = report.Report

// Kind is the kind of a finding. Its String method gives the JSON name.
type Kind = report.Kind

// The kinds of findings.
const (
	// Circular: a new dependency closes a cycle of lock classes.
	Circular = report.Circular
	// Recursive: a goroutine acquires a class it already holds.
	Recursive = report.Recursive
	// BadUnlock: a lock that is not held is unlocked, or unlocked in the
	// wrong mode.
	BadUnlock = report.BadUnlock
	// Assertion: AssertHeld, AssertRHeld or AssertNotHeld failed.
	Assertion = report.Assertion
	// BadSubclass: LockNested or RLockNested with a subclass out of range.
	BadSubclass = report.BadSubclass
	// Timeout: a goroutine waited longer than WaitTimeout for a lock.
	Timeout = report.Timeout
)

// Frame is one call site of a stack in a report: the package
// path-qualified function, and file:line.
type Frame = report.Frame

// Lock names a lock in a report: its class, mode and where it was taken.
type Lock = report.LockRef

// Dependency is one link of a report's dependency chain: Class was
// acquired (in Mode) while After was held, first by Goroutine at Stack.
type Dependency = report.Dependency

// Release is where a goroutine last released a lock, in a bad-unlock
// report.
type Release = report.ReleaseSite

// Findings returns the findings reported so far in this process, oldest
// first, each problem once. A finding that rests on a lock still held is
// reported, and listed, once that lock is released (see "Hand-offs" in the
// package documentation).
func Findings() []Report {
	if v := validate.Current(); v != nil {
		return v.Findings()
	}
	return nil
}

// ClassStats is one class's lock statistics: see [Statistics].
type ClassStats = report.ClassStats

// Stats returns the lock statistics of every class acquired while
// statistics were on, most contended first.
func Stats() []ClassStats {
	if v := validate.Current(); v != nil {
		return v.Stats()
	}
	return nil
}

// DumpHeld writes every goroutine's held locks to w, with what each
// goroutine is doing and its stack, as the kernel's debug_show_all_locks
// does. It is for diagnosis: a goroutine that runs meanwhile may show what
// it held a moment before.
func DumpHeld(w io.Writer) {
	if v := validate.Current(); v != nil {
		v.DumpHeld(w)
	}
}

// WriteGraph writes the validator's graph file to path: its classes, the
// dependencies between them, each with the stack that first made it, and
// the findings so far, for lockdep graph and lockdep merge. Setting
// LOCKDEP_GRAPH=path keeps that file up to date instead (rewritten a tenth
// of a second after each change, and on the signal LOCKDEP_GRAPH_SIGNAL
// names, such as USR1).
func WriteGraph(path string) error {
	if v := validate.Current(); v != nil {
		return v.WriteGraph(path)
	}
	return errors.New("lockdep: validation has been off since start-up: no graph")
}
