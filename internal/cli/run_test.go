package cli

import (
	"errors"
	"testing"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// TestExitStatus covers every row of exitStatus: the exit codes of the
// manual, the order in which they win over each other, and how findings
// count (guarded cycles never, the baseline's known ones not).
func TestExitStatus(t *testing.T) {
	cycle := func(a, b, guard string) report.Report {
		return report.Report{Kind: report.Circular, GuardedBy: guard,
			Chain: []report.Dependency{{Class: a}, {Class: b}}}
	}
	ab, cd, guarded := cycle("m.A", "m.B", ""), cycle("m.C", "m.D", ""), cycle("m.E", "m.F", "m.G")
	knows := func(rs ...report.Report) *baseline {
		b := &baseline{path: "lockdep.baseline", known: map[string]bool{}}
		for i := range rs {
			b.known[reporting.Key(&rs[i])] = true
		}
		return b
	}
	written := knows(ab, cd) // -write-baseline: update made the run's findings known
	written.write = true
	for _, tc := range []struct {
		name string
		in   outcome
		code int
		why  string // the error's text, if the run did not complete
	}{
		{name: "test/ok", in: outcome{cmd: "test"}},
		{name: "test/failed", in: outcome{cmd: "test", status: goStatus{code: 1}}, code: 1},
		{name: "test/go-failed-2", in: outcome{cmd: "test", status: goStatus{code: 2}}, code: 1},
		{name: "test/failed-with-findings", in: outcome{cmd: "test", status: goStatus{code: 1}, findings: []report.Report{ab}}, code: 1},
		{name: "test/build-failed", in: outcome{cmd: "test", status: goStatus{code: 1, buildFailed: true}}, code: 1, why: "build failed"},
		{name: "test/build-failed-with-findings", in: outcome{cmd: "test", status: goStatus{code: 1, buildFailed: true}, findings: []report.Report{ab}}, code: 1, why: "build failed"},
		{name: "test/findings", in: outcome{cmd: "test", findings: []report.Report{ab, cd}}, code: 3},
		{name: "test/guarded-only", in: outcome{cmd: "test", findings: []report.Report{guarded}}},
		{name: "test/guarded-and-new", in: outcome{cmd: "test", findings: []report.Report{guarded, ab}}, code: 3},
		{name: "baseline/all-known", in: outcome{cmd: "test", findings: []report.Report{ab, cd}, base: knows(ab, cd)}},
		{name: "baseline/one-new", in: outcome{cmd: "test", findings: []report.Report{ab, cd}, base: knows(ab)}, code: 3},
		{name: "baseline/known-and-guarded", in: outcome{cmd: "test", findings: []report.Report{ab, guarded}, base: knows(ab)}},
		{name: "baseline/none-occurred", in: outcome{cmd: "test", base: knows(ab)}},
		{name: "baseline/written", in: outcome{cmd: "test", findings: []report.Report{ab, cd}, base: written}},
		{name: "baseline/tests-failed", in: outcome{cmd: "test", status: goStatus{code: 1}, findings: []report.Report{ab}, base: knows(ab)}, code: 1},
		{name: "interrupted/before-go", in: outcome{cmd: "test", cancelled: true}, code: 1, why: "interrupted"},
		{name: "interrupted/go-failed", in: outcome{cmd: "test", status: goStatus{code: 1, interrupted: true}, findings: []report.Report{ab}}, code: 1, why: "interrupted"},
		{name: "interrupted/go-passed", in: outcome{cmd: "test", status: goStatus{interrupted: true}}},
		{name: "interrupted/go-passed-findings", in: outcome{cmd: "test", status: goStatus{interrupted: true}, findings: []report.Report{ab}}, code: 3},
		{name: "stdout-closed/test", in: outcome{cmd: "test", stdoutClosed: true, status: goStatus{code: 1, interrupted: true}}, code: 1, why: "stdout closed: stopped go test"},
		{name: "stdout-closed/go-passed", in: outcome{cmd: "test", stdoutClosed: true, findings: []report.Report{ab}}, code: 1, why: "stdout closed: stopped go test"},
		{name: "stdout-closed/run", in: outcome{cmd: "run", stdoutClosed: true, status: goStatus{code: 7}}, code: 1, why: "stdout closed: stopped go run"},
		{name: "run/ok", in: outcome{cmd: "run"}},
		{name: "run/program-status", in: outcome{cmd: "run", status: goStatus{code: 7}}, code: 7},
		{name: "run/program-status-with-findings", in: outcome{cmd: "run", status: goStatus{code: 7}, findings: []report.Report{ab}}, code: 7},
		{name: "run/program-status-1", in: outcome{cmd: "run", status: goStatus{code: 1}}, code: 1},
		{name: "run/build-failed", in: outcome{cmd: "run", status: goStatus{code: 1, buildFailed: true}}, code: 1, why: "build failed"},
		{name: "run/findings", in: outcome{cmd: "run", findings: []report.Report{ab}}, code: 3},
		{name: "run/interrupted", in: outcome{cmd: "run", status: goStatus{code: 2, interrupted: true}}, code: 1, why: "interrupted"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := exitStatus(tc.in)
			if code := exitCode(err); code != tc.code {
				t.Errorf("exit status %d (%v), want %d", code, err, tc.code)
			}
			var ee *exitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("error %v is not an *exitError", err)
			}
			why := ""
			if ee != nil && ee.err != nil {
				why = ee.err.Error()
			}
			if why != tc.why {
				t.Errorf("error %q, want %q", why, tc.why)
			}
		})
	}
}
