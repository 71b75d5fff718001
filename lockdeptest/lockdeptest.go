// Package lockdeptest fails tests whose locking the validator of package
// [github.com/golockdep/lockdep] found fault with.
//
// Check one test by deferring VerifyNone at its start:
//
//	func TestTransfer(t *testing.T) {
//		defer lockdeptest.VerifyNone(t)
//		...
//	}
//
// or a whole package from TestMain:
//
//	func TestMain(m *testing.M) {
//		lockdeptest.VerifyTestMain(m)
//	}
//
// Findings are counted since the previous VerifyNone or VerifyTestMain
// check in the process (or since it started), so with VerifyNone in every
// test each failure names the test that made the finding. Tests that run
// in parallel share one validator: a finding fails whichever check comes
// first.
//
// The validator still prints each report when it is found (see
// lockdep.Output); these helpers print them again as the test failure.
package lockdeptest

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

var (
	mu     sync.Mutex
	cursor int // findings before cursor were checked already
)

// unchecked returns the findings since the previous check and moves the
// cursor past them.
func unchecked() []lockdep.Report {
	mu.Lock()
	defer mu.Unlock()
	all := lockdep.Findings()
	if cursor > len(all) {
		cursor = len(all)
	}
	var fresh []lockdep.Report
	for _, r := range all[cursor:] {
		if r.GuardedBy == "" { // a guarded cycle is shown, not counted
			fresh = append(fresh, r)
		}
	}
	cursor = len(all)
	return fresh
}

func describe(reps []lockdep.Report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lockdep: %d finding(s):\n", len(reps))
	for _, r := range reps {
		b.WriteString(r.String())
	}
	return b.String()
}

// VerifyNone fails t if the validator made any finding since the previous
// check, printing the reports. Call it with defer at the start of a test.
func VerifyNone(t testing.TB) {
	t.Helper()
	if v := validate.Current(); v != nil {
		v.ReportWaiting(report.TestEnded)
	}
	if reps := unchecked(); len(reps) > 0 {
		t.Error(describe(reps))
	}
}

// osExit is os.Exit, replaced in tests.
var osExit = os.Exit

// VerifyTestMain runs the tests of m and exits. If they passed but the
// validator made a finding, it prints the reports and exits with status 1.
// Use it as the body of TestMain.
func VerifyTestMain(m *testing.M) {
	verifyAfterRun(m.Run())
}

// verifyAfterRun exits with code, or 1 if the tests passed but the
// validator made a finding.
func verifyAfterRun(code int) {
	if v := validate.Current(); v != nil {
		v.ReportWaiting(report.ProcessEnded)
	}
	if reps := unchecked(); len(reps) > 0 && code == 0 {
		fmt.Fprint(os.Stderr, describe(reps))
		code = 1
	}
	// What the process leaves for others (its statistics for the lockdep
	// command, LOCKDEP_GRAPH's file) is written before it exits.
	if v := validate.Current(); v != nil {
		v.Flush()
	}
	osExit(code)
}
