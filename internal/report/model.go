package report

import "github.com/golockdep/lockdep/report"

// The finding model is package github.com/golockdep/lockdep/report; these
// names keep this package's users compiling while they move to it.

type (
	Report     = report.Report
	Kind       = report.Kind
	Frame      = report.Frame
	Lock       = report.LockRef
	Dependency = report.Dependency
	Release    = report.ReleaseSite
	ClassStats = report.ClassStats
	SiteCount  = report.ContendedSite
	Goroutine  = report.Goroutine
)

const (
	Version      = report.Version
	Circular     = report.Circular
	Recursive    = report.Recursive
	BadUnlock    = report.BadUnlock
	Assertion    = report.Assertion
	BadSubclass  = report.BadSubclass
	Timeout      = report.Timeout
	Settled      = report.Settled
	TestEnded    = report.TestEnded
	ProcessEnded = report.ProcessEnded
)

// Kinds lists every kind, in order.
func Kinds() []Kind { return report.Kinds() }
