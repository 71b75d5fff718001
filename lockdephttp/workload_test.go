package lockdephttp_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/validate"
)

// The classes of the shop workload, named as the lockdep command names
// the locks of instrumented code.
const (
	storeMu  = "example.com/shop/store.Store.mu"
	itemMu   = "example.com/shop/store.Item.mu"
	cacheMu  = "example.com/shop/cache.Cache.mu"
	auditMu  = "example.com/shop/audit.Log.mu"
	workerMu = "example.com/shop/worker.Worker.mu"
)

// contended is how many acquisitions of cacheMu the shop workload makes
// wait.
const contended = 3

func classed(name string) *lockdep.Mutex {
	m := new(lockdep.Mutex)
	m.SetClass(lockdep.NewClass(name))
	return m
}

// nest takes outer, then inner, and lets both go.
func nest(outer, inner sync.Locker) {
	outer.Lock()
	inner.Lock()
	inner.Unlock()
	outer.Unlock()
}

// shop runs, on the validator Fresh installed, a workload with two
// findings and known contention: a cycle of three classes in three
// packages (store -> cache -> audit -> store), two items of one class
// nested without a declared nesting, and exactly contended acquisitions
// of cacheMu that wait, each by a worker holding its own lock.
func shop(t *testing.T) {
	t.Helper()
	store, cache, audit := classed(storeMu), classed(cacheMu), classed(auditMu)
	nest(store, cache)
	nest(cache, audit)
	nest(audit, store)

	items := lockdep.NewClass(itemMu)
	a, b := new(lockdep.RWMutex), new(lockdep.RWMutex)
	a.SetClass(items)
	b.SetClass(items)
	store.Lock()
	a.RLock()
	a.RUnlock()
	store.Unlock()
	nest(a, b)

	workers := lockdep.NewClass(workerMu)
	cache.Lock()
	var done sync.WaitGroup
	for range contended {
		w := new(lockdep.Mutex)
		w.SetClass(workers)
		done.Go(func() {
			w.Lock()
			cache.Lock()
			cache.Unlock()
			w.Unlock()
		})
	}
	waitForWaiters(t, workerMu, contended)
	cache.Unlock()
	done.Wait()
}

// waitForWaiters waits until n goroutines that hold a lock of class
// holding are blocked on a lock, as the validator's held-lock dump shows
// them: the test needs no sleep to order its goroutines.
func waitForWaiters(t *testing.T, holding string, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		waiting := 0
		for _, g := range validate.Current().HeldLocks() {
			if strings.HasPrefix(g.State, "sync.Mutex.Lock") && len(g.HeldLocks) > 0 && g.HeldLocks[0].Class == holding {
				waiting++
			}
		}
		if waiting >= n {
			return
		}
	}
	t.Fatalf("%d goroutines holding %s never all blocked", n, holding)
}
