package validate

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// When a process hangs, the held-lock dump says who holds what. It is
// printed to standard error on demand (DumpHeld), on SIGQUIT before Go's
// own goroutine dump (with LOCKDEP_SIGQUIT=1 only: the goroutine that
// waits for the signal would show in the goroutine-leak checks of the
// code under test), and after LOCKDEP_DUMP_AFTER has passed since
// start-up (the lockdep command sets it just short of go test's -timeout,
// so that the dump comes before the timeout's panic).

func startDumps(getenv func(string) string) []string {
	var warns []string
	if getenv("LOCKDEP_SIGQUIT") == "1" {
		dumpOnQuit()
	}
	if s := getenv("LOCKDEP_DUMP_AFTER"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return append(warns, fmt.Sprintf("lockdep: LOCKDEP_DUMP_AFTER=%q is not a positive duration; no dump", s))
		}
		time.AfterFunc(d, func() {
			if v := Current(); v != nil {
				// The process is about to end (go test's -timeout): a
				// deadlock in progress is reported now, not when it
				// would have settled.
				v.ReportWaiting(report.ProcessEnded)
				fmt.Fprintf(os.Stderr, "lockdep: %s since start-up (LOCKDEP_DUMP_AFTER):\n", d)
				v.DumpHeld(os.Stderr)
			}
		})
	}
	return warns
}

// DumpHeld writes every goroutine's held locks to w.
func (v *Validator) DumpHeld(w io.Writer) {
	io.WriteString(w, reporting.HeldDump(v.HeldLocks()))
}
