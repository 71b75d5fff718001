package lockdepimpl

import "github.com/golockdep/lockdep/internal/validate"

// A test binary writes what it recorded for the lockdep command as it
// exits (the lock statistics; the graph file of LOCKDEP_GRAPH). Go runs
// nothing at exit, so rewritten test files exit through this package:
// the command adds a TestMain that calls TestMain, and os.Exit(code) in
// test files becomes os.Exit(Flushed(code)).

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

// Flush writes what the process recorded for the lockdep command now.
func Flush() {
	if v := validate.Current(); v != nil {
		v.Flush()
	}
}
