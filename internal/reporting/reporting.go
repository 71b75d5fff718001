// Package reporting makes lockdep's findings, as the validator and the
// lockdep command's merge of processes' records both do: the report of a
// cycle of the class graph, the key that makes two reports one problem,
// the graph file of a class graph, and the top contended sites of a
// class's statistics. It also holds what the run-time and the command
// share to show them: the held-lock dump, the bounds' usage, counts and
// durations in words.
//
// The finding model itself is the public package
// github.com/golockdep/lockdep/report. Everything here is in the
// run-time module that every validated process compiles (see
// internal/cli/runtime.go); renderers that only the command needs are in
// internal/render.
package reporting

import (
	"sort"
	"strings"

	"github.com/golockdep/lockdep/report"
)

// Key identifies the problem a report is about: its kind and the classes
// involved (for a cycle, as a set; for a lock left held by a goroutine
// that exited, its class and mode; otherwise the lock's class and mode and
// the held lock's), and what sets problems of those classes apart: for
// recursive locking, the same instance or another, and whether the run
// took the two the other way round; for a bad unlock or an assertion, the
// detail. Two reports with one key are one problem, reported once. The
// key holds no line number, goroutine or address, so it survives edits
// of the code around the locks; a baseline lists findings by it.
func Key(r *report.Report) string {
	k := r.Kind.String() + ":"
	switch r.Kind {
	case report.Timeout:
		return k + r.Lock.Class // one report per stuck lock class
	case report.ExitedHolding:
		// One report per class and mode left held, whether a waiter or
		// the end of the process or of a test reported it.
		return k + r.Lock.Class + "{" + r.Lock.Mode + "}"
	case report.Circular:
		cs := make([]string, 0, len(r.Chain))
		for _, d := range r.Chain {
			cs = append(cs, d.Class)
		}
		sort.Strings(cs)
		if r.GuardedBy != "" {
			return k + strings.Join(cs, "|") + "|guarded by " + r.GuardedBy
		}
		return k + strings.Join(cs, "|")
	}
	k += r.Lock.Class + "{" + r.Lock.Mode + "}"
	if r.Holding != nil {
		k += "|" + r.Holding.Class + "{" + r.Holding.Mode + "}"
	}
	if r.Kind != report.Recursive {
		return k + "|" + r.Detail
	}
	switch {
	case r.SameInstance:
		k += "|same instance"
	case r.Opposite != nil:
		k += "|other instance, taken the other way round"
	default:
		k += "|other instance"
	}
	return k
}
