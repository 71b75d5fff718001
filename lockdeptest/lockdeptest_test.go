package lockdeptest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Error(args ...any) {
	for _, a := range args {
		r.errors = append(r.errors, a.(string))
	}
}

func (r *recorder) Helper() {}

var calls int

// abba makes one circular finding between two new classes; findings are
// deduplicated by class name, so each call needs names of its own.
func abba(prefix string) {
	calls++
	prefix = fmt.Sprintf("%s%d", prefix, calls)
	a, b := new(lockdep.Mutex), new(lockdep.Mutex)
	a.SetClass(lockdep.NewClass(prefix + ".A"))
	b.SetClass(lockdep.NewClass(prefix + ".B"))
	var wg sync.WaitGroup
	wg.Go(func() { a.Lock(); b.Lock(); b.Unlock(); a.Unlock() })
	wg.Wait()
	wg.Go(func() { b.Lock(); a.Lock(); a.Unlock(); b.Unlock() })
	wg.Wait()
}

func TestVerifyNone(t *testing.T) {
	lockdep.Configure(lockdep.Output(nil))
	defer lockdep.Configure(lockdep.Output(nil))
	unchecked() // start from a clean slate

	clean := &recorder{TB: t}
	VerifyNone(clean)
	if len(clean.errors) != 0 {
		t.Fatalf("VerifyNone failed a clean test: %v", clean.errors)
	}

	abba("lockdeptest")
	dirty := &recorder{TB: t}
	VerifyNone(dirty)
	if len(dirty.errors) != 1 || !strings.Contains(dirty.errors[0], "WARNING: possible circular locking dependency detected") ||
		!strings.Contains(dirty.errors[0], ".A){W}") {
		t.Fatalf("VerifyNone after an inversion recorded %q", dirty.errors)
	}

	// The finding was reported once; the next check starts after it.
	again := &recorder{TB: t}
	VerifyNone(again)
	if len(again.errors) != 0 {
		t.Fatalf("VerifyNone reported an old finding again: %v", again.errors)
	}
}

func TestVerifyTestMainExitCode(t *testing.T) {
	lockdep.Configure(lockdep.Output(nil))
	unchecked()
	var code int
	osExit = func(c int) { code = c }
	defer func() { osExit = os.Exit }()
	abba("main1")
	verifyAfterRun(0)
	if code != 1 {
		t.Errorf("exit code %d after a finding, want 1", code)
	}
	verifyAfterRun(0)
	if code != 0 {
		t.Errorf("exit code %d with no new finding, want 0", code)
	}
	abba("main2")
	verifyAfterRun(3)
	if code != 3 {
		t.Errorf("exit code %d when the tests failed, want theirs (3)", code)
	}
}

// TestVerifyNoneDeadlockInProgress: a goroutine that the test does not
// join, stuck in a Lock of a mutex it holds, is reported when the test
// ends, long before the validator's settle time.
func TestVerifyNoneDeadlockInProgress(t *testing.T) {
	lockdep.Configure(lockdep.Output(nil))
	defer lockdep.Configure(lockdep.Output(nil))
	unchecked()
	var mu lockdep.Mutex
	mu.SetClass(lockdep.NewClass("inprogress.mu"))
	done := make(chan struct{})
	go func() {
		defer close(done)
		mu.Lock()
		mu.Lock() // it holds the lock: it waits for good
	}()
	// Wait until the goroutine blocks in its Lock.
	buf := make([]byte, 1<<16)
	for !strings.Contains(string(buf[:runtime.Stack(buf, true)]), "[sync.Mutex.Lock") {
		runtime.Gosched()
	}
	rec := &recorder{TB: t}
	VerifyNone(rec)
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "WARNING: possible recursive locking detected") ||
		!strings.Contains(rec.errors[0], "was still waiting for this lock when the test ended") {
		t.Errorf("VerifyNone with a deadlock in progress recorded %q", rec.errors)
	}
	mu.Unlock() // a hand-off lets it go
	<-done
	mu.Unlock()
}

// TestVerifyNoneExitedHolding: a goroutine that ended holding a lock
// nobody unlocked fails the test that started it, when it ends.
func TestVerifyNoneExitedHolding(t *testing.T) {
	lockdep.Configure(lockdep.Output(nil))
	defer lockdep.Configure(lockdep.Output(nil))
	unchecked()
	var mu lockdep.Mutex
	mu.SetClass(lockdep.NewClass("exited.mu"))
	head := make(chan string)
	go func() {
		mu.Lock() // an error path that returns without Unlock
		buf := make([]byte, 64)
		s := string(buf[:runtime.Stack(buf, false)])
		head <- s[:strings.IndexByte(s, '[')+1]
	}()
	h := <-head
	// Wait until the goroutine is gone.
	buf := make([]byte, 1<<16)
	for strings.Contains(string(buf[:runtime.Stack(buf, true)]), h) {
		runtime.Gosched()
	}
	rec := &recorder{TB: t}
	VerifyNone(rec)
	if len(rec.errors) != 1 || !strings.Contains(rec.errors[0], "WARNING: lock still held by a goroutine that exited") ||
		!strings.Contains(rec.errors[0], "(exited.mu") || !strings.Contains(rec.errors[0], "when the test ended") {
		t.Errorf("VerifyNone after a goroutine ended holding a lock recorded %q", rec.errors)
	}
	mu.Unlock() // a hand-off, late
}
