package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/google/go-cmp/cmp"
)

// These tests hold the command to the promises of its manual that are not
// about findings: Ctrl-C, -work, workspaces, vendor directories, lockdep
// run, modules that already require lockdep, and -pkg.

// TestInterrupt runs the lockdep binary on a test that records an AB-BA,
// then blocks forever, and stops it three ways: SIGINT as Ctrl-C sends it
// (only lockdep gets it, as from a terminal: go and the tests run in a
// process group of their own, so it must stop them itself), SIGTERM, and
// a closed stdout (lockdep test | true: the first report written to it
// fails). Each time lockdep must print the finding recorded so far (to
// stderr when stdout is closed) and the summary, exit 1 as go test does,
// and leave nothing behind: no test binary, no temporary directory of its
// own or of go's.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockdep and runs a module")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	t.Parallel()
	bin := buildLockdep(t)
	for _, tc := range []struct {
		name   string
		signal os.Signal // nil: close stdout instead
		say    string
	}{
		{"SIGINT", os.Interrupt, "lockdep: interrupted\n"},
		{"SIGTERM", syscall.SIGTERM, "lockdep: interrupted\n"},
		{"closed-stdout", nil, "lockdep: stdout closed: stopped go test\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := sharedModule(t, "interrupt")
			unchanged := watchTree(t, dir)
			tmp := t.TempDir()
			var stdout, stderr bytes.Buffer
			c := exec.Command(bin, "test", "./...")
			c.Dir = dir
			c.Env = append(os.Environ(), "TMPDIR="+tmp, "GOTMPDIR=")
			c.Stdout, c.Stderr = &stdout, &stderr
			if tc.signal == nil {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				r.Close() // before anything is written: lockdep test | true
				defer w.Close()
				c.Stdout = w
			}
			c.WaitDelay = 5 * time.Second // should the test binary keep the pipes open
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() { waited <- c.Wait() }()
			var werr error
			exited := false
			stop := func() { // so that the output can be read
				if !exited {
					c.Process.Kill()
					werr, exited = <-waited, true
				}
			}
			defer stop()

			// The test is surely running once it has recorded its
			// finding.
			pid := 0
			for deadline := time.Now().Add(2 * time.Minute); pid == 0 && !exited; {
				if time.Now().After(deadline) {
					stop()
					t.Fatalf("no record of the running test after 2m\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
				}
				select {
				case werr = <-waited:
					exited = true
				case <-time.After(50 * time.Millisecond):
				}
				pid = recordedFinding(filepath.Join(tmp, "lockdep-*", "graph", "*.jsonl"))
			}
			if tc.signal != nil {
				if exited {
					t.Fatalf("lockdep exited before the signal: %v\nstdout:\n%s\nstderr:\n%s", werr, &stdout, &stderr)
				}
				if err := c.Process.Signal(tc.signal); err != nil {
					t.Fatal(err)
				}
			}
			var test *os.Process
			if pid > 0 {
				var err error
				if test, err = os.FindProcess(pid); err != nil {
					t.Fatal(err)
				}
				defer test.Kill() // should it be left behind
			}
			sent := time.Now()
			if !exited {
				select {
				case werr = <-waited:
					exited = true
					t.Logf("lockdep exited %v after the signal", time.Since(sent).Round(time.Millisecond))
				case <-time.After(time.Minute):
					stop()
					t.Fatalf("lockdep still running 1m after the signal\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
				}
			}
			var ee *exec.ExitError
			if !errors.As(werr, &ee) || ee.ExitCode() != exitTestsFailed {
				t.Errorf("lockdep exited with %v, want exit status %d\nstdout:\n%s\nstderr:\n%s", werr, exitTestsFailed, &stdout, &stderr)
			}
			reports := stdout.String()
			if tc.signal == nil {
				reports = stderr.String()
			}
			if !strings.Contains(reports, "WARNING: possible circular locking dependency detected") {
				t.Errorf("the finding recorded before the end is not printed\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
			}
			for _, want := range []string{tc.say, "lockdep: 1 finding (circular 1, recursive 0, bad unlock 0) in 1 package;"} {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, &stderr)
				}
			}
			if test != nil && test.Signal(syscall.Signal(0)) == nil {
				t.Errorf("the test binary (pid %d) still runs after lockdep exited", pid)
			}
			unchanged()
			if left, _ := filepath.Glob(filepath.Join(tmp, "*")); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}

// buildLockdep builds the command into a temporary directory, as a user
// would with -trimpath, and returns its path.
func buildLockdep(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lockdep")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/lockdep")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building lockdep: %v\n%s", err, out)
	}
	return bin
}

// recordedFinding returns the process ID of the first record matching
// pattern that holds a finding, or 0 if there is none yet.
func recordedFinding(pattern string) int {
	files, _ := filepath.Glob(pattern)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		pid := 0
		for _, line := range bytes.Split(b, []byte("\n")) {
			var e events.Event
			switch {
			case json.Unmarshal(line, &e) != nil:
			case e.Process != nil:
				pid = e.Process.PID
			case e.Finding != nil && pid > 0:
				return pid
			}
		}
	}
	return 0
}

// TestKeepWork checks that -work keeps the temporary directory, names it
// on stderr, and that it holds what the go command was given.
func TestKeepWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	tmp := t.TempDir() // TMPDIR: the kept directory goes away with it
	dir := sharedModule(t, "crosspkg")
	unchanged := watchTree(t, dir)
	r := runChild(t, dir, "", []string{"TMPDIR=" + tmp}, "test", "-work", "./...")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
	}
	m := regexp.MustCompile(`(?m)^lockdep: work directory: (.+)$`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr does not name the work directory:\n%s", r.stderr)
	}
	work := m[1]
	if !strings.HasPrefix(filepath.Base(work), "lockdep-") || filepath.Dir(work) != tmp {
		t.Errorf("work directory %s, want lockdep-* in %s", work, tmp)
	}

	b, err := os.ReadFile(filepath.Join(work, "overlay.json"))
	if err != nil {
		t.Fatalf("-work did not keep the directory: %v", err)
	}
	var overlay struct{ Replace map[string]string }
	if err := json.Unmarshal(b, &overlay); err != nil {
		t.Fatalf("overlay.json: %v", err)
	}
	var replaced []string
	for orig, repl := range overlay.Replace {
		rel, err := filepath.Rel(dir, orig)
		if err != nil || !filepath.IsAbs(orig) || strings.HasPrefix(rel, "..") {
			t.Errorf("overlay replaces %s, outside the module", orig)
			continue
		}
		replaced = append(replaced, filepath.ToSlash(rel))
		if !strings.HasPrefix(repl, work+string(filepath.Separator)) {
			t.Errorf("overlay puts %s at %s, outside the work directory", rel, repl)
		}
		got, err := os.ReadFile(repl)
		if err != nil {
			t.Errorf("rewritten %s: %v", rel, err)
			continue
		}
		if !bytes.Contains(got, []byte(selfModule)) {
			t.Errorf("rewritten %s does not use lockdep:\n%s", rel, got)
		}
	}
	slices.Sort(replaced)
	// (locks/locks.go, which only declares the mutexes, need not be.)
	for _, want := range []string{"ab/ab_test.go", "ba/ba_test.go"} {
		if !slices.Contains(replaced, want) {
			t.Errorf("overlay replaces %v, want %s among them", replaced, want)
		}
	}

	gomod, err := os.ReadFile(filepath.Join(work, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"module example.com/crosspkg", "replace " + selfModule + " => "} {
		if !bytes.Contains(gomod, []byte(want)) {
			t.Errorf("work go.mod lacks %q:\n%s", want, gomod)
		}
	}
	if recs, _ := filepath.Glob(filepath.Join(work, "graph", "*.jsonl")); len(recs) != 2 {
		t.Errorf("graph records %v, want one per package", recs)
	}
	unchanged()
}

// TestTempDirRemoved checks the contrary: without -work, nothing is left.
func TestTempDirRemoved(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	tmp := t.TempDir()
	for _, tc := range []struct {
		name   string
		module string
		code   int
	}{
		{"findings", "crosspkg", exitFindings},
		{"build-error", "broken", exitTestsFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runChild(t, sharedModule(t, tc.module), "", []string{"TMPDIR=" + tmp}, "test", "./...")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "lockdep-*")); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}

// TestRequiresLockdep runs a module whose go.mod already requires and
// replaces lockdep, as one using lockdeptest does.
func TestRequiresLockdep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := sharedModule(t, "requireself", "LOCKDEP_ROOT", root)
	unchanged := watchTree(t, dir)
	r := run(t, dir, "test", "-format=json", "./...", "-v")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
	}
	wantCycle(t, r.stdout, "example.com/requireself.a", "example.com/requireself.b")
	for _, want := range []string{"--- PASS: TestOrder", "--- PASS: TestReverse"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("go test output lacks %q:\n%s", want, r.stderr)
		}
	}
	unchanged()
}

// TestExtraPackages checks -pkg: an inversion inside a dependency module
// is found only when -pkg names it.
func TestExtraPackages(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	t.Parallel()
	dir := sharedModule(t, "pkgdep")
	unchanged := watchTree(t, dir)

	r := run(t, dir, "test", "-format=json", "./...")
	if r.code != 0 {
		t.Errorf("without -pkg: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if reps := jsonFindings(t, r.stdout); len(reps) != 0 {
		t.Errorf("without -pkg: findings %v, want none", reps)
	}

	r = run(t, dir, "test", "-format=json", "-pkg", "example.com/dep/...", "./...")
	if r.code != exitFindings {
		t.Fatalf("with -pkg: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
	}
	wantCycle(t, r.stdout, "example.com/dep.a", "example.com/dep.b")
	unchanged()
}

// wantCycle checks that the JSON lines in out are one circular finding
// between classes a and b, its chain starting at either.
func wantCycle(t *testing.T, out, a, b string) {
	t.Helper()
	var got []string
	for _, f := range jsonFindings(t, out) {
		got = append(got, summary(f))
	}
	want := []string{"circular " + a + " " + b}
	if slices.Equal(got, []string{"circular " + b + " " + a}) {
		got = want
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestLiveFindings checks that lockdep run prints a finding while the
// program still runs: the program records an AB-BA, then waits for a
// line on its stdin, which the test writes only once the report is on
// stderr. The line reaching the program shows stdin passes through.
func TestLiveFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	t.Parallel()
	dir := sharedModule(t, "app")
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinR.Close()
	defer stdinW.Close()
	stderr := &watchWriter{want: "WARNING: possible circular locking dependency detected", seen: make(chan struct{})}
	var stdout bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- Main(context.Background(), testDoc, []string{"run", "-C", dir, "./cmd/app", "-echo"}, stdinR, &stdout, stderr)
	}()
	select {
	case <-stderr.seen:
	case err := <-done:
		t.Fatalf("lockdep run exited (%v) before the program read its stdin\nstdout:\n%s\nstderr:\n%s", err, &stdout, stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("no report while the program runs after 2m\nstderr:\n%s", stderr)
	}
	if strings.Contains(stderr.String(), "lockdep: 1 finding") {
		t.Errorf("the summary came before the program exited:\n%s", stderr)
	}
	io.WriteString(stdinW, "hello\n")
	var ec interface{ ExitCode() int }
	if err := <-done; !errors.As(err, &ec) || ec.ExitCode() != exitFindings {
		t.Errorf("lockdep run: %v, want exit status %d\nstderr:\n%s", err, exitFindings, stderr)
	}
	if !strings.Contains(stdout.String(), "got: hello\n") {
		t.Errorf("the program did not read its stdin:\n%s", &stdout)
	}
	if got := strings.Count(stderr.String(), "WARNING:"); got != 1 {
		t.Errorf("%d reports, want 1 (once per problem):\n%s", got, stderr)
	}
}

// watchWriter is a buffer that closes seen once it holds want.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *watchWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	n, err := w.buf.Write(b)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return n, err
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
