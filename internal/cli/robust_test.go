package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/google/go-cmp/cmp"
)

// These tests hold the command to the promises of its manual that are not
// about findings: Ctrl-C, -work, workspaces, vendor directories, lockdep
// run, modules that already require lockdep, and -pkg.

// TestInterrupt runs the lockdep binary on a test that blocks forever and
// interrupts it as Ctrl-C would. Only lockdep gets the signal, as from a
// terminal (go and the tests run in a process group of their own), so it
// must stop them itself, then exit 2 leaving nothing behind.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds lockdep and runs a module")
	}
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "lockdep")
	build := exec.Command("go", "build", "-o", bin, "./cmd/lockdep")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building lockdep: %v\n%s", err, out)
	}

	dir := extract(t, "interrupt")
	unchanged := watchTree(t, dir)
	tmp := t.TempDir()
	var stdout, stderr bytes.Buffer
	c := exec.Command(bin, "test", "./...")
	c.Dir = dir
	c.Env = append(os.Environ(), "TMPDIR="+tmp, "GOTMPDIR=")
	c.Stdout, c.Stderr = &stdout, &stderr
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

	// The test is surely running once it has recorded its lock.
	pid := 0
	for deadline := time.Now().Add(2 * time.Minute); pid == 0; {
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("no record of the running test after 2m\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
		}
		select {
		case werr = <-waited:
			exited = true
			t.Fatalf("lockdep exited before the interrupt: %v\nstdout:\n%s\nstderr:\n%s", werr, &stdout, &stderr)
		case <-time.After(50 * time.Millisecond):
		}
		pid = recordedPID(filepath.Join(tmp, "lockdep-*", "graph", "*.jsonl"))
	}
	test, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	defer test.Kill() // should it be left behind

	if err := c.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	select {
	case werr = <-waited:
		exited = true
		t.Logf("lockdep exited %v after the interrupt", time.Since(sent).Round(time.Millisecond))
	case <-time.After(time.Minute):
		stop()
		t.Fatalf("lockdep still running 1m after the interrupt\nstdout:\n%s\nstderr:\n%s", &stdout, &stderr)
	}
	var ee *exec.ExitError
	if !errors.As(werr, &ee) || ee.ExitCode() != exitUsage {
		t.Errorf("lockdep exited with %v, want exit status %d\nstdout:\n%s\nstderr:\n%s", werr, exitUsage, &stdout, &stderr)
	}
	if !strings.Contains(stderr.String(), "lockdep: interrupted\n") {
		t.Errorf("stderr does not say lockdep was interrupted:\n%s", &stderr)
	}
	if err := test.Signal(syscall.Signal(0)); err == nil {
		t.Errorf("the test binary (pid %d) still runs after lockdep exited", pid)
	}
	unchanged()
	left, _ := filepath.Glob(filepath.Join(tmp, "*"))
	if len(left) > 0 {
		t.Errorf("left in TMPDIR: %v", left)
	}
}

// recordedPID returns the process ID in the first record matching
// pattern, or 0 if there is none yet.
func recordedPID(pattern string) int {
	files, _ := filepath.Glob(pattern)
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		line, _ := bufio.NewReader(f).ReadBytes('\n')
		f.Close()
		var e events.Event
		if json.Unmarshal(line, &e) == nil && e.Process != nil && e.Process.PID > 0 {
			return e.Process.PID
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
	t.Setenv("TMPDIR", t.TempDir()) // the kept directory goes away with it
	dir := extract(t, "crosspkg")
	unchanged := watchTree(t, dir)
	r := run(t, dir, "test", "-work", "./...")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
	}
	m := regexp.MustCompile(`(?m)^lockdep: work directory: (.+)$`).FindStringSubmatch(r.stderr)
	if m == nil {
		t.Fatalf("stderr does not name the work directory:\n%s", r.stderr)
	}
	work := m[1]
	if !strings.HasPrefix(filepath.Base(work), "lockdep-") || filepath.Dir(work) != os.TempDir() {
		t.Errorf("work directory %s, want lockdep-* in %s", work, os.TempDir())
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
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, tc := range []struct {
		name   string
		module string
		code   int
	}{
		{"findings", "crosspkg", exitFindings},
		{"build-error", "broken", exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, extract(t, tc.module), "test", "./...")
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, tc.code, r.stderr)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "lockdep-*")); len(left) > 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}
}

// TestWorkspace checks the manual's advice for go.work: lockdep refuses
// with a message naming GOWORK=off, and runs with it.
func TestWorkspace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	dir := filepath.Join(extract(t, "workspace"), "m")
	unchanged := watchTree(t, filepath.Dir(dir))

	t.Setenv("GOWORK", "")
	r := run(t, dir, "test", "./...")
	if r.code != exitUsage {
		t.Errorf("in a workspace: exit %d, want %d\nstderr:\n%s", r.code, exitUsage, r.stderr)
	}
	if !strings.Contains(r.stderr, "GOWORK=off") {
		t.Errorf("in a workspace: stderr does not say to use GOWORK=off:\n%s", r.stderr)
	}

	t.Setenv("GOWORK", "off")
	r = run(t, dir, "test", "./...")
	if r.code != 0 {
		t.Errorf("with GOWORK=off: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	unchanged()
}

// TestVendorDirectory checks that a module with a vendor directory runs:
// lockdep builds with -mod=mod, as the manual says, whatever go would
// choose by default.
func TestVendorDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	dir := extract(t, "vendored")
	unchanged := watchTree(t, dir)
	r := run(t, dir, "test", "./...")
	if r.code != 0 {
		t.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "ok  \texample.com/vendored") {
		t.Errorf("the test did not run:\n%s", r.stdout)
	}
	unchanged()
}

// TestRun runs a program with lockdep run.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a program")
	}
	dir := extract(t, "app")
	unchanged := watchTree(t, dir)

	t.Run("ABBA", func(t *testing.T) {
		r := run(t, dir, "run", "-json", "./cmd/app")
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
		}
		// Package variables are classed pkg/path.name.
		wantCycle(t, r.stdout, "example.com/app/cmd/app.a", "example.com/app/cmd/app.b")
		if !strings.Contains(r.stderr, "args: \n") {
			t.Errorf("with -json the program's output should go to stderr:\n%s", r.stderr)
		}
	})
	t.Run("text", func(t *testing.T) {
		r := run(t, dir, "run", "./cmd/app")
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
		}
		for _, want := range []string{"circular", "example.com/app/cmd/app.a", "example.com/app/cmd/app.b"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("report lacks %q:\n%s", want, r.stdout)
			}
		}
	})
	// The manual: exit 1 "for run: the program's exit status was not 0",
	// whatever that status was; lockdep's flags stop at the package, and
	// everything after it reaches the program unchanged.
	t.Run("exit-status", func(t *testing.T) {
		r := run(t, dir, "run", "./cmd/app", "-exit", "4", "-json", "two words")
		if r.code != exitTestsFailed {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitTestsFailed, r.stdout, r.stderr)
		}
		if !strings.Contains(r.stdout, "args: -exit 4 -json two words\n") {
			t.Errorf("the program did not get its arguments:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout, "WARNING") {
			t.Errorf("findings without locking:\n%s", r.stdout)
		}
	})
	unchanged()
}

// TestRequiresLockdep runs a module whose go.mod already requires and
// replaces lockdep, as one using lockdeptest does.
func TestRequiresLockdep(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a module")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := extract(t, "requireself")
	gomod := filepath.Join(dir, "go.mod")
	b, err := os.ReadFile(gomod)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(gomod, bytes.ReplaceAll(b, []byte("LOCKDEP_ROOT"), []byte(root)), 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged := watchTree(t, dir)
	r := run(t, dir, "test", "-json", "./...", "-v")
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
	dir := extract(t, "pkgdep")
	unchanged := watchTree(t, dir)

	r := run(t, dir, "test", "-json", "./...")
	if r.code != 0 {
		t.Errorf("without -pkg: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if reps := jsonFindings(t, r.stdout); len(reps) != 0 {
		t.Errorf("without -pkg: findings %v, want none", reps)
	}

	r = run(t, dir, "test", "-json", "-pkg", "example.com/dep/...", "./...")
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
