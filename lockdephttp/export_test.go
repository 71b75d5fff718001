package lockdephttp

import (
	"time"

	"github.com/golockdep/lockdep/internal/validate"
)

// Fresh installs a new validator with the default bounds, in Warn mode
// with text output discarded, keeping statistics if stats is set, and
// returns a function that restores the previous validator. Tests using it
// must not run in parallel.
func Fresh(stats bool) (restore func()) {
	return validate.Replace(validate.New(validate.DefaultLimits), validate.Config{Mode: validate.Warn, Stats: stats, Settle: 50 * time.Millisecond})
}

// Off makes validation off since start-up: there is no validator.
func Off() (restore func()) {
	return validate.Replace(nil, validate.Config{Mode: validate.Off})
}

// SetMaxLayout sets the largest graph the page lays out.
func SetMaxLayout(n int) (restore func()) {
	prev := maxLayout
	maxLayout = n
	return func() { maxLayout = prev }
}
