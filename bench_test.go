package lockdep_test

import (
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
)

// Benchmarks against sync, each with sub-benchmarks impl=sync, impl=off
// and impl=on. Both sides call their lock types directly, never through an
// interface (which would hide part of the validator's cost), so each case
// is written out once for sync and once for lockdep. Every "on" run uses a
// fresh validator.

// offOn runs run with validation off, then on; then on with lock
// statistics (impl=stats) and with the watchdog (impl=watchdog).
func offOn(b *testing.B, run func(b *testing.B)) {
	for _, c := range []struct {
		name string
		opts []lockdep.Option
	}{
		{"impl=off", []lockdep.Option{lockdep.Off}},
		{"impl=on", []lockdep.Option{lockdep.Warn}},
		{"impl=stats", []lockdep.Option{lockdep.Warn, lockdep.Statistics(true)}},
		{"impl=watchdog", []lockdep.Option{lockdep.Warn, lockdep.WaitTimeout(30 * time.Second)}},
	} {
		b.Run(c.name, func(b *testing.B) {
			defer lockdep.Fresh(lockdep.DefaultLimits, c.opts...)()
			run(b)
		})
	}
}

func BenchmarkLockUnlock(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

func BenchmarkNested2(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1 sync.Mutex
		for b.Loop() {
			m0.Lock()
			m1.Lock()
			m1.Unlock()
			m0.Unlock()
		}
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1 lockdep.Mutex
		for b.Loop() {
			m0.Lock()
			m1.Lock()
			m1.Unlock()
			m0.Unlock()
		}
	})
}

func BenchmarkNested4(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1, m2, m3 sync.Mutex
		for b.Loop() {
			m0.Lock()
			m1.Lock()
			m2.Lock()
			m3.Lock()
			m3.Unlock()
			m2.Unlock()
			m1.Unlock()
			m0.Unlock()
		}
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1, m2, m3 lockdep.Mutex
		for b.Loop() {
			m0.Lock()
			m1.Lock()
			m2.Lock()
			m3.Lock()
			m3.Unlock()
			m2.Unlock()
			m1.Unlock()
			m0.Unlock()
		}
	})
}

func BenchmarkRLockRUnlock(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var rw sync.RWMutex
		for b.Loop() {
			rw.RLock()
			rw.RUnlock()
		}
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var rw lockdep.RWMutex
		for b.Loop() {
			rw.RLock()
			rw.RUnlock()
		}
	})
}

// padded keeps a mutex of one goroutine on cache lines of its own, so that
// the parallel benchmark measures the locks, not false sharing.
type padded[M any] struct {
	_  [64]byte
	mu M
	_  [64]byte
}

// BenchmarkParallelIndependent: every goroutine locks a mutex of its own,
// all of one class; validation must not serialise them.
func BenchmarkParallelIndependent(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			p := new(padded[sync.Mutex])
			for pb.Next() {
				p.mu.Lock()
				p.mu.Unlock()
			}
		})
	})
	class := lockdep.NewClass("bench.independent")
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			p := new(padded[lockdep.Mutex])
			p.mu.SetClass(class)
			for pb.Next() {
				p.mu.Lock()
				p.mu.Unlock()
			}
		})
	})
}

// BenchmarkParallelShared: all goroutines lock one mutex.
func BenchmarkParallelShared(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mu.Unlock()
			}
		})
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mu.Unlock()
			}
		})
	})
}

// holdMany starts n goroutines that each hold a lock of their own until
// the returned function is called.
func holdMany(n int, lock func() (unlock func())) (release func()) {
	stop := make(chan struct{})
	var held, done sync.WaitGroup
	for range n {
		held.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			unlock := lock()
			held.Done()
			<-stop
			unlock()
		}()
	}
	held.Wait()
	return func() { close(stop); done.Wait() }
}

// BenchmarkHeldByOthers: Lock+Unlock while 1,000 other goroutines each hold
// a lock; the cost must not depend on them.
func BenchmarkHeldByOthers(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		defer holdMany(1000, func() func() {
			mu := new(sync.Mutex)
			mu.Lock()
			return mu.Unlock
		})()
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	class := lockdep.NewClass("bench.held")
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		defer holdMany(1000, func() func() {
			mu := new(lockdep.Mutex)
			mu.SetClass(class)
			mu.Lock()
			return mu.Unlock
		})()
		var mu lockdep.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// BenchmarkNewEdge10k: the cost of a new dependency (cycle search
// included) in a graph of 10,000 classes and about 30,000 dependencies.
func BenchmarkNewEdge10k(b *testing.B) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	b.ReportAllocs()
	const n = 10000
	ls := make([]lockdep.Mutex, n)
	for i := range ls {
		ls[i].SetClass(lockdep.NewClass("c"))
	}
	// A layered DAG: i → i+1, i+7, i+100.
	for i := range n {
		for _, d := range []int{1, 7, 100} {
			if j := i + d; j < n {
				ls[i].Lock()
				ls[j].Lock()
				ls[j].Unlock()
				ls[i].Unlock()
			}
		}
	}
	// Each iteration adds a new class and the new edge extra → c0; the
	// search from c0 for a path back to extra reaches every class and
	// finds none.
	for b.Loop() {
		e := new(lockdep.Mutex)
		e.SetClass(lockdep.NewClass("extra"))
		e.Lock()
		ls[0].MightLock() // new edge extra → c0: the search from c0 covers the graph
		e.Unlock()
	}
	if fs := lockdep.Findings(); len(fs) != 0 {
		b.Fatalf("the benchmark made findings: %v", fs[0])
	}
}

// BenchmarkEventSignal: a handler's pattern, a lock taken and released,
// then a WaitGroup's Done; with lockdep, an Event's Signal of the Done's
// event, whose dependency on the lock is cached after the first.
func BenchmarkEventSignal(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			mu.Lock()
			mu.Unlock()
			wg.Done()
		}
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.Mutex
		var ev lockdep.Event
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			mu.Lock()
			mu.Unlock()
			ev.Signal()
			wg.Done()
		}
	})
}

// BenchmarkEventWait: a wait for a WaitGroup whose count is zero, under a
// lock; with lockdep, an Event's Wait first.
func BenchmarkEventWait(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for b.Loop() {
			mu.Lock()
			wg.Wait()
			mu.Unlock()
		}
	})
	offOn(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.Mutex
		var ev lockdep.Event
		var wg sync.WaitGroup
		for b.Loop() {
			mu.Lock()
			ev.Wait()
			wg.Wait()
			mu.Unlock()
		}
	})
}
