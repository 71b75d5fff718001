package bench

import (
	"sync"
	"testing"

	"github.com/golockdep/lockdep/lockdepimpl"
)

// The cost of a go statement that lockdep test rewrote so that the
// validator learns when its goroutine ends, against the plain statement,
// both called directly. A goroutine that ends holding nothing costs the
// validator a lookup of its held stack (and, if it ever took a lock, the
// release of its slot in the table of held stacks).

// goSites are the static sites of rewritten go statements.
var goSites = [...]lockdepimpl.Site{{File: "bench.go", Line: 1}, {File: "bench.go", Line: 2}}

type job struct{ wg *sync.WaitGroup }

func (j *job) run() { j.wg.Done() }

// BenchmarkGo: go j.run(), a method value without arguments, which the
// rewrite wraps: go lockdepimpl.Go(j.run, &site).
func BenchmarkGo(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		j := &job{wg: &wg}
		for b.Loop() {
			wg.Add(1)
			go j.run()
		}
		wg.Wait()
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		j := &job{wg: &wg}
		for b.Loop() {
			wg.Add(1)
			go lockdepimpl.Go(j.run, &goSites[0])
		}
		wg.Wait()
	})
}

// BenchmarkGoLiteral: go func() { ... }(), whose body the rewrite makes
// defer lockdepimpl.Exited(&site) first.
func BenchmarkGoLiteral(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			go func() {
				wg.Done()
			}()
		}
		wg.Wait()
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			go func() {
				defer lockdepimpl.Exited(&goSites[1])
				wg.Done()
			}()
		}
		wg.Wait()
	})
}

// BenchmarkGoLocking: a goroutine that takes a lock and releases it, as
// the rewrite leaves it; its end then gives up its slot of the table.
// Both sides lock through lockdep: only the go statement differs.
func BenchmarkGoLocking(b *testing.B) {
	var mu sync.Mutex
	site := lockdepimpl.Site{Class: "bench.goLocking", File: "bench.go", Line: 3}
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			go func() {
				lockdepimpl.Lock(&mu, &site)
				lockdepimpl.Unlock(&mu, &site)
				wg.Done()
			}()
		}
		wg.Wait()
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			go func() {
				defer lockdepimpl.Exited(&goSites[1])
				lockdepimpl.Lock(&mu, &site)
				lockdepimpl.Unlock(&mu, &site)
				wg.Done()
			}()
		}
		wg.Wait()
	})
}
