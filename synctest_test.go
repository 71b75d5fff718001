package lockdep_test

import (
	"runtime"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/google/go-cmp/cmp"
)

// TestSynctestBubble: locks used by goroutines in a testing/synctest
// bubble, with fake time and blocking, are validated like any others.
func TestSynctestBubble(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	a, b := classed("bubble.A"), classed("bubble.B")
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		wg.Go(func() {
			a.Lock()
			time.Sleep(time.Second) // fake time: the bubble advances it
			b.Lock()
			b.Unlock()
			a.Unlock()
		})
		wg.Go(func() {
			time.Sleep(2 * time.Second) // after the first goroutine is done
			b.Lock()
			a.Lock()
			a.Unlock()
			b.Unlock()
		})
		wg.Wait()
		cond := sync.NewCond(a)
		ready := false
		wg.Go(func() {
			a.Lock()
			for !ready {
				cond.Wait()
			}
			a.Unlock()
		})
		synctest.Wait()
		a.Lock()
		ready = true
		cond.Broadcast()
		a.Unlock()
		wg.Wait()
	})
	if diff := cmp.Diff([]finding{circ("bubble.B", "bubble.A")}, findings()); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestNoStrongReferences: a lock that was used, and the struct around it,
// are collected once unreachable; the validator keeps only addresses.
func TestNoStrongReferences(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	type holder struct {
		mu   lockdep.RWMutex
		data [1 << 10]byte
	}
	collected := make(chan struct{})
	func() {
		h := new(holder)
		h.mu.Lock()
		h.mu.Unlock()
		h.mu.RLock()
		h.mu.RUnlock()
		runtime.AddCleanup(h, func(ch chan struct{}) { close(ch) }, collected)
	}()
	for range 20 {
		runtime.GC()
		select {
		case <-collected:
			return
		default:
		}
		runtime.Gosched()
	}
	t.Fatal("a used lock was never collected")
}
