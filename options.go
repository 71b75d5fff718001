package lockdep

import (
	"fmt"
	"io"
	"time"

	"github.com/golockdep/lockdep/internal/validate"
)

// An Option configures the validator; pass options to Configure. Options
// are made only by this package: the Action constants, Output, OnReport,
// Statistics and WaitTimeout.
type Option interface {
	apply(*validate.Config)
}

// An Action is what the validator does on a finding: Warn, Panic or
// Exit; or Off, which validates nothing. LOCKDEP=warn|panic|exit|off sets
// it at start-up; Configure(lockdep.Panic) at run time, since an Action is
// an Option.
type Action int

const (
	// Warn prints each new finding and carries on. The default.
	Warn Action = 0
	// Panic prints each new finding, then panics with the Report in the
	// goroutine that made the operation.
	Panic Action = 1
	// Exit prints each new finding, then exits the process with status 66.
	Exit Action = 2
	// Off turns validation off: locks are plain sync locks plus one branch.
	Off Action = 3
)

var actions = [...]struct {
	name string
	mode validate.Mode
}{
	Warn:  {"warn", validate.Warn},
	Panic: {"panic", validate.Panic},
	Exit:  {"exit", validate.Exit},
	Off:   {"off", validate.Off},
}

// String returns the action's name as LOCKDEP spells it: warn, panic, exit
// or off.
func (a Action) String() string {
	if a >= 0 && int(a) < len(actions) {
		return actions[a].name
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// apply sets the action; one that is not among the constants changes
// nothing.
func (a Action) apply(c *validate.Config) {
	if a >= 0 && int(a) < len(actions) {
		c.Mode = actions[a].mode
	}
}

// Output sends the text form of each new finding to w instead of
// os.Stderr. A nil w discards the text; callbacks and Findings still see
// every report.
func Output(w io.Writer) Option { return outputOption{w} }

type outputOption struct{ w io.Writer }

func (o outputOption) apply(c *validate.Config) {
	if o.w == nil {
		o.w = io.Discard
	}
	c.Out = o.w
}

// OnReport sets the function called with each new finding, after its text
// is written and before Panic or Exit act, in the goroutine that made the
// operation; OnReport(nil) removes it. No lock of the validator is held
// while f runs, so f may itself use validated locks.
func OnReport(f func(Report)) Option { return reportOption{f} }

type reportOption struct{ f func(Report) }

func (o reportOption) apply(c *validate.Config) { c.OnReport = o.f }

// Statistics turns lock statistics per class on or off (off by default;
// LOCKDEP_STAT=1 turns them on at start-up): acquisitions, contentions
// (acquisitions that found the lock taken), total and longest wait,
// longest hold, and the most contended sites. See [Stats]. While on, every
// blocking acquisition tries its lock first and reads the clock.
func Statistics(on bool) Option { return statsOption(on) }

type statsOption bool

func (o statsOption) apply(c *validate.Config) { c.Stats = bool(o) }

// WaitTimeout turns the watchdog on (d > 0) or off (d <= 0; the default,
// or LOCKDEP_TIMEOUT=d at start-up): a goroutine that waits longer than d
// for one lock is reported as a "lock wait timeout", naming the goroutines
// that hold it, what they hold and their stacks, and the other waiters.
// One report per lock class.
func WaitTimeout(d time.Duration) Option { return timeoutOption(d) }

type timeoutOption time.Duration

func (o timeoutOption) apply(c *validate.Config) {
	c.Timeout = time.Duration(o)
	if c.Timeout < 0 {
		c.Timeout = 0
	}
}

// Configure changes the validator's configuration: each option replaces
// the setting it names. Safe for concurrent use.
//
// Turning validation on with an Action other than Off after it was off
// only validates locks acquired from then on. Once a bound has switched the
// validator off, it stays off.
func Configure(opts ...Option) {
	validate.Configure(func(c *validate.Config) {
		for _, o := range opts {
			if o != nil {
				o.apply(c)
			}
		}
	})
}
