package lockdepimpl

import (
	"unsafe"

	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// Fresh installs a new validator, in Warn mode with its output discarded,
// and returns a function that lists its findings and one that restores
// the previous validator. Tests using it must not run in parallel.
func Fresh() (findings func() []report.Report, restore func()) {
	v := validate.New(validate.DefaultLimits)
	return v.Findings, validate.Replace(v, validate.Config{Mode: validate.Warn})
}

// RegisteredClass returns the name of the class registered for the mutex
// at p, or "".
func RegisteredClass(p unsafe.Pointer) string {
	if c := reg.lookup(p); c != nil {
		return c.Name()
	}
	return ""
}

// ReportWaiting reports the findings of the acquisitions that still wait,
// as at the end of a test.
func ReportWaiting() {
	if v := validate.Active(); v != nil {
		v.ReportWaiting(report.TestEnded)
	}
}
