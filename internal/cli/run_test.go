package cli

import (
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"sync"
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

// TestGoOutput feeds goOutput the go command's output, as go test and go
// run print it, and checks what it copies and what it reads in it.
func TestGoOutput(t *testing.T) {
	long := strings.Repeat("x", 100_000)
	for _, tc := range []struct {
		name           string
		cmd            string
		stdout, stderr string // go's output
		code           int    // go's exit code
		interrupted    bool
		want           goStatus
	}{
		{name: "test/ok", cmd: "test", stdout: "ok  \tm/a\t0.1s\n", want: goStatus{}},
		{name: "test/failed", cmd: "test", stdout: "--- FAIL: TestX (0.00s)\nFAIL\nFAIL\tm/a\t0.1s\n", code: 1, want: goStatus{code: 1}},
		{name: "test/no-tests", cmd: "test", stdout: "?   \tm/b\t[no test files]\n", want: goStatus{}},
		{name: "test/build-failed", cmd: "test", stdout: "FAIL\tm/a [build failed]\nok  \tm/b\t0.1s\n",
			stderr: "# m/a\na.go:3:2: undefined: x\n", code: 1, want: goStatus{code: 1, buildFailed: true}},
		{name: "test/setup-failed", cmd: "test", stdout: "FAIL\tm/a [setup failed]\n", code: 1, want: goStatus{code: 1, buildFailed: true}},
		{name: "test/json-build-failed", cmd: "test", stdout: `{"Action":"fail","Package":"m/a","FailedBuild":"m/a"}` + "\n", code: 1,
			want: goStatus{code: 1, buildFailed: true}},
		{name: "test/json-failed", cmd: "test", stdout: `{"Action":"fail","Package":"m/a"}` + "\n", code: 1, want: goStatus{code: 1}},
		{name: "test/failed-before-any-test", cmd: "test", stderr: "go: cannot find main module\n", code: 1, want: goStatus{code: 1, buildFailed: true}},
		{name: "test/interrupted-before-any-test", cmd: "test", code: 1, interrupted: true, want: goStatus{code: 1, interrupted: true}},
		{name: "test/interrupted-build-failed", cmd: "test", stdout: "FAIL\tm/a [build failed]\n", code: 1, interrupted: true, want: goStatus{code: 1, interrupted: true}},
		{name: "test/exit-status-line", cmd: "test", stdout: "FAIL\n", stderr: "exit status 3\n", code: 1, want: goStatus{code: 1}},
		{name: "test/long-line", cmd: "test", stdout: long + "\nok  \tm/a\t0.1s\n", want: goStatus{}},
		{name: "run/ok", cmd: "run", stdout: "hello\n", want: goStatus{}},
		{name: "run/program-status", cmd: "run", stdout: "FAIL\n", stderr: "exit status 3\n", code: 1, want: goStatus{code: 3}},
		{name: "run/signal", cmd: "run", stderr: "panic: x\nsignal: killed\n", code: 1, want: goStatus{code: 1}},
		{name: "run/exit-status-not-last", cmd: "run", stderr: "exit status 3\nand more\n", code: 1, want: goStatus{code: 1, buildFailed: true}},
		{name: "run/build-failed", cmd: "run", stderr: "# m\nmain.go:3:2: undefined: x\n", code: 1, want: goStatus{code: 1, buildFailed: true}},
		{name: "run/interrupted", cmd: "run", stderr: "exit status 2\n", code: 1, interrupted: true, want: goStatus{code: 2, interrupted: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			var mu sync.Mutex
			g := &goOutput{cmd: tc.cmd, lock: &mu, stdout: &stdout, stderr: &stderr}
			var c exec.Cmd
			g.start(&c)
			io.WriteString(c.Stdout, tc.stdout)
			io.WriteString(c.Stderr, tc.stderr)
			g.wait()
			if got := g.status(tc.code, tc.interrupted); got != tc.want {
				t.Errorf("status %+v, want %+v", got, tc.want)
			}
			if stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("copied stdout %.80q, stderr %.80q; want %.80q, %.80q", stdout.String(), stderr.String(), tc.stdout, tc.stderr)
			}
		})
	}
}

// TestGoOutputNames: each line is copied with its file names rewritten.
func TestGoOutputNames(t *testing.T) {
	var stdout, stderr bytes.Buffer
	names := func(line string) string { return strings.ReplaceAll(line, "/work/src/1_a.go", "a.go") }
	g := &goOutput{cmd: "test", names: names, lock: &sync.Mutex{}, stdout: &stdout, stderr: &stderr}
	var c exec.Cmd
	g.start(&c)
	io.WriteString(c.Stdout, "--- FAIL: TestX (0.00s)\n    /work/src/1_a.go:3: boom\nFAIL\n")
	io.WriteString(c.Stderr, "/work/src/1_a.go:4:2: vet: x\n")
	g.wait()
	if want := "--- FAIL: TestX (0.00s)\n    a.go:3: boom\nFAIL\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	if want := "a.go:4:2: vet: x\n"; stderr.String() != want {
		t.Errorf("stderr %q, want %q", stderr.String(), want)
	}
}
