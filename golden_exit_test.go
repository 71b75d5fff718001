package lockdep_test

import (
	"runtime"
	"strings"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/lockdepimpl"
)

// The scenarios of goroutines that end holding locks, after the others,
// whose lines the golden files pin.
func init() {
	type scenario = struct {
		name string
		run  func()
	}
	scenarios = append(scenarios,
		scenario{"exited-holding", scenarioExitedHolding},
		scenario{"exited-holding-seen", scenarioExitedHoldingSeen})
}

var jobMu = lockdep.NewClass("worker.Job.mu")

// runJob returns on an error path with the job's lock held.
func runJob(j *account, fail bool) {
	j.mu.Lock()
	if fail {
		return
	}
	j.mu.Unlock()
}

func jobStatus(j *account) {
	j.mu.Lock()
	j.mu.Unlock()
}

// scenarioExitedHolding: a goroutine locks a job and ends on an error
// path with the lock held; another then waits for the lock when the
// process ends. Library code has no rewritten go statements: the
// validator does not see the first goroutine end, and finds it gone.
func scenarioExitedHolding() {
	j := newAccount(jobMu)
	gid := make(chan string)
	go func() {
		runJob(j, true)
		gid <- goroutineHead()
	}()
	head := <-gid
	waitDump(func(dump string) bool { return !strings.Contains(dump, head) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		jobStatus(j)
	}()
	waitDump(func(dump string) bool { return strings.Contains(dump, "[sync.Mutex.Lock") })
	lockdep.ProcessEnds()
	j.mu.Unlock() // let the waiter go: a hand-off
	<-done
}

// goSite is the site of a go statement as the lockdep command rewrites it.
var goSite = lockdepimpl.Site{File: "worker/worker.go", Line: 12}

// scenarioExitedHoldingSeen: the same, with the validator told where the
// goroutine started and ended, as a rewritten go statement tells it, and
// nobody waiting for the lock when the process ends.
func scenarioExitedHoldingSeen() {
	j := newAccount(jobMu)
	gid := make(chan string, 1)
	go func() {
		defer lockdepimpl.Exited(&goSite)
		gid <- goroutineHead()
		runJob(j, true)
	}()
	head := <-gid
	waitDump(func(dump string) bool { return !strings.Contains(dump, head) })
	lockdep.ProcessEnds()
	j.mu.Unlock()
}

// goroutineHead returns the head of the calling goroutine's dump,
// "goroutine N [".
func goroutineHead() string {
	buf := make([]byte, 64)
	s := string(buf[:runtime.Stack(buf, false)])
	return s[:strings.IndexByte(s, '[')+1]
}

// waitDump waits until done is true of a dump of every goroutine, for up
// to ten seconds.
func waitDump(done func(dump string) bool) {
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if done(string(buf[:runtime.Stack(buf, true)])) {
			return
		}
	}
}
