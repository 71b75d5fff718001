package lockdep

import (
	"errors"
	"io"

	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// Report is one finding, as package [report] defines it: its kind, the
// lock, the dependency chain, the locks held and the stacks. Its String
// method gives the text form, laid out like the Linux kernel's lockdep
// reports; JSON gives one line of JSON with stable field names, which
// package report lists.
type Report = report.Report

// Kind is the kind of a finding ([report.Kind]). Its String method gives
// the name the JSON form uses.
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
	// ExitedHolding: a goroutine ended while it held a lock that no
	// goroutine unlocked after (see "Goroutines that end holding locks"
	// in the package documentation).
	ExitedHolding = report.ExitedHolding
)

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

// ClassStats is one class's lock statistics ([report.ClassStats]): see
// [Statistics] and [Stats].
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

// WriteGraph writes the validator's graph file to w: its classes, the
// dependencies between them, each with the stack that first made it, and
// the findings so far, as indented JSON that lockdep graph and lockdep
// merge read. It returns the error of the write, or one that says that
// validation has been off since start-up, when there is no graph.
//
// Setting LOCKDEP_GRAPH=path keeps a graph file up to date instead:
// rewritten a tenth of a second after each change, and on the signal
// LOCKDEP_GRAPH_SIGNAL names, such as USR1.
func WriteGraph(w io.Writer) error {
	v := validate.Current()
	if v == nil {
		return errors.New("lockdep: validation has been off since start-up: no graph")
	}
	gr := v.Graph()
	_, err := w.Write(gr.Marshal())
	return err
}
