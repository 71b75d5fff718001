// Package bench compares the run-time cost of lockdep's validating mutexes
// with the standard library's sync.Mutex (the baseline, no checking at all)
// and with github.com/sasha-s/go-deadlock (a peer tool that also checks
// lock order at run time).
//
// Every benchmark has three sub-benchmarks, impl=sync, impl=lockdep and
// impl=deadlock, that run the same locking pattern on the three mutex types,
// so that benchstat -col /impl shows them side by side. See run.sh and
// README.md.
package bench

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/sasha-s/go-deadlock"
)

func TestMain(m *testing.M) {
	// go-deadlock has two detectors: a lock-order checker (comparable to
	// lockdep) and a timer-based one that reports any Lock that waits longer
	// than Opts.DeadlockTimeout. The timer detector arms a timer around every
	// Lock call, which lockdep has no counterpart for, so it is turned off
	// here: a timeout <= 0 disables it. What remains is go-deadlock's
	// lock-order checking, which is what we compare against. Opts is a
	// package-level global, so it is set once, before any benchmark runs.
	deadlock.Opts.DeadlockTimeout = 0
	code := m.Run()
	if code == 0 && !lockdepWasValidating() {
		code = 1
	}
	os.Exit(code)
}

// lockdepWasValidating reports whether the lockdep numbers mean anything:
// the benchmarks' locking must be clean (no findings, so no report was
// timed), and validation must still be on at the end. lockdep switches
// validation off for good when one of its bounds is hit, and its locks would
// then have been timed as plain sync locks. This is a correctness check of
// the benchmark set-up, not a timing assertion.
func lockdepWasValidating() bool {
	if fs := lockdep.Findings(); len(fs) > 0 {
		fmt.Fprintf(os.Stderr, "bench: lockdep reported %d finding(s) during the benchmarks; the first:\n%v\n", len(fs), fs[0])
		return false
	}
	// A probe that must produce a finding while validation is on. Its
	// report is not printed; in LOCKDEP=panic mode it panics, recovered here.
	lockdep.Configure(lockdep.Output(nil))
	func() {
		defer func() { _ = recover() }()
		var probe lockdep.Mutex
		probe.AssertHeld()
	}()
	if len(lockdep.Findings()) == 0 {
		fmt.Fprintln(os.Stderr, "bench: lockdep validation was off at the end of the benchmarks (LOCKDEP=off, or a bound was hit); its numbers are those of plain locks")
		return false
	}
	return true
}

// heldByOthers is the number of goroutines holding a lock of their own
// during BenchmarkHeldByOthers.
const heldByOthers = 1000

// Lock classes shared by the benchmarks' lockdep mutexes. They are created
// once, at package level, like classes in real code, so that repeated runs
// (-count) reuse them instead of creating new classes every time.
var (
	nested2Classes = newClasses("bench.nested2", 2)
	nested4Classes = newClasses("bench.nested4", 4)
	parallelClass  = lockdep.NewClass("bench.parallel")
	heldClass      = lockdep.NewClass("bench.held")
)

// newClasses returns n distinct classes named prefix[0] ... prefix[n-1].
func newClasses(prefix string, n int) []*lockdep.Class {
	cs := make([]*lockdep.Class, n)
	for i := range cs {
		cs[i] = lockdep.NewClass(fmt.Sprintf("%s[%d]", prefix, i))
	}
	return cs
}

// padded keeps a mutex that is allocated per goroutine on a cache line of
// its own, so that BenchmarkParallelIndependent measures the mutexes and not
// false sharing between neighbouring heap objects.
type padded[M any] struct {
	mu M
	_  [64]byte
}

// BenchmarkLockUnlock measures one uncontended Lock+Unlock of a single
// mutex. For lockdep this is the fast path: after the first iteration the
// lock chain is cached and no dependency-graph work is done.
func BenchmarkLockUnlock(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		var mu deadlock.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// BenchmarkNested2 measures taking two distinct mutexes in a fixed order and
// releasing them in reverse order: the cost of checking one lock-order
// dependency (cached by lockdep after the first iteration).
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
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1 lockdep.Mutex
		m0.SetClass(nested2Classes[0])
		m1.SetClass(nested2Classes[1])
		for b.Loop() {
			m0.Lock()
			m1.Lock()
			m1.Unlock()
			m0.Unlock()
		}
	})
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1 deadlock.Mutex
		for b.Loop() {
			m0.Lock()
			m1.Lock()
			m1.Unlock()
			m0.Unlock()
		}
	})
}

// BenchmarkNested4 measures taking four distinct mutexes in a fixed order
// and releasing them in reverse order, so each acquisition is checked
// against a deeper stack of held locks than in BenchmarkNested2.
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
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1, m2, m3 lockdep.Mutex
		m0.SetClass(nested4Classes[0])
		m1.SetClass(nested4Classes[1])
		m2.SetClass(nested4Classes[2])
		m3.SetClass(nested4Classes[3])
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
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		var m0, m1, m2, m3 deadlock.Mutex
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

// BenchmarkRLockRUnlock measures one uncontended RLock+RUnlock of a single
// RWMutex.
func BenchmarkRLockRUnlock(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.RWMutex
		for b.Loop() {
			mu.RLock()
			mu.RUnlock()
		}
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.RWMutex
		for b.Loop() {
			mu.RLock()
			mu.RUnlock()
		}
	})
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		var mu deadlock.RWMutex
		for b.Loop() {
			mu.RLock()
			mu.RUnlock()
		}
	})
}

// BenchmarkParallelIndependent measures Lock+Unlock from GOMAXPROCS
// goroutines at once, each on a mutex of its own, so there is no contention
// on the mutexes themselves: any slowdown compared with sync comes from
// state the checker shares between goroutines. The lockdep mutexes all
// share one class, as instances of one struct field would in real code.
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
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			p := new(padded[lockdep.Mutex])
			p.mu.SetClass(parallelClass)
			for pb.Next() {
				p.mu.Lock()
				p.mu.Unlock()
			}
		})
	})
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			p := new(padded[deadlock.Mutex])
			for pb.Next() {
				p.mu.Lock()
				p.mu.Unlock()
			}
		})
	})
}

// BenchmarkParallelShared measures Lock+Unlock from GOMAXPROCS goroutines
// at once on one shared mutex: the contended case, where the checker's own
// cost adds to the time the mutex is held.
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
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var mu lockdep.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mu.Unlock()
			}
		})
	})
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		var mu deadlock.Mutex
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				mu.Lock()
				mu.Unlock()
			}
		})
	})
}

// BenchmarkHeldByOthers measures an uncontended Lock+Unlock of one mutex
// while heldByOthers other goroutines each hold a lock of their own. A
// checker whose cost grows with the number of locks held anywhere in the
// program (rather than by the calling goroutine) shows up here.
func BenchmarkHeldByOthers(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		release := holdLocks(heldByOthers, func() sync.Locker { return new(sync.Mutex) })
		defer release()
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		release := holdLocks(heldByOthers, func() sync.Locker {
			m := new(lockdep.Mutex)
			m.SetClass(heldClass)
			return m
		})
		defer release()
		var mu lockdep.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
	b.Run("impl=deadlock", func(b *testing.B) {
		b.ReportAllocs()
		release := holdLocks(heldByOthers, func() sync.Locker { return new(deadlock.Mutex) })
		defer release()
		var mu deadlock.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	})
}

// holdLocks starts n goroutines that each lock a mutex of their own, made by
// newMu, and keep it locked. It returns once all n hold their lock. The
// returned function makes them unlock and exit, and waits until they have.
// The setup runs before b.Loop's first iteration and the release after its
// last, so neither is timed.
func holdLocks(n int, newMu func() sync.Locker) (release func()) {
	var held, done sync.WaitGroup
	stop := make(chan struct{})
	held.Add(n)
	for range n {
		mu := newMu()
		done.Go(func() {
			mu.Lock()
			held.Done()
			<-stop
			mu.Unlock()
		})
	}
	held.Wait()
	return func() {
		close(stop)
		done.Wait()
	}
}
