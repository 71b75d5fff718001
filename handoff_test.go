package lockdep_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/report"
)

// summary is metrics code as it is written in the wild: Observe hands the
// held mtx to a goroutine that releases it when a flush is done, and
// carries on. What Observe takes later while mtx is still locked does not
// depend on mtx: the goroutine that will unlock it takes nothing.
type summary struct {
	bufMtx, mtx lockdep.Mutex
	n           int
}

func (s *summary) Observe() {
	s.bufMtx.Lock()
	defer s.bufMtx.Unlock()
	s.n++
	if s.n%3 == 0 {
		s.mtx.Lock()
		go func() { s.mtx.Unlock() }()
	}
}

func (s *summary) Write() { s.bufMtx.Lock(); s.mtx.Lock(); s.bufMtx.Unlock(); s.mtx.Unlock() }

func TestAsyncRelease(t *testing.T) {
	defer lockdep.FreshSettle(lockdep.DefaultLimits, time.Second)()
	var s summary
	s.bufMtx.SetClass(lockdep.NewClass("summary.bufMtx"))
	s.mtx.SetClass(lockdep.NewClass("summary.mtx"))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 2000 {
				s.Observe()
				if i%7 == 0 {
					s.Write()
				}
			}
		})
	}
	wg.Wait()
	s.mtx.Lock() // the last hand-off is done
	s.mtx.Unlock()
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Fatalf("%d findings on a legal hand-off, the first:\n%s", len(fs), fs[0])
	}
	// mtx then bufMtx, both released by their holder, is a real
	// inversion of Write's order.
	s.mtx.Lock()
	s.bufMtx.Lock()
	s.bufMtx.Unlock()
	s.mtx.Unlock()
	if got := fmt.Sprint(findings()); got != "[circular[summary.mtx summary.bufMtx]]" {
		t.Errorf("findings %v, want the one inversion", got)
	}
}

// TestDepthBoundDeliversFindings: the acquisition that hits the depth
// bound still delivers what it found, then validation steps aside. Here
// the first write lock of Z, at the bound, makes the read step X -> Z(R)
// of a cycle block.
func TestDepthBoundDeliversFindings(t *testing.T) {
	stderr := captureStderr(t)
	var emitted []finding
	defer lockdep.FreshSettle(lockdep.Limits{Classes: 10, Dependencies: 10, Chains: 10, Depth: 2, Goroutines: 64}, time.Hour,
		lockdep.OnReport(func(r lockdep.Report) { emitted = append(emitted, summarize(r)) }))()
	x, y := classed("X"), classed("Y")
	z := new(lockdep.RWMutex)
	z.SetClass(lockdep.NewClass("Z"))
	x.Lock()
	z.RLock() // X -> Z, read: Z is not written, so it cannot block
	z.RUnlock()
	x.Unlock()
	z.RLock()
	x.Lock() // Z -> X
	x.Unlock()
	z.RUnlock()
	x.Lock()
	y.Lock()
	z.Lock() // Z written: X -> Z -> X blocks now; the depth bound too
	z.Unlock()
	y.Unlock()
	x.Unlock()
	if got := fmt.Sprint(emitted); got != "[circular[X Z]]" {
		t.Errorf("reported %v, want [circular[X Z]]", got)
	}
	if got, want := stderr(), "lockdep: more than 2 locks held by one goroutine; validation is off from here on (raise LOCKDEP_MAX_DEPTH)\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}

// TestDepthBoundDropsWaiting: a finding that still waits for its holds to
// end when the depth bound is hit is dropped, not reported: the holds may
// be hand-overs (TestSlowHandoff) that nothing follows any more.
func TestDepthBoundDropsWaiting(t *testing.T) {
	captureStderr(t)
	defer lockdep.FreshSettle(lockdep.Limits{Classes: 10, Dependencies: 10, Chains: 10, Depth: 2, Goroutines: 64}, time.Hour)()
	rw := new(lockdep.RWMutex)
	rw.SetClass(lockdep.NewClass("db.mmaplock"))
	rw.RLock()
	rw.RLock() // waits on the first hold
	rw.RLock() // the bound
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Errorf("findings at the bound: %v", fs)
	}
	rw.RUnlock()
	rw.RUnlock()
	rw.RUnlock()
}

// TestHeldAtIsTheAcquisition: "held at" is where that lock was taken, not
// where a goroutine first took the same sequence of classes.
func TestHeldAtIsTheAcquisition(t *testing.T) {
	defer lockdep.FreshSettle(lockdep.DefaultLimits, time.Hour)()
	a, b := classed("A"), classed("B")
	lockAThenRelease := func() { a.Lock(); a.Unlock() } // the chain [A] is first seen here
	lockAThenRelease()
	b.Lock()
	a.Lock()
	a.Unlock()
	b.Unlock()
	var line int
	func() {
		line = thisLine() + 1
		a.Lock() // A held from here
		b.Lock()
		b.Unlock()
		a.Unlock()
	}()
	fs := lockdep.Findings()
	if len(fs) != 1 || fs[0].Kind != lockdep.Circular {
		t.Fatalf("findings %v, want one circular", fs)
	}
	for _, l := range []*report.LockRef{fs[0].Holding, &fs[0].HeldLocks[0]} {
		if l.At == nil || l.At.Line != line || !strings.HasSuffix(l.At.File, "handoff_test.go") {
			t.Errorf("held lock %+v: want at handoff_test.go:%d", l, line)
		}
	}
}

// thisLine returns the line it is called on.
func thisLine() int {
	_, _, line, _ := runtime.Caller(1)
	return line
}

// TestMisuseIsVisible: a subclass out of range is reported, not clamped in
// silence; two classes with one name are told apart.
func TestMisuseIsVisible(t *testing.T) {
	defer lockdep.FreshSettle(lockdep.DefaultLimits, time.Hour)()
	var m lockdep.Mutex
	m.LockNested(lockdep.MaxSubclasses)
	m.Unlock()
	fs := lockdep.Findings()
	if len(fs) != 1 || fs[0].Kind != lockdep.BadSubclass || !strings.Contains(fs[0].Detail, "Subclass 8 is out of range") {
		t.Fatalf("findings %v, want one bad subclass", fs)
	}
	abba(classed("twin"), classed("twin"))
	if got := fmt.Sprint(findings()[1:]); got != "[circular[twin#2 twin]]" {
		t.Errorf("findings %v, want the two twins told apart", got)
	}
}

// The hand-off model: random schedules of lock, unlock, trylock and
// hand-off (an unlock by another goroutine) over a few goroutines and
// RWMutexes, run step by step on real locks, judged by a reference model
// of DESIGN.md §3 and the hand-off rule (package validate): a dependency
// counts once the hold it comes from is released by its own goroutine;
// one that another goroutine unlocks supports nothing. A schedule ends
// with every lock released.

type modelHold struct {
	g     int
	lock  string
	read  bool
	deps  [][3]string // from, to, mode
	recur bool        // an acquisition of its class was made under it
	owner bool        // released by its own goroutine
}

// modelVerdict judges the confirmed dependencies. cycle: they have a
// cycle of blocking edges; plain: they have one that no goroutine walked
// on its own between two locks of one class (nestings lists the classes a
// goroutine held from a lock of a class up to its next lock of that
// class; see "Trees" in the package documentation). recursion: a
// recursion rests on a confirmed hold.
func modelVerdict(holds []*modelHold, written map[string]bool, nestings [][]string) (cycle, plain, recursion bool) {
	adj := map[string]map[string]bool{}
	for _, h := range holds {
		if !h.owner {
			continue
		}
		recursion = recursion || h.recur
		for _, d := range h.deps {
			if d[2] == "W" || written[d[1]] {
				if adj[d[0]] == nil {
					adj[d[0]] = map[string]bool{}
				}
				adj[d[0]][d[1]] = true
			}
		}
	}
	// Every simple cycle, from its smallest class (there are four).
	var path []string
	var walk func(c string)
	walk = func(c string) {
		for to := range adj[c] {
			switch {
			case to == path[0]:
				cycle = true
				plain = plain || !walked(path, nestings)
			case to > path[0] && !slices.Contains(path, to):
				path = append(path, to)
				walk(to)
				path = path[:len(path)-1]
			}
		}
	}
	for c := range adj {
		path = []string{c}
		walk(c)
	}
	return cycle, plain, recursion
}

// walked reports whether one of the nestings walks the cycle of classes:
// it starts with one of them and holds the others in order after it.
func walked(cycle []string, nestings [][]string) bool {
	for _, n := range nestings {
		start := slices.Index(cycle, n[0])
		if start < 0 {
			continue
		}
		k := 1
		for _, c := range n[1 : len(n)-1] {
			if k < len(cycle) && c == cycle[(start+k)%len(cycle)] {
				k++
			}
		}
		if k == len(cycle) {
			return true
		}
	}
	return false
}

// schedule makes a random valid schedule (no step blocks) as a world
// script, and the model's verdict on it.
func schedule(r *rand.Rand) (script string, cycle, plain, recursion bool) {
	const goroutines = 3
	locks := []string{"A1", "A2", "B1", "B2", "C1", "D1"}
	class := func(l string) string { return l[:1] }
	var steps []string
	writer := map[string]int{}               // lock → goroutine + 1
	readers := map[string]map[int]int{}      // lock → goroutine → read holds
	held := make([][]*modelHold, goroutines) // per goroutine, oldest first
	var holds []*modelHold
	written := map[string]bool{}
	var nestings [][]string
	step := func(g int, op, l string) { steps = append(steps, fmt.Sprintf("%d: %s %s", g, op, l)) }
	release := func(g int, h *modelHold, by int) {
		op := "U"
		if h.read {
			op = "RU"
			if readers[h.lock][h.g]--; readers[h.lock][h.g] == 0 {
				delete(readers[h.lock], h.g)
			}
		} else {
			delete(writer, h.lock)
		}
		step(by, op, h.lock)
		h.owner = by == h.g
		held[h.g] = slices.DeleteFunc(held[h.g], func(x *modelHold) bool { return x == h })
	}
	for n := 10 + r.IntN(50); n > 0; n-- {
		g := r.IntN(goroutines)
		switch k := r.IntN(10); {
		case k < 5: // acquire
			l := locks[r.IntN(len(locks))]
			read := r.IntN(3) == 0
			try := r.IntN(6) == 0
			if writer[l] != 0 || !read && len(readers[l]) > 0 {
				continue // it would block
			}
			if slices.ContainsFunc(held[g], func(h *modelHold) bool { return h.lock == l }) {
				continue // a relock of a lock it holds: never with read twice here
			}
			h := &modelHold{g: g, lock: l, read: read}
			switch {
			case try && read:
				step(g, "TR", l)
			case try:
				step(g, "T", l)
			default:
				mode := "W"
				op := "L"
				if read {
					mode, op = "R", "R"
				}
				step(g, op, l)
				// A recursion rests on the most recent hold of the class.
				recursive := false
				for i := len(held[g]) - 1; i >= 0; i-- {
					if x := held[g][i]; class(x.lock) == class(l) {
						x.recur, recursive = true, true
						var n []string
						for _, y := range held[g][i:] {
							n = append(n, class(y.lock))
						}
						nestings = append(nestings, append(n, class(l)))
						break
					}
				}
				if !recursive {
					for _, x := range held[g] {
						x.deps = append(x.deps, [3]string{class(x.lock), class(l), mode})
					}
				}
				if !read {
					written[class(l)] = true
				}
			}
			if read {
				if readers[l] == nil {
					readers[l] = map[int]int{}
				}
				readers[l][g]++
			} else {
				writer[l] = g + 1
			}
			held[g] = append(held[g], h)
			holds = append(holds, h)
		case k < 8: // release its own
			if len(held[g]) > 0 {
				release(g, held[g][r.IntN(len(held[g]))], g)
			}
		default: // hand-off: release another goroutine's hold
			o := r.IntN(goroutines)
			if o == g || len(held[o]) == 0 {
				continue
			}
			h := held[o][r.IntN(len(held[o]))]
			if h.read && len(readers[h.lock]) > 1 {
				continue // whose read hold is released cannot be known
			}
			release(g, h, g)
		}
	}
	for g := range held {
		for len(held[g]) > 0 {
			release(g, held[g][r.IntN(len(held[g]))], g)
		}
	}
	cycle, plain, recursion = modelVerdict(holds, written, nestings)
	return strings.Join(steps, "; "), cycle, plain, recursion
}

func TestHandoffModel(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	if s := os.Getenv("LOCKDEP_MODEL_SCHEDULES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	limits := lockdep.Limits{Classes: 64, Dependencies: 1024, Chains: 1024, Depth: 48, Goroutines: 64}
	var cycles, recursions, walkedOnly int
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 0x4a4d))
		script, cycle, plain, recursion := schedule(r)
		w, closeWorld := openWorld(t, limits, time.Hour)
		w.eachStep = true
		w.run(script)
		fs := lockdep.Findings()
		w.checkDelivered(script)
		closeWorld()
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
		var gotCycle, gotRecursion bool
		for _, f := range fs {
			gotCycle = gotCycle || f.Kind == lockdep.Circular
			gotRecursion = gotRecursion || f.Kind == lockdep.Recursive
		}
		// A cycle that goroutines walked only between two locks of one
		// class may be reported as that nesting alone; one they did not
		// walk so must be reported, and no other.
		if gotCycle && !cycle || plain && !gotCycle || gotRecursion != recursion {
			t.Fatalf("seed %d: circular %v, recursive %v; the model says cycle %v (not walked by a nesting %v), recursion %v\nscript: %s", seed, gotCycle, gotRecursion, cycle, plain, recursion, script)
		}
		if cycle {
			cycles++
		}
		if cycle && !plain {
			walkedOnly++
		}
		if recursion {
			recursions++
		}
	}
	// The generator must exercise every outcome.
	if cycles == 0 || cycles == n || recursions == 0 || recursions == n {
		t.Errorf("%d of %d schedules cyclic, %d recursive: the generator is useless", cycles, n, recursions)
	}
	t.Logf("%d schedules: %d cyclic (%d only as nestings), %d recursive", n, cycles, walkedOnly, recursions)
}

// TestSlowHandoff: a read hold handed to a goroutine that keeps it for
// longer than the settle time is still that goroutine's: read-locking the
// same RWMutex again meanwhile is no self-deadlock (bbolt's read
// transactions are used this way).
func TestSlowHandoff(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	rw := new(lockdep.RWMutex)
	rw.SetClass(lockdep.NewClass("db.mmaplock"))
	release, done := make(chan struct{}), make(chan struct{})
	rw.RLock()
	go func() { // the transaction's new owner
		<-release
		rw.RUnlock()
		close(done)
	}()
	rw.RLock() // a second transaction
	time.Sleep(4 * lockdep.TestSettle)
	close(release)
	<-done
	rw.RUnlock()
	if fs := lockdep.Findings(); len(fs) != 0 {
		t.Errorf("findings on a slow hand-off:\n%s", fs[0])
	}
}
