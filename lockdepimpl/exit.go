package lockdepimpl

import (
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// A process that rewritten code ends reports its deadlocks in progress
// and writes what it recorded for the lockdep command (the lock
// statistics; the graph file of LOCKDEP_GRAPH) as it exits. Go runs
// nothing at exit, so rewritten code exits through this package: the
// command gives a test binary a TestMain that calls TestMain, a program's
// main defers MainReturned, and os.Exit(code) in rewritten files becomes
// os.Exit(Flushed(code)).

// TestMain runs the tests, through user (the package's own TestMain,
// renamed, called with m) if it is not nil, then writes what the run
// recorded. It returns, and the test binary exits with the tests'
// status. m is a *testing.M; the generated TestMain is Go 1.16, for a
// module under test whose go line may be that old, so neither takes a
// type parameter.
func TestMain(m interface{ Run() int }, user func()) {
	if user != nil {
		user()
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
