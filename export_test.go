package lockdep

import (
	"fmt"
	"time"

	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// Limits exposes the validator's bounds to tests.
type Limits = validate.Limits

// DefaultLimits are the bounds without LOCKDEP_MAX_* settings.
var DefaultLimits = validate.DefaultLimits

// TestSettle is the settle time of the validators Fresh makes: long enough
// for a hand-off in flight to complete, short enough that a test of a
// deadlock in progress does not wait a second.
const TestSettle = 50 * time.Millisecond

// Fresh installs a new validator with the given bounds, in Warn mode with
// text output discarded, and returns a function that restores the previous
// configuration and validator. Tests using it must not run in parallel.
func Fresh(l Limits, opts ...Option) (restore func()) {
	return FreshSettle(l, TestSettle, opts...)
}

// FreshSettle is Fresh with settle time d. Step-by-step tests that must
// see findings wait exactly as long as their steps take use a long one.
func FreshSettle(l Limits, d time.Duration, opts ...Option) (restore func()) {
	restore = validate.Replace(validate.New(l), validate.Config{Mode: validate.Warn, Settle: d})
	Configure(opts...)
	return restore
}

// ProcessEnds reports the deadlocks in progress, as the process does when
// it ends.
func ProcessEnds() { validate.Current().ReportWaiting(report.ProcessEnded) }

// Chains returns the validator's chains, each as "A{W} B{R}".
func Chains() []string {
	var out []string
	for _, c := range validate.Current().Chains() {
		s := ""
		for i, l := range c {
			if i > 0 {
				s += " "
			}
			s += l.Class + "{" + l.Mode + "}"
		}
		out = append(out, s)
	}
	return out
}

// Usage returns how much of each bound is used, as "bound used/limit".
func Usage() []string {
	var out []string
	for _, u := range validate.Current().Usage() {
		out = append(out, fmt.Sprintf("%s %d/%d", u.Bound, u.Used, u.Limit))
	}
	return out
}
