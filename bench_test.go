package lockdep_test

import (
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
)

// Benchmarks against sync, each with sub-benchmarks sync, off and on.
// Modes are switched with Configure; every "on" run uses a fresh validator.

type locker interface {
	Lock()
	Unlock()
}

func modes(b *testing.B, run func(b *testing.B, mk func() locker)) {
	modesOf(b, func() locker { return new(sync.Mutex) }, func() locker { return new(lockdep.Mutex) }, run)
}

// modesOf runs run with the sync locks plain, then with lockdep's off and
// on, each "on" with a fresh validator.
func modesOf(b *testing.B, plain, validated func() locker, run func(b *testing.B, mk func() locker)) {
	b.Run("impl=sync", func(b *testing.B) { run(b, plain) })
	for _, m := range []lockdep.Mode{lockdep.Off, lockdep.Warn} {
		name := "impl=off"
		if m != lockdep.Off {
			name = "impl=on"
		}
		b.Run(name, func(b *testing.B) {
			defer lockdep.Fresh(lockdep.DefaultLimits, m)()
			run(b, validated)
		})
	}
}

func BenchmarkLockUnlock(b *testing.B) {
	modes(b, func(b *testing.B, mk func() locker) {
		b.ReportAllocs()
		mu := mk()
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

func benchNested(b *testing.B, n int) {
	modes(b, func(b *testing.B, mk func() locker) {
		b.ReportAllocs()
		ls := make([]locker, n)
		for i := range ls {
			ls[i] = mk()
		}
		for b.Loop() {
			for _, l := range ls {
				l.Lock()
			}
			for i := n - 1; i >= 0; i-- {
				ls[i].Unlock()
			}
		}
	})
}

func BenchmarkNested2(b *testing.B) { benchNested(b, 2) }
func BenchmarkNested4(b *testing.B) { benchNested(b, 4) }

// BenchmarkRLockRUnlock: through RLocker, so that every implementation
// pays the same interface call as the Lock benchmarks.
func BenchmarkRLockRUnlock(b *testing.B) {
	modesOf(b, func() locker { return new(sync.RWMutex).RLocker() }, func() locker { return new(lockdep.RWMutex).RLocker() },
		func(b *testing.B, mk func() locker) {
			b.ReportAllocs()
			rl := mk()
			for b.Loop() {
				rl.Lock()
				rl.Unlock()
			}
		})
}

// BenchmarkParallelIndependent: every goroutine locks a mutex of its own,
// all of one class; validation must not serialise them.
func BenchmarkParallelIndependent(b *testing.B) {
	class := lockdep.NewClass("bench.independent")
	modes(b, func(b *testing.B, mk func() locker) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			var pad struct {
				_  [64]byte
				mu locker
				_  [64]byte
			}
			pad.mu = mk()
			if m, ok := pad.mu.(*lockdep.Mutex); ok {
				m.SetClass(class)
			}
			for pb.Next() {
				pad.mu.Lock()
				pad.mu.Unlock()
			}
		})
	})
}

// BenchmarkParallelShared: all goroutines lock one mutex.
func BenchmarkParallelShared(b *testing.B) {
	modes(b, func(b *testing.B, mk func() locker) {
		b.ReportAllocs()
		mu := mk()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mu.Unlock()
			}
		})
	})
}

// BenchmarkHeldByOthers: Lock+Unlock while 1,000 other goroutines each hold
// a lock; the cost must not depend on them.
func BenchmarkHeldByOthers(b *testing.B) {
	class := lockdep.NewClass("bench.held")
	modes(b, func(b *testing.B, mk func() locker) {
		b.ReportAllocs()
		release := make(chan struct{})
		var held, done sync.WaitGroup
		for range 1000 {
			held.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				mu := mk()
				if m, ok := mu.(*lockdep.Mutex); ok {
					m.SetClass(class)
				}
				mu.Lock()
				held.Done()
				<-release
				mu.Unlock()
			}()
		}
		held.Wait()
		mu := mk()
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
		close(release)
		done.Wait()
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
