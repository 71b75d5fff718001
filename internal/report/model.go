// Package report is what the validator knew of the finding model before
// it moved: the model is package github.com/golockdep/lockdep/report,
// findings are made in internal/reporting, and the graph file is
// internal/graphfile. These names keep internal/validate compiling until
// it imports those.
package report

import (
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

type (
	Report       = report.Report
	Kind         = report.Kind
	Frame        = report.Frame
	Lock         = report.LockRef
	Dependency   = report.Dependency
	Release      = report.ReleaseSite
	ClassStats   = report.ClassStats
	SiteCount    = report.ContendedSite
	Goroutine    = report.Goroutine
	Acquisition  = reporting.Acquisition
	Resolver     = reporting.Resolver
	HeldResolver = reporting.HeldResolver
	BoundUsage   = reporting.BoundUsage
	Graph        = graphfile.Graph
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

var (
	CycleReport    = reporting.CycleReport
	ModeName       = reporting.ModeName
	GraphOf        = reporting.GraphOf
	TopSites       = reporting.TopSites
	HeldDump       = reporting.HeldDump
	WriteGraphFile = graphfile.WriteFile
)
