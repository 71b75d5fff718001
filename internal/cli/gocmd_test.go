package cli

import (
	"bytes"
	"io"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

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
