package validate

import (
	"fmt"
	"os"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// Findings are delivered here, with no lock of the engine held, to what
// the configuration names: the text output, the JSON file
// (LOCKDEP_JSON), the OnReport callback, then the mode's action.

// emit delivers new findings: text, JSON line, callbacks, then the mode's
// action. No lock of the validator is held while user code runs.
func (v *Validator) emit(reps []report.Report) {
	if len(reps) == 0 {
		return
	}
	c := cfg.Load()
	for _, r := range reps {
		v.print(c, &r)
		if c.OnReport != nil {
			c.OnReport(r)
		}
	}
	switch c.Mode {
	case Panic:
		panic(reps[0])
	case Exit:
		os.Exit(66)
	}
}

func (v *Validator) print(c *Config, r *report.Report) {
	v.emitMu.Lock()
	defer v.emitMu.Unlock()
	reporting.Text(c.Out).Finding(r)
	if c.JSONPath == "" || v.jsonFailed {
		return
	}
	if v.jsonFile == nil {
		f, err := os.OpenFile(c.JSONPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lockdep: LOCKDEP_JSON: %v; findings are not written there\n", err)
			v.jsonFailed = true
			return
		}
		v.jsonFile = f
	}
	reporting.JSON(v.jsonFile).Finding(r)
}
