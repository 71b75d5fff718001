package lockdepimpl_test

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep/lockdepimpl"
	"github.com/golockdep/lockdep/report"
)

// What rewritten go statements do (see goexit.go): sites of the locks,
// then of the go statements.
var goSites = [...]lockdepimpl.Site{
	{Class: "example.com/m.Job.mu", File: "job.go", Line: 10},
	{Class: "example.com/m.Job.mu", File: "job.go", Line: 14},
	{File: "job.go", Line: 20},
	{File: "job.go", Line: 21},
}

type job struct {
	mu   sync.Mutex
	fail bool
}

// run leaves mu locked when the job fails.
func (j *job) run() {
	lockdepimpl.Lock(&j.mu, &goSites[0])
	if j.fail {
		return
	}
	lockdepimpl.Unlock(&j.mu, &goSites[1])
}

// goEnded runs f through lockdepimpl.Go in a goroutine of its own, as a
// rewritten go statement does, and returns once Go has returned: the
// validator has been told the goroutine ended. (Waiting for f to be gone
// from the goroutine dumps is not enough: a goroutine not started yet
// shows neither f nor Go, but the wrapper of the go statement.)
func goEnded(f func(), s *lockdepimpl.Site) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		lockdepimpl.Go(f, s)
	}()
	<-done
}

// waitGone waits until no goroutine runs fn, for up to ten seconds.
func waitGone(t *testing.T, fn string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if !strings.Contains(string(buf[:runtime.Stack(buf, true)]), fn) {
			return
		}
	}
	t.Fatalf("a goroutine still runs %s", fn)
}

func TestGoMethodValue(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	ok, failing := &job{}, &job{fail: true}
	goEnded(ok.run, &goSites[2])
	goEnded(failing.run, &goSites[3])
	if fs := findings(); len(fs) != 0 {
		t.Fatalf("reported at the goroutine's end: %v", fs)
	}
	lockdepimpl.Flush()
	fs := findings()
	if len(fs) != 1 || fs[0].Kind != report.ExitedHolding {
		t.Fatalf("findings %v, want one lock left held", fs)
	}
	r := fs[0]
	if r.Lock.Class != "example.com/m.Job.mu" || r.Lock.At == nil || r.Lock.At.Func != "github.com/golockdep/lockdep/lockdepimpl_test.(*job).run" {
		t.Errorf("lock %v, want Job.mu taken in (*job).run", r.Lock)
	}
	if r.Exit == nil || r.Exit.Started == nil || *r.Exit.Started != (report.Frame{File: "job.go", Line: 21}) {
		t.Errorf("exit %+v, want started at job.go:21", r.Exit)
	}
	// A method value's function is a wrapper, of no line of its own:
	// the method is named alone.
	if r.Exit == nil || r.Exit.Ended == nil || *r.Exit.Ended != (report.Frame{Func: "github.com/golockdep/lockdep/lockdepimpl_test.(*job).run"}) {
		t.Errorf("exit %+v, want ended when (*job).run returned", r.Exit)
	}
}

func TestExitedLiteral(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	var mu sync.Mutex
	go func() {
		defer lockdepimpl.Exited(&goSites[2])
		lockdepimpl.Lock(&mu, &goSites[0])
	}() // ends: the line reported
	_, file, line, _ := runtime.Caller(0)
	waitGone(t, "lockdepimpl_test.TestExitedLiteral.func1")
	lockdepimpl.Flush()
	fs := findings()
	if len(fs) != 1 || fs[0].Kind != report.ExitedHolding {
		t.Fatalf("findings %v, want one lock left held", fs)
	}
	e := fs[0].Exit
	if e == nil || e.Ended == nil || e.Ended.Func != "github.com/golockdep/lockdep/lockdepimpl_test.TestExitedLiteral.func1" || !strings.HasSuffix(file, e.Ended.File) || e.Ended.Line != line-1 {
		t.Errorf("exit %+v, want ended at the literal's end, %s:%d", e, file, line-1)
	}
	if len(fs[0].Stack) == 0 || fs[0].Stack[0] != *e.Ended {
		t.Errorf("stack %v, want it to start where the goroutine ended", fs[0].Stack)
	}
}

// TestGoHandOff: a goroutine that locks and ends, and another that
// unlocks after it ended, make a hand-off: never reported.
func TestGoHandOff(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	j := &job{fail: true}
	goEnded(j.run, &goSites[2])
	lockdepimpl.Unlock(&j.mu, &goSites[1])
	j.run()
	lockdepimpl.Unlock(&j.mu, &goSites[1])
	lockdepimpl.Flush()
	if fs := findings(); len(fs) != 0 {
		t.Errorf("findings %v, want none", fs)
	}
}

// TestGoWaiter: a goroutine that waits for a lock left held is a
// deadlock in progress; the end of the process reports it.
func TestGoWaiter(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	j := &job{fail: true}
	goEnded(j.run, &goSites[2])
	done := make(chan struct{})
	before := strings.Count(dump(), "[sync.Mutex.Lock")
	go func() {
		defer close(done)
		lockdepimpl.Lock(&j.mu, &goSites[0]) // waits
		lockdepimpl.Unlock(&j.mu, &goSites[1])
	}()
	for strings.Count(dump(), "[sync.Mutex.Lock") <= before {
		time.Sleep(time.Millisecond)
	}
	lockdepimpl.Flush()
	fs := findings()
	if len(fs) != 1 || fs[0].Kind != report.ExitedHolding || fs[0].InProgress != report.ProcessEnded || len(fs[0].Waiters) != 1 {
		t.Fatalf("findings %v, want one lock left held, waited for when the process ended", fs)
	}
	lockdepimpl.Unlock(&j.mu, &goSites[1]) // let the waiter go
	<-done
}

func dump() string {
	buf := make([]byte, 1<<20)
	return string(buf[:runtime.Stack(buf, true)])
}
