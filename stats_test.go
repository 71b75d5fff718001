package lockdep_test

import (
	"bytes"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/goroutinetest"
	"github.com/google/go-cmp/cmp"
)

// TestStatistics: acquisitions and contentions counted exactly, waits and
// holds timed, under -race too.
func TestStatistics(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.Statistics(true))()
	hot, cold := classed("stats.hot"), classed("stats.cold")
	cold.Lock()
	cold.Unlock()

	// Contention on purpose: one goroutine holds hot while the others
	// queue for it, and only then lets go.
	const waiters = 3
	hot.Lock()
	var started, done sync.WaitGroup
	for range waiters {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			hot.Lock()
			hot.Unlock()
		}()
	}
	started.Wait()
	waitForWaiters(t, waiters)
	time.Sleep(time.Millisecond) // a hold that lasts
	hot.Unlock()
	done.Wait()
	for range 10 {
		if hot.TryLock() {
			hot.Unlock()
		}
	}

	stats := map[string]lockdep.ClassStats{}
	for _, s := range lockdep.Stats() {
		stats[s.Class] = s
	}
	h, c := stats["stats.hot"], stats["stats.cold"]
	if h.Acquisitions != 1+waiters+10 || h.Contentions != waiters {
		t.Errorf("hot: %d acquisitions, %d contentions; want %d, %d", h.Acquisitions, h.Contentions, 1+waiters+10, waiters)
	}
	if h.WaitMax <= 0 || h.WaitTotal < h.WaitMax || h.HoldMax < time.Millisecond {
		t.Errorf("hot: wait total %v, max %v, hold max %v", h.WaitTotal, h.WaitMax, h.HoldMax)
	}
	if len(h.Sites) != 1 || !strings.HasSuffix(h.Sites[0].At.File, "stats_test.go") || h.Sites[0].Contentions != waiters {
		t.Errorf("hot: sites %+v, want the one line, %d contentions", h.Sites, waiters)
	}
	if c.Acquisitions != 1 || c.Contentions != 0 {
		t.Errorf("cold: %+v", c)
	}
	if first := lockdep.Stats()[0].Class; first != "stats.hot" {
		t.Errorf("most contended first: got %s", first)
	}
}

// waitForWaiters waits until n goroutines are blocked in a lock method,
// as the goroutine dump shows: no sleeping for a schedule.
func waitForWaiters(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		dump := string(buf[:runtime.Stack(buf, true)])
		if strings.Count(dump, "[sync.Mutex.Lock") >= n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("%d goroutines never blocked", n)
}

// TestStatisticsOff: nothing is counted while statistics are off.
func TestStatisticsOff(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	m := classed("stats.off")
	m.Lock()
	m.Unlock()
	if s := lockdep.Stats(); len(s) != 0 {
		t.Errorf("statistics while off: %+v", s)
	}
}

// TestWatchdog: a real two-goroutine deadlock is reported, naming the
// holder and what it holds; the test then breaks it. A slow but
// progressing workload is not reported.
func TestWatchdog(t *testing.T) {
	var got []lockdep.Report
	var mu sync.Mutex
	defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.WaitTimeout(300*time.Millisecond), lockdep.OnReport(func(r lockdep.Report) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	}))()
	// Slow but progressing: holds of 10ms, well under the timeout.
	slow := classed("watch.slow")
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range 5 {
				slow.Lock()
				time.Sleep(10 * time.Millisecond)
				slow.Unlock()
			}
		})
	}
	wg.Wait()

	a, b := classed("watch.A"), classed("watch.B")
	aHeld, bHeld := make(chan struct{}), make(chan struct{})
	var stuck sync.WaitGroup
	stuck.Go(func() {
		a.Lock()
		close(aHeld)
		<-bHeld
		b.Lock() // waits for the other goroutine: deadlock
		b.Unlock()
		a.Unlock()
	})
	b.Lock()
	close(bHeld)
	<-aHeld
	var timeouts []lockdep.Report
	for deadline := time.Now().Add(10 * time.Second); len(timeouts) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		for _, r := range got {
			if r.Kind == lockdep.Timeout {
				timeouts = append(timeouts, r)
			}
		}
		mu.Unlock()
	}
	b.Unlock() // break the deadlock
	stuck.Wait()
	if len(timeouts) != 1 {
		t.Fatalf("%d timeout reports, want 1 (all: %v)", len(timeouts), got)
	}
	r := timeouts[0]
	if r.Lock.Class != "watch.B" || len(r.Holders) != 1 || len(r.HeldLocks) != 1 || r.HeldLocks[0].Class != "watch.A" {
		t.Fatalf("report:\n%s", r)
	}
	h := r.Holders[0]
	if len(h.HeldLocks) != 1 || h.HeldLocks[0].Class != "watch.B" || len(h.Stack) == 0 {
		t.Errorf("holder %+v: want it holding watch.B, with its stack", h)
	}
	text := r.String()
	for _, want := range []string{"WARNING: lock wait timeout", "is waiting to acquire lock:", "which is held by:", "(watch.B){W}"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
}

// TestDumpHeld: every goroutine's held locks, where taken and its stack.
func TestDumpHeld(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	a, b := classed("dump.A"), classed("dump.B")
	a.Lock()
	held, release := make(chan struct{}), make(chan struct{})
	go func() {
		b.Lock()
		close(held)
		<-release
		b.Unlock()
	}()
	<-held
	var buf bytes.Buffer
	lockdep.DumpHeld(&buf)
	close(release)
	a.Unlock()
	out := buf.String()
	for _, want := range []string{"Showing all locks held in the system:", "(dump.A){W}, at: github.com/golockdep/lockdep_test.TestDumpHeld stats_test.go:", "(dump.B){W}, at: github.com/golockdep/lockdep_test.TestDumpHeld.func1 stats_test.go:", "[chan receive]"} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
}

// TestDumpWaiting: a goroutine blocked in a wait shows what it waits
// for, a lock or an event, next to what it holds; one that waits for
// nothing and holds nothing is left out.
func TestDumpWaiting(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	a, b := classed("dumpwait.A"), classed("dumpwait.B")
	var ev lockdep.Event
	ev.SetClass(lockdep.NewClass("dumpwait.jobs"))
	var jobs sync.WaitGroup
	jobs.Add(1)
	a.Lock()
	go func() { // holds B, waits for the jobs
		b.Lock()
		ev.Wait()
		jobs.Wait()
		b.Unlock()
	}()
	go func() { // holds nothing, waits for A
		a.Lock()
		a.Unlock()
	}()
	goroutinetest.WaitState(t, "TestDumpWaiting.func1", "sync.WaitGroup.Wait")
	goroutinetest.WaitState(t, "TestDumpWaiting.func2", "sync.Mutex.Lock")
	var buf bytes.Buffer
	lockdep.DumpHeld(&buf)
	jobs.Done()
	a.Unlock()
	out := buf.String()
	for _, want := range []string{
		"1 lock held by goroutine",
		" #0: (dumpwait.B){W}, at: github.com/golockdep/lockdep_test.TestDumpWaiting.func1 stats_test.go:",
		" waiting for: (event: dumpwait.jobs){W}, at: github.com/golockdep/lockdep_test.TestDumpWaiting.func1 stats_test.go:",
		"no locks held by goroutine",
		" waiting for: (dumpwait.A){W}, at: github.com/golockdep/lockdep_test.TestDumpWaiting.func2 stats_test.go:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dump lacks %q:\n%s", want, out)
		}
	}
}

// TestChainsAndUsage: the chains validated, as lockdep_chains lists them,
// and each bound's usage, as lockdep_stats does.
func TestChainsAndUsage(t *testing.T) {
	defer lockdep.Fresh(lockdep.Limits{Classes: 10, Dependencies: 20, Chains: 30, Depth: 40, Goroutines: 64})()
	a, b := classed("A"), new(lockdep.RWMutex)
	b.SetClass(lockdep.NewClass("B"))
	a.Lock()
	b.RLock()
	b.RUnlock()
	a.Unlock()
	a.Lock() // the chain is cached now that A -> B is confirmed
	b.RLock()
	b.RUnlock()
	a.Unlock()
	if diff := cmp.Diff([]string{"A{W}", "A{W} B{R}"}, lockdep.Chains()); diff != "" {
		t.Errorf("chains (-want +got):\n%s", diff)
	}
	want := []string{"lock classes 2/10", "lock dependencies 1/20", "lock chains 2/30", "locks held by one goroutine 2/40", "goroutines holding locks 1/64"}
	if diff := cmp.Diff(want, lockdep.Usage()); diff != "" {
		t.Errorf("usage (-want +got):\n%s", diff)
	}
}

// TestStatisticsRecorded: under the lockdep command (LOCKDEP_EVENTS), a
// process with statistics on leaves them in its record.
func TestStatisticsRecorded(t *testing.T) {
	if os.Getenv("LOCKDEP_TEST_CHILD") == "stats" {
		m := classed("recorded.mu")
		for range 5 {
			m.Lock()
			m.Unlock()
		}
		// The writer ticks every tenth of a second: wait for its record.
		for range 500 {
			files, _ := readEvents(os.Getenv("LOCKDEP_EVENTS"))
			for _, f := range files {
				for _, e := range f.Events {
					if e.Stats != nil {
						return
					}
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("no statistics recorded")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStatisticsRecorded$")
	cmd.Env = append(os.Environ(), "LOCKDEP_TEST_CHILD=stats", "LOCKDEP_EVENTS="+dir, "LOCKDEP_STAT=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	files, err := readEvents(dir)
	if err != nil || len(files) != 1 {
		t.Fatalf("records: %v, %d files", err, len(files))
	}
	var last []lockdep.ClassStats
	for _, e := range files[0].Events {
		if e.Stats != nil {
			last = e.Stats
		}
	}
	if len(last) != 1 || last[0].Class != "recorded.mu" || last[0].Acquisitions != 5 {
		t.Errorf("recorded statistics %+v, want 5 acquisitions of recorded.mu", last)
	}
}

// TestStatisticsCountFindings: the acquisition that closes a cycle, whose
// finding waits for its hold to end, is counted like any other.
func TestStatisticsCountFindings(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.Statistics(true))()
	abba(classed("count.A"), classed("count.B"))
	if len(lockdep.Findings()) != 1 {
		t.Fatalf("findings %v, want the inversion", lockdep.Findings())
	}
	for _, s := range lockdep.Stats() {
		if s.Acquisitions != 2 || s.HoldMax <= 0 {
			t.Errorf("%s: %d acquisitions, hold max %v; want 2, > 0", s.Class, s.Acquisitions, s.HoldMax)
		}
	}
}

// eventFile is the record of one process.
type eventFile struct {
	Path    string
	Process events.Process
	Events  []events.Event
}

// readEvents reads every record in dir, as the lockdep command does.
func readEvents(dir string) ([]eventFile, error) {
	t := events.NewTail(dir)
	defer t.Close()
	var files []eventFile
	err := t.Read(func(path string, p *events.Process, e *events.Event) {
		if e == nil {
			files = append(files, eventFile{Path: path, Process: *p})
			return
		}
		f := &files[len(files)-1]
		f.Events = append(f.Events, *e)
	})
	return files, err
}
