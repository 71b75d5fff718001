package lockdepimpl

import (
	"github.com/golockdep/lockdep/internal/report"
	"github.com/golockdep/lockdep/internal/validate"
)

// A test binary reports its deadlocks in progress and writes what it
// recorded for the lockdep command as it exits (the lock statistics; the graph file of LOCKDEP_GRAPH). Go runs
// nothing at exit, so rewritten test files exit through this package:
// the command adds a TestMain that calls TestMain, and os.Exit(code) in
// test files becomes os.Exit(Flushed(code)).

// TestMain runs the tests, through user (the package's own TestMain,
// renamed) if it is not nil, then writes what the run recorded. It
// returns, and the test binary exits with the tests' status.
func TestMain[M interface{ Run() int }](m M, user func(M)) {
	if user != nil {
		user(m)
	} else {
		m.Run()
	}
	Flush()
}

// Flushed writes what the run recorded and returns code, for os.Exit.
func Flushed(code int) int {
	Flush()
	return code
}

// MainReturned is deferred by a rewritten program's main: when main
// returns, or a panic unwinds out of it, the process is about to end.
func MainReturned() { Flush() }

// Flush is for the end of the process: it reports the deadlocks in
// progress (the findings of acquisitions that still wait for their
// locks), then writes what the process recorded for the lockdep command.
func Flush() {
	if v := validate.Current(); v != nil {
		v.ReportWaiting(report.ProcessEnded)
		v.Flush()
	}
}
