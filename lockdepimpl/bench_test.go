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
