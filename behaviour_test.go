package lockdep_test

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/google/go-cmp/cmp"
)

var (
	_ sync.Locker = (*lockdep.Mutex)(nil)
	_ sync.Locker = (*lockdep.RWMutex)(nil)
	_ sync.Locker = new(lockdep.RWMutex).RLocker()
)

// abba takes a then b in one goroutine, then b then a in another, one
// after the other.
func abba(a, b sync.Locker) {
	done := make(chan struct{})
	go func() {
		a.Lock()
		b.Lock()
		b.Unlock()
		a.Unlock()
		close(done)
	}()
	<-done
	done = make(chan struct{})
	go func() {
		b.Lock()
		a.Lock()
		a.Unlock()
		b.Unlock()
		close(done)
	}()
	<-done
}

func classed(name string) *lockdep.Mutex {
	m := new(lockdep.Mutex)
	m.SetClass(lockdep.NewClass(name))
	return m
}

func TestZeroValueClassNamedAfterFirstLock(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	var a, b lockdep.Mutex
	abba(&a, &b)
	fs := lockdep.Findings()
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1", len(fs))
	}
	for _, d := range fs[0].Chain {
		if !strings.HasPrefix(d.Class, "lockdep.Mutex@behaviour_test.go:") {
			t.Errorf("class %q is not named after where it was first locked", d.Class)
		}
	}
}

func TestCrossInstanceInversion(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	class := lockdep.NewClass("bank.Account.mu")
	ledger := lockdep.NewClass("bank.Ledger.mu")
	a1, a2, l1, l2 := new(lockdep.Mutex), new(lockdep.Mutex), new(lockdep.Mutex), new(lockdep.Mutex)
	a1.SetClass(class)
	a2.SetClass(class)
	l1.SetClass(ledger)
	l2.SetClass(ledger)
	// Account then ledger on one pair, ledger then account on another
	// pair: no instance is shared, the classes are.
	a1.Lock()
	l1.Lock()
	l1.Unlock()
	a1.Unlock()
	l2.Lock()
	a2.Lock()
	a2.Unlock()
	l2.Unlock()
	want := []finding{circ("bank.Ledger.mu", "bank.Account.mu")}
	if diff := cmp.Diff(want, findings()); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

func TestModes(t *testing.T) {
	t.Run("panic", func(t *testing.T) {
		defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.Panic)()
		a, b := classed("A"), classed("B")
		a.Lock()
		b.Lock()
		b.Unlock()
		a.Unlock()
		b.Lock()
		a.Lock() // closes the cycle, which rests on this hold of b
		a.Unlock()
		func() {
			defer func() {
				r, ok := recover().(lockdep.Report)
				if !ok || r.Kind != lockdep.Circular {
					t.Errorf("recovered %v, want a circular Report", r)
				}
			}()
			b.Unlock() // ends the hold by its owner: confirmed, panics
			t.Error("Unlock did not panic")
		}()
		if !b.TryLock() {
			t.Fatal("the panicking Unlock left the mutex locked")
		}
		b.Unlock()
	})
	t.Run("panic-deadlock-in-progress", func(t *testing.T) {
		// An acquisition that closes a cycle and then waits longer than
		// the settle time blocks in the real Lock: the report comes from
		// the validator's timer, and its panic ends the process, as an
		// unrecovered panic does.
		code, stderr := runChild(t, "TestPanicDeadlockInProgress", "1")
		if code != 2 || !strings.Contains(stderr, "panic: ======") || !strings.Contains(stderr, "a deadlock in progress") {
			t.Errorf("exit code %d, want 2, and a panic with the report; stderr:\n%s", code, stderr)
		}
	})
	// Exit mode is TestEnvironment/exit: it ends the process.
	t.Run("off", func(t *testing.T) {
		defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.Off)()
		abba(classed("A"), classed("B"))
		var m lockdep.Mutex
		m.Lock()
		m.AssertNotHeld()
		m.Unlock()
		if fs := lockdep.Findings(); len(fs) != 0 {
			t.Errorf("off mode reported %d findings", len(fs))
		}
	})
	t.Run("output", func(t *testing.T) {
		var buf bytes.Buffer
		defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.Output(&buf))()
		abba(classed("A"), classed("B"))
		if !strings.HasPrefix(buf.String(), strings.Repeat("=", 54)+"\nWARNING: possible circular locking dependency detected\n") {
			t.Errorf("output does not start with the report header:\n%s", buf.String())
		}
		if !strings.HasSuffix(buf.String(), "\n\n") {
			t.Errorf("report does not end with a blank line")
		}
	})
	t.Run("callback-may-lock", func(t *testing.T) {
		var inner lockdep.Mutex
		var got []lockdep.Kind
		defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.OnReport(func(r lockdep.Report) {
			inner.Lock() // the validator holds none of its locks here
			got = append(got, r.Kind)
			inner.Unlock()
		}))()
		abba(classed("A"), classed("B"))
		if diff := cmp.Diff([]lockdep.Kind{lockdep.Circular}, got); diff != "" {
			t.Errorf("callback saw (-want +got):\n%s", diff)
		}
	})
}

// TestOffFromEnvironment runs under LOCKDEP=off in CI: validation must be
// inert, and locks must still lock.
func TestOffFromEnvironment(t *testing.T) {
	if os.Getenv("LOCKDEP") != "off" {
		t.Skip("run with LOCKDEP=off")
	}
	abba(classed("A"), classed("B"))
	var m lockdep.Mutex
	m.Lock()
	if m.TryLock() {
		t.Fatal("a locked mutex could be locked again")
	}
	m.Unlock()
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Errorf("LOCKDEP=off reported %d findings", len(fs))
	}
}

func TestAssertions(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	m := classed("M")
	var rw lockdep.RWMutex
	rw.SetClass(lockdep.NewClass("RW"))
	m.AssertNotHeld()
	rw.AssertNotHeld()
	m.Lock()
	m.AssertHeld()
	m.Unlock()
	rw.RLock()
	rw.AssertRHeld()
	rw.RUnlock()
	rw.Lock()
	rw.AssertHeld()
	rw.AssertRHeld()
	rw.Unlock()
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Fatalf("true assertions reported: %v", fs)
	}
	m.AssertHeld()
	rw.RLock()
	rw.AssertHeld() // read-held is not write-held
	rw.AssertNotHeld()
	rw.RUnlock()
	var details []string
	for _, r := range lockdep.Findings() {
		if r.Kind != lockdep.Assertion {
			t.Errorf("kind %v, want assertion", r.Kind)
		}
		details = append(details, r.Lock.Class+": "+r.Detail)
	}
	want := []string{
		"M: the lock is not held by this goroutine",
		"RW: the lock is not write-locked by this goroutine",
		"RW: the lock is held by this goroutine",
	}
	if diff := cmp.Diff(want, details); diff != "" {
		t.Errorf("assertion findings (-want +got):\n%s", diff)
	}
}

func TestCondWaitLoop(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	mu := classed("queue.mu")
	other := classed("queue.stats")
	cond := sync.NewCond(mu)
	var queue []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for got := 0; got < 100; {
			mu.Lock()
			for len(queue) == 0 {
				cond.Wait()
			}
			queue = queue[1:]
			got++
			other.Lock()
			other.Unlock()
			mu.Unlock()
		}
	}()
	for i := range 100 {
		mu.Lock()
		queue = append(queue, i)
		cond.Signal()
		mu.Unlock()
	}
	<-done
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Errorf("a correct Cond loop reported: %v", fs[0])
	}
}

// TestConsistentOrderManyGoroutines: 1,000 goroutines take the same three
// classes in the same order, on instances of their own and shared ones.
func TestConsistentOrderManyGoroutines(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	ca, cb, cc := lockdep.NewClass("A"), lockdep.NewClass("B"), lockdep.NewClass("C")
	var shared lockdep.Mutex
	shared.SetClass(cc)
	var wg sync.WaitGroup
	for range 1000 {
		wg.Go(func() {
			var a lockdep.Mutex
			var b lockdep.RWMutex
			a.SetClass(ca)
			b.SetClass(cb)
			for range 10 {
				a.Lock()
				b.RLock()
				shared.Lock()
				shared.Unlock()
				b.RUnlock()
				a.Unlock()
			}
		})
	}
	wg.Wait()
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Errorf("consistent order reported: %v", fs[0])
	}
}

// TestStressHandoff: thousands of goroutines lock, hand the lock to another
// goroutine that unlocks it, and lock in a consistent order meanwhile.
func TestStressHandoff(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	ca, cb := lockdep.NewClass("A"), lockdep.NewClass("B")
	const n = 2000
	locks := make([]lockdep.Mutex, n)
	for i := range locks {
		locks[i].SetClass(ca)
	}
	var b lockdep.Mutex
	b.SetClass(cb)
	handoff := make(chan *lockdep.Mutex, 64)
	var unlockers sync.WaitGroup
	for range 8 {
		unlockers.Go(func() {
			for m := range handoff {
				m.Unlock() // unlock on behalf of the locker
			}
		})
	}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m := &locks[i]
			m.Lock()
			b.Lock() // A → B, always
			b.Unlock()
			handoff <- m
			// After the handoff, this goroutine does not hold m: taking
			// B and then A must not look like B → A with A held.
			b.Lock()
			b.Unlock()
		})
	}
	wg.Wait()
	close(handoff)
	unlockers.Wait()
	// Every goroutine released everything, and every A was handed off:
	// A → B was withdrawn each time, since A may have been handed over
	// before B was taken. One goroutine that takes A then B and releases
	// both itself makes A → B real; B then A closes a cycle, found once.
	if fs := findings(); len(fs) != 0 {
		t.Fatalf("findings after the hand-offs: %v", fs)
	}
	locks[1].Lock()
	b.Lock()
	b.Unlock()
	locks[1].Unlock()
	b.Lock()
	locks[0].Lock()
	locks[0].Unlock()
	b.Unlock()
	if diff := cmp.Diff([]finding{circ("B", "A")}, findings()); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// lockEach locks and unlocks n new mutexes, one after the other.
func lockEach(n int) {
	for range n {
		var m lockdep.Mutex
		m.Lock()
		m.Unlock()
	}
}

// lockNested locks n new mutexes, each while holding the ones before.
func lockNested(n int) {
	ms := make([]lockdep.Mutex, n)
	for i := range ms {
		ms[i].Lock()
	}
	for i := len(ms) - 1; i >= 0; i-- {
		ms[i].Unlock()
	}
}

// TestBounds hits each bound on purpose: one line names it and the
// variable that raises it, validation goes off, locking carries on.
func TestBounds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		limits  lockdep.Limits
		run     func()
		message string
	}{
		{"classes", lockdep.Limits{Classes: 3, Dependencies: 100, Chains: 100, Depth: 48, Goroutines: 64}, func() { lockEach(5) },
			"lockdep: more than 3 lock classes; validation is off from here on (raise LOCKDEP_MAX_CLASSES)\n"},
		{"dependencies", lockdep.Limits{Classes: 100, Dependencies: 2, Chains: 100, Depth: 48, Goroutines: 64}, func() { lockNested(5) },
			"lockdep: more than 2 lock dependencies; validation is off from here on (raise LOCKDEP_MAX_DEPENDENCIES)\n"},
		{"chains", lockdep.Limits{Classes: 100, Dependencies: 100, Chains: 2, Depth: 48, Goroutines: 64}, func() { lockEach(4) },
			"lockdep: more than 2 lock chains; validation is off from here on (raise LOCKDEP_MAX_CHAINS)\n"},
		{"depth", lockdep.Limits{Classes: 100, Dependencies: 100, Chains: 100, Depth: 3, Goroutines: 64}, func() { lockNested(5) },
			"lockdep: more than 3 locks held by one goroutine; validation is off from here on (raise LOCKDEP_MAX_DEPTH)\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr := captureStderr(t)
			defer lockdep.Fresh(tc.limits)()
			tc.run()
			// Validation is off now: an inversion goes unreported.
			abba(classed("A"), classed("B"))
			if got := stderr(); got != tc.message {
				t.Errorf("stderr = %q, want %q", got, tc.message)
			}
			if fs := lockdep.Findings(); len(fs) != 0 {
				t.Errorf("findings after the bound: %v", fs)
			}
		})
	}
}

// TestPanicDeadlockInProgress is the child process of
// TestModes/panic-deadlock-in-progress.
func TestPanicDeadlockInProgress(t *testing.T) {
	if os.Getenv("LOCKDEP_TEST_CHILD") != "1" {
		t.Skip("run by TestModes")
	}
	defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.Panic)()
	a, b := classed("A"), classed("B")
	a.Lock()
	b.Lock()
	b.Unlock()
	a.Unlock()
	held := make(chan struct{})
	go func() {
		a.Lock() // another goroutine holds A for good
		close(held)
		select {}
	}()
	<-held
	b.Lock()
	a.Lock() // B -> A closes the cycle, and waits for good
	t.Error("Lock returned")
}

// captureStderr redirects os.Stderr until the returned function is called,
// which returns what was written.
func captureStderr(t *testing.T) func() string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out := make(chan string)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		out <- b.String()
	}()
	restored := false
	restore := func() string {
		if restored {
			return ""
		}
		restored = true
		os.Stderr = saved
		w.Close()
		return <-out
	}
	t.Cleanup(func() { restore() })
	return restore
}

// runChild runs the test named test of this test binary in a child
// process, with LOCKDEP_TEST_CHILD=child and env, and returns its exit
// status and standard error.
func runChild(t *testing.T, test, child string, env ...string) (code int, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(append(os.Environ(), "LOCKDEP_TEST_CHILD="+child), env...)
	var buf bytes.Buffer
	cmd.Stderr = &buf
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, buf.String()
}

// TestEnvironment runs a child test binary under LOCKDEP settings read at
// start-up.
func TestEnvironment(t *testing.T) {
	if os.Getenv("LOCKDEP_TEST_CHILD") == "1" {
		abba(classed("A"), classed("B"))
		return
	}
	json := t.TempDir() + "/findings.jsonl"
	for _, tc := range []struct {
		name     string
		env      []string
		wantCode int
		stderr   string
	}{
		{"warn+json", []string{"LOCKDEP=warn", "LOCKDEP_JSON=" + json}, 0, "WARNING: possible circular locking dependency detected"},
		{"exit", []string{"LOCKDEP=exit"}, 66, "WARNING: possible circular locking dependency detected"},
		{"panic", []string{"LOCKDEP=panic"}, 2, "panic: ======"},
		{"bad-value", []string{"LOCKDEP=loud"}, 0, `lockdep: LOCKDEP="loud" is not one of warn, panic, exit, off; using warn`},
		{"bad-bound", []string{"LOCKDEP_MAX_DEPTH=many"}, 0, `lockdep: LOCKDEP_MAX_DEPTH="many" is not a positive integer; using 48`},
		{"bad-settle", []string{"LOCKDEP_SETTLE=soon"}, 0, `lockdep: LOCKDEP_SETTLE="soon" is not a positive duration such as 5s; using 5s`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := runChild(t, "TestEnvironment", "1", tc.env...)
			if code != tc.wantCode {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
		})
	}
	b, err := os.ReadFile(json)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], `{"version":1,"kind":"circular","headline":"possible circular locking dependency detected"`) {
		t.Errorf("LOCKDEP_JSON file holds:\n%s", b)
	}
}

// TestDependencies: the library imports only the standard library and the
// verified goroutine-ID source.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".", "./lockdeptest").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	var got []string
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/golockdep/lockdep" && !strings.HasPrefix(p, "github.com/golockdep/lockdep/") {
			got = append(got, p)
		}
	}
	want := []string{"github.com/petermattis/goid"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("non-standard dependencies (-want +got):\n%s", diff)
	}
	// The command never validates its own locks: it must not even make
	// a validator (a held table of about a megabyte at start-up).
	out, err = exec.Command("go", "list", "-deps", "./cmd/lockdep").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p == "github.com/golockdep/lockdep" || strings.HasSuffix(p, "/internal/validate") || strings.HasSuffix(p, "/internal/held") {
			t.Errorf("cmd/lockdep depends on %s", p)
		}
	}
}

// TestVetCopylocks: go vet still reports copies of the lock types.
func TestVetCopylocks(t *testing.T) {
	dir := t.TempDir()
	root, _ := os.Getwd()
	files := map[string]string{
		"go.mod": "module example.com/copy\n\ngo 1.26\n\nrequire github.com/golockdep/lockdep v0.0.0\n\nreplace github.com/golockdep/lockdep => " + root + "\n",
		"copy.go": "package copy\n\nimport \"github.com/golockdep/lockdep\"\n\n" +
			"type S struct{ mu lockdep.Mutex; rw lockdep.RWMutex }\n\n" +
			"func Copy(s *S) S { return *s }\n",
	}
	for name, body := range files {
		if err := os.WriteFile(dir+"/"+name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gosum, _ := os.ReadFile(root + "/go.sum")
	os.WriteFile(dir+"/go.sum", gosum, 0o644)
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "return copies lock value") {
		t.Errorf("go vet did not flag the copy (err %v):\n%s", err, out)
	}
}

// TestSameClassOppositeOrder: a same-class report says whether the run
// took the two instances in the opposite order, which is a real deadlock.
func TestSameClassOppositeOrder(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	class := lockdep.NewClass("tree.Node.mu")
	a, b := new(lockdep.Mutex), new(lockdep.Mutex)
	a.SetClass(class)
	b.SetClass(class)
	lockPairOf := func(x, y *lockdep.Mutex) { x.Lock(); y.Lock(); y.Unlock(); x.Unlock() }
	lockPairOf(a, b)
	lockPairOf(a, b) // the same problem: reported once
	lockPairOf(b, a)
	fs := lockdep.Findings()
	if len(fs) != 2 {
		t.Fatalf("got %d findings, want 2", len(fs))
	}
	if fs[0].Opposite != nil || !strings.Contains(fs[0].Detail, "did not take these two instances in the opposite order") {
		t.Errorf("first report: detail %q, opposite %v; want not inverted", fs[0].Detail, fs[0].Opposite)
	}
	if o := fs[1].Opposite; o == nil || len(o.Stack) == 0 || !strings.Contains(fs[1].Detail, "also took these two instances in the opposite order") {
		t.Errorf("second report: detail %q, opposite %+v; want inverted, with the stack", fs[1].Detail, o)
	}
	if !strings.Contains(fs[0].Advice, "LockNested") {
		t.Errorf("advice %q does not name LockNested", fs[0].Advice)
	}
}
