package lockdepimpl_test

import (
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/lockdepimpl"
)

// Per-operation cost of rewritten calls, each case as sub-benchmarks:
// impl=sync (the plain call the rewrite replaces), impl=off (the
// lockdepimpl call with validation off) and impl=on (validation on).

// Static sites, as rewritten code declares them: one per call line.
var benchSites = [...]lockdepimpl.Site{
	{Class: "example.com/m.conn.mu", File: "x.go", Line: 1},     // Lock
	{Class: "example.com/m.conn.mu", File: "x.go", Line: 2},     // Unlock
	{Class: "example.com/m.table.mu", File: "x.go", Line: 3},    // RLock
	{Class: "example.com/m.table.mu", File: "x.go", Line: 4},    // RUnlock
	{Class: "example.com/m.pool.mu", File: "x.go", Line: 5},     // nested: outer Lock
	{Class: "example.com/m.item.mu", File: "x.go", Line: 6},     // nested: inner Lock
	{Class: "example.com/m.item.mu", File: "x.go", Line: 7},     // nested: inner Unlock
	{Class: "example.com/m.pool.mu", File: "x.go", Line: 8},     // nested: outer Unlock
	{Class: "example.com/m.shard.mu", File: "x.go", Line: 9},    // parallel: Lock
	{Class: "example.com/m.shard.mu", File: "x.go", Line: 10},   // parallel: Unlock
	{Class: "example.com/m.withLock.m", File: "x.go", Line: 11}, // through a pointer: Lock
	{Class: "example.com/m.withLock.m", File: "x.go", Line: 12}, // through a pointer: Unlock
	{Class: "example.com/m.conn.mu", File: "x.go", Line: 13},    // &c.mu
}

// modes runs the three sub-benchmarks; plain is the sync variant, impl the
// lockdepimpl one, run once with validation off and once with it on.
func modes(b *testing.B, plain, impl func(b *testing.B)) {
	defer lockdep.Configure(lockdep.Warn)
	b.Run("impl=sync", plain)
	lockdep.Configure(lockdep.Off)
	b.Run("impl=off", impl)
	lockdep.Configure(lockdep.Warn)
	b.Run("impl=on", impl)
}

func BenchmarkLockUnlock(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		for b.Loop() {
			lockdepimpl.Lock(&mu, &benchSites[0])
			lockdepimpl.Unlock(&mu, &benchSites[1])
		}
	})
}

func BenchmarkRLockRUnlock(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var rw sync.RWMutex
		for b.Loop() {
			rw.RLock()
			rw.RUnlock()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var rw sync.RWMutex
		for b.Loop() {
			lockdepimpl.RLock(&rw, &benchSites[2])
			lockdepimpl.RUnlock(&rw, &benchSites[3])
		}
	})
}

func BenchmarkNested2(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var outer, inner sync.Mutex
		for b.Loop() {
			outer.Lock()
			inner.Lock()
			inner.Unlock()
			outer.Unlock()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var outer, inner sync.Mutex
		for b.Loop() {
			lockdepimpl.Lock(&outer, &benchSites[4])
			lockdepimpl.Lock(&inner, &benchSites[5])
			lockdepimpl.Unlock(&inner, &benchSites[6])
			lockdepimpl.Unlock(&outer, &benchSites[7])
		}
	})
}

// padded keeps each goroutine's mutex on its own cache line, so that the
// parallel benchmark measures the locking and not false sharing.
type padded struct {
	mu sync.Mutex
	_  [120]byte
}

func BenchmarkParallelIndependent(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			mu := &new(padded).mu
			for pb.Next() {
				mu.Lock()
				mu.Unlock()
			}
		})
	}, func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			mu := &new(padded).mu
			for pb.Next() {
				lockdepimpl.Lock(mu, &benchSites[8])
				lockdepimpl.Unlock(mu, &benchSites[9])
			}
		})
	})
}

// BenchmarkLockUnlockPtr is a site that reaches its mutex through a
// pointer (a helper's parameter): its class is looked up by address.
func BenchmarkLockUnlockPtr(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		mu := new(sync.Mutex)
		for b.Loop() {
			mu.Lock()
			mu.Unlock()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		mu := lockdepimpl.Ref(new(sync.Mutex), &benchSites[12])
		for b.Loop() {
			lockdepimpl.Ptr(mu, &benchSites[10]).Lock()
			lockdepimpl.Ptr(mu, &benchSites[11]).Unlock()
		}
	})
}

// Waits that are not locks, as rewritten code makes them: sites of a
// WaitGroup, a Once and a Cond, and of the lock held around them.
var waitBenchSites = [...]lockdepimpl.Site{
	{Class: "wait: example.com/m.server.wg", File: "w.go", Line: 1},   // 0: wg.Done()
	{Class: "wait: example.com/m.server.wg", File: "w.go", Line: 2},   // 1: wg.Wait()
	{Class: "example.com/m.server.mu", File: "w.go", Line: 3},         // 2: Lock
	{Class: "example.com/m.server.mu", File: "w.go", Line: 4},         // 3: Unlock
	{Class: "once: example.com/m.server.once", File: "w.go", Line: 5}, // 4: once.Do(f)
	{Class: "cond: example.com/m.server.cond", File: "w.go", Line: 6}, // 5: cond.Signal()
	{Class: "wait: example.com/m.stop.wg", File: "w.go", Line: 7},     // 6: wg.Wait() under mu
}

// BenchmarkAddDoneWait is a handler's work: lock, unlock, then Done, and
// the goroutine's own Wait (after its own Done: the signalled shortcut).
func BenchmarkAddDoneWait(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			mu.Lock()
			mu.Unlock()
			wg.Done()
			wg.Wait()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			lockdepimpl.Lock(&mu, &waitBenchSites[2])
			lockdepimpl.Unlock(&mu, &waitBenchSites[3])
			lockdepimpl.WGDone(&wg, &waitBenchSites[0])
			lockdepimpl.WGWait(&wg, &waitBenchSites[1])
		}
	})
}

// BenchmarkDeferredDone is a handler that defers its Done and takes a
// lock, as rewritten code runs it (the deferred Done begins a region of
// the WaitGroup's event), then the Wait.
func BenchmarkDeferredDone(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		handle := func() {
			defer wg.Done()
			mu.Lock()
			mu.Unlock()
		}
		for b.Loop() {
			wg.Add(1)
			handle()
			wg.Wait()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		handle := func() {
			defer lockdepimpl.WGDeferredDone(lockdepimpl.WGBegin(&wg, &waitBenchSites[0]), &waitBenchSites[0])
			lockdepimpl.Lock(&mu, &waitBenchSites[2])
			lockdepimpl.Unlock(&mu, &waitBenchSites[3])
		}
		for b.Loop() {
			wg.Add(1)
			handle()
			lockdepimpl.WGWait(&wg, &waitBenchSites[1])
		}
	})
}

// BenchmarkWaitUnderLock is a Wait, which returns at once, under a lock,
// of a goroutine that never signalled the WaitGroup: validated as an
// acquisition.
func BenchmarkWaitUnderLock(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for b.Loop() {
			mu.Lock()
			wg.Wait()
			mu.Unlock()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for b.Loop() {
			lockdepimpl.Lock(&mu, &waitBenchSites[2])
			lockdepimpl.WGWait(&wg, &waitBenchSites[6])
			lockdepimpl.Unlock(&mu, &waitBenchSites[3])
		}
	})
}

// BenchmarkOnceDone is a Do that is done already, under nothing.
func BenchmarkOnceDone(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var once sync.Once
		f := func() {}
		for b.Loop() {
			once.Do(f)
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var once sync.Once
		f := func() {}
		for b.Loop() {
			lockdepimpl.OnceDo(&once, &waitBenchSites[4], f)
		}
	})
}

// BenchmarkCondSignal is a Signal, with no waiter, under the Cond's lock.
func BenchmarkCondSignal(b *testing.B) {
	modes(b, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		c := sync.NewCond(&mu)
		for b.Loop() {
			mu.Lock()
			c.Signal()
			mu.Unlock()
		}
	}, func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		c := sync.NewCond(lockdepimpl.Locker(&mu, &waitBenchSites[2]))
		for b.Loop() {
			lockdepimpl.Lock(&mu, &waitBenchSites[2])
			lockdepimpl.CondSignal(c, &waitBenchSites[5])
			lockdepimpl.Unlock(&mu, &waitBenchSites[3])
		}
	})
}
