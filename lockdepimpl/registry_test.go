package lockdepimpl

import (
	"runtime"
	"sync"
	"testing"
	"unsafe"

	"github.com/golockdep/lockdep/internal/validate"
)

// block is of a size class that little else in the test binary uses, so
// that its spans hold few other objects.
type block struct {
	mu sync.Mutex
	_  [10232]byte
}

// newBlock returns a block among others that stay allocated (until
// release is called), so that its span is not freed with it: its slot is
// then handed out again by the next allocations of its size class.
func newBlock() (b *block, release func()) {
	var others []*block
	for i := 0; i < 8; i++ {
		if i == 4 {
			b = new(block)
		}
		others = append(others, new(block))
	}
	return b, func() { runtime.KeepAlive(others) }
}

// reuse frees b and allocates blocks until one lands where b was; nil if
// none did.
func reuse(b **block) *block {
	old := uintptr(unsafe.Pointer(*b))
	*b = nil
	runtime.GC()
	runtime.GC()
	var keep []*block
	for i := 0; i < 1000; i++ {
		nb := new(block)
		if uintptr(unsafe.Pointer(nb)) == old {
			return nb
		}
		keep = append(keep, nb) // not there: keep it from being handed out again
	}
	runtime.KeepAlive(keep)
	return nil
}

// TestRegistryFreedMemory registers the class of a mutex, frees it, and
// checks that a new mutex at the same address has no class, gets one of
// its own, and can be declared anew.
func TestRegistryFreedMemory(t *testing.T) {
	for _, tc := range []struct {
		name string
		reg  func(r *registry, p unsafe.Pointer)
	}{
		{"declared", func(r *registry, p unsafe.Pointer) { r.declare(p, newClass("old.declared")) }},
		{"own-class", func(r *registry, p unsafe.Pointer) { r.claim(p, newClass("old.own")) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r registry
			b, release := newBlock()
			defer release()
			tc.reg(&r, unsafe.Pointer(&b.mu))
			if r.lookup(unsafe.Pointer(&b.mu)) == nil {
				t.Fatal("no class registered")
			}
			nb := reuse(&b)
			if nb == nil {
				t.Skip("the freed memory was not reused")
			}
			p := unsafe.Pointer(&nb.mu)
			if c := r.lookup(p); c != nil {
				t.Fatalf("a new mutex at a freed one's address has its class %s", c.Name())
			}
			own := newClass("new.own")
			if c := r.claim(p, own); c != own {
				t.Fatalf("claim gave class %s, want new.own", c.Name())
			}
			decl := newClass("new.declared")
			r.declare(p, decl)
			if c := r.lookup(p); c != decl {
				t.Fatalf("class %s after a declaration, want new.declared", c.Name())
			}
			r.declare(p, newClass("new.other"))
			if c := r.lookup(p); c != decl {
				t.Fatalf("class %s after a second declaration, want the first, new.declared", c.Name())
			}
			runtime.KeepAlive(nb)
		})
	}
}

// TestRegistryHoldsNoMemory checks that a registered mutex, and the
// object around it, are collected.
func TestRegistryHoldsNoMemory(t *testing.T) {
	var r registry
	type obj struct {
		mu sync.Mutex
		n  int
	}
	o := &obj{}
	r.declare(unsafe.Pointer(&o.mu), newClass("obj.mu"))
	collected := make(chan bool, 1)
	runtime.AddCleanup(o, func(c chan bool) { c <- true }, collected)
	o = nil
	for i := 0; i < 100; i++ {
		runtime.GC()
		select {
		case <-collected:
			return
		default:
			runtime.Gosched()
		}
	}
	t.Fatal("a registered mutex was never collected")
}

// TestRegistrySweeps checks that entries of collected mutexes do not pile
// up.
func TestRegistrySweeps(t *testing.T) {
	var r registry
	c := newClass("c")
	const n = 100000
	for i := 0; i < n; i++ {
		r.declare(unsafe.Pointer(&new(block2).mu), c)
		if i%1000 == 999 {
			runtime.GC()
		}
	}
	if got, max := r.len(), regShards*2*minSweep; got > max {
		t.Errorf("%d entries after registering %d short-lived mutexes, want at most %d", got, n, max)
	}
}

// block2 is a small object with a pointer, so that it is not batched
// with others in one allocation.
type block2 struct {
	mu sync.Mutex
	p  *int
}

// TestRegistryConcurrent registers and looks up from many goroutines (run
// it with -race).
func TestRegistryConcurrent(t *testing.T) {
	var r registry
	ms := make([]sync.Mutex, 64)
	classes := make([]*validate.Class, len(ms))
	for i := range classes {
		classes[i] = newClass("c")
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := range ms {
				p := unsafe.Pointer(&ms[(i+g)%len(ms)])
				if g%2 == 0 {
					r.declare(p, classes[(i+g)%len(ms)])
				} else if c := r.lookup(p); c != nil && c != classes[(i+g)%len(ms)] {
					t.Errorf("mutex %d has another's class", (i+g)%len(ms))
				}
			}
		}(g)
	}
	wg.Wait()
	for i := range ms {
		if c := r.lookup(unsafe.Pointer(&ms[i])); c != classes[i] {
			t.Errorf("mutex %d: class %v", i, c)
		}
	}
}

// newClass returns a new class with the given name.
func newClass(name string) *validate.Class {
	c := new(validate.Class)
	c.Init(name, false)
	return c
}
