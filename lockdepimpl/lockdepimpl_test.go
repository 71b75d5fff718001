package lockdepimpl_test

import (
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/lockdepimpl"
)

// What rewritten code does: plain sync locks, static sites.
var sites = [...]lockdepimpl.Site{
	{Class: "example.com/m.Server.mu", File: "server.go", Line: 10},
	{Class: "example.com/m.Server.mu", File: "server.go", Line: 11},
	{Class: "example.com/m.cache", File: "server.go", Line: 20},
	{Class: "example.com/m.cache", File: "server.go", Line: 21},
}

type server struct{ mu sync.Mutex }

func TestSitesShareClassesByName(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	var cache sync.RWMutex
	a, b := new(server), new(server)
	// Server.mu then cache through one instance and site, cache then
	// Server.mu through another instance and other sites.
	lockdepimpl.Lock(&a.mu, &sites[0])
	lockdepimpl.RLock(&cache, &sites[2])
	lockdepimpl.RUnlock(&cache, &sites[2])
	lockdepimpl.Unlock(&a.mu, &sites[0])
	lockdepimpl.WLock(&cache, &sites[3])
	lockdepimpl.Lock(&b.mu, &sites[1])
	lockdepimpl.Unlock(&b.mu, &sites[1])
	lockdepimpl.WUnlock(&cache, &sites[3])
	fs := findings()
	if len(fs) != 1 || fs[0].Kind != lockdep.Circular {
		t.Fatalf("findings %v, want one circular", fs)
	}
	if got := fs[0].Lock.Class; got != "example.com/m.Server.mu" {
		t.Errorf("class %q", got)
	}
}

func TestLockerWrappersAndCond(t *testing.T) {
	var mu sync.Mutex
	l := lockdepimpl.Locker(&mu, &sites[0])
	cond := sync.NewCond(l)
	ready := false
	done := make(chan struct{})
	go func() {
		l.Lock()
		for !ready {
			cond.Wait()
		}
		l.Unlock()
		close(done)
	}()
	l.Lock()
	ready = true
	cond.Broadcast()
	l.Unlock()
	<-done
	var rw sync.RWMutex
	rl := lockdepimpl.RLocker(&rw, &sites[2])
	rl.Lock()
	if rw.TryLock() {
		t.Fatal("RLocker did not read-lock")
	}
	rl.Unlock()
	w := lockdepimpl.RWLocker(&rw, &sites[2])
	if !w.TryLock() {
		t.Fatal("TryLock failed on an unlocked RWMutex")
	}
	w.Unlock()
}
