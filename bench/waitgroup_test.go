package bench

import (
	"sync"
	"testing"

	"github.com/golockdep/lockdep/lockdepimpl"
)

// WaitGroups, as rewritten code validates them: wg.Done() and wg.Wait()
// become lockdepimpl.WGDone and WGWait (Add is not rewritten), called
// directly, against the plain methods (impl=sync). There is no
// go-deadlock counterpart.

// wgSites are what a rewritten file declares for a WaitGroup field's
// Done and Wait, and for a mutex taken in between.
var wgSites = [...]lockdepimpl.Site{
	{Class: "wait: example.com/m.server.wg", File: "w.go", Line: 1}, // wg.Done()
	{Class: "wait: example.com/m.server.wg", File: "w.go", Line: 2}, // wg.Wait()
	{Class: "example.com/m.server.mu", File: "w.go", Line: 3},       // mu.Lock()
	{Class: "example.com/m.server.mu", File: "w.go", Line: 4},       // mu.Unlock()
}

// BenchmarkAddDoneWait is Add, Done and Wait by one goroutine, with no
// lock around them: the WaitGroup operations alone.
func BenchmarkAddDoneWait(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			wg.Done()
			wg.Wait()
		}
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var wg sync.WaitGroup
		for b.Loop() {
			wg.Add(1)
			lockdepimpl.WGDone(&wg, &wgSites[0])
			lockdepimpl.WGWait(&wg, &wgSites[1])
		}
	})
}

// BenchmarkWaitForWorker is a worker's round: Add, another goroutine
// takes a lock and calls Done, and the first Waits for it. The worker is
// handed its jobs over a channel, in both columns alike.
func BenchmarkWaitForWorker(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		jobs := make(chan struct{})
		go func() {
			for range jobs {
				mu.Lock()
				mu.Unlock()
				wg.Done()
			}
		}()
		for b.Loop() {
			wg.Add(1)
			jobs <- struct{}{}
			wg.Wait()
		}
		close(jobs)
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		var mu sync.Mutex
		var wg sync.WaitGroup
		jobs := make(chan struct{})
		go func() {
			for range jobs {
				lockdepimpl.Lock(&mu, &wgSites[2])
				lockdepimpl.Unlock(&mu, &wgSites[3])
				lockdepimpl.WGDone(&wg, &wgSites[0])
			}
		}()
		for b.Loop() {
			wg.Add(1)
			jobs <- struct{}{}
			lockdepimpl.WGWait(&wg, &wgSites[1])
		}
		close(jobs)
	})
}
