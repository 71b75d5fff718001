package lockdep_test

import (
	"fmt"

	"github.com/golockdep/lockdep"
)

func ExampleMutex() {
	lockdep.Configure(lockdep.Output(nil), lockdep.OnReport(func(r lockdep.Report) {
		fmt.Println(r.Kind, r.Lock.Class)
	}))
	defer lockdep.Configure(lockdep.OnReport(nil))

	var mu lockdep.Mutex // the zero value is ready; SetClass is optional
	mu.SetClass(lockdep.NewClass("example.counter"))
	mu.Lock()
	mu.AssertHeld()
	mu.Unlock()
	mu.AssertHeld() // not held any more: a finding
	// Output:
	// assertion example.counter
}

func ExampleRWMutex_RLock() {
	lockdep.Configure(lockdep.Output(nil), lockdep.OnReport(func(r lockdep.Report) {
		fmt.Printf("%v: %s{%s} while holding %s{%s}\n", r.Kind, r.Lock.Class, r.Lock.Mode, r.Holding.Class, r.Holding.Mode)
	}))
	defer lockdep.Configure(lockdep.OnReport(nil))

	var cache lockdep.RWMutex
	cache.SetClass(lockdep.NewClass("example.cache"))
	cache.RLock()
	// Taking the read lock again would deadlock as soon as a writer
	// queued in between: Go's readers are not recursive. MightRLock
	// checks that without blocking.
	cache.MightRLock()
	cache.RUnlock()
	// Output:
	// recursive: example.cache{R} while holding example.cache{R}
}

func ExampleClass() {
	lockdep.Configure(lockdep.Output(nil), lockdep.OnReport(func(r lockdep.Report) {
		fmt.Println(r.Kind, r.Detail)
		fmt.Println(r.Advice)
	}))
	defer lockdep.Configure(lockdep.OnReport(nil))

	// One class for every node of a tree: locking a child under its
	// parent is nesting within the class, declared with LockNested.
	node := lockdep.NewClass("example.Node.mu")
	var parent, child lockdep.Mutex
	parent.SetClass(node)
	child.SetClass(node)

	parent.Lock()
	child.LockNested(1)
	child.Unlock()
	parent.Unlock()
	fmt.Println("nested: fine")

	parent.Lock()
	child.Lock() // same class, no nesting declared
	child.Unlock()
	parent.Unlock()
	// Output:
	// nested: fine
	// recursive Both locks are of the same class: two goroutines taking two of them in opposite orders deadlock. This run did not take these two instances in the opposite order.
	// May be due to missing lock nesting notation: if the nesting is deliberate, take the inner lock with LockNested, or, if locks of this class nest parent to child (a tree), give them a class made with NewTreeClass.
}

func ExampleReport() {
	lockdep.Configure(lockdep.Output(nil), lockdep.OnReport(func(r lockdep.Report) {
		fmt.Println(r.Kind)
		for i, d := range r.Chain {
			fmt.Printf("#%d %s{%s} after %s\n", len(r.Chain)-1-i, d.Class, d.Mode, d.After)
		}
	}))
	defer lockdep.Configure(lockdep.OnReport(nil))

	a, b, c := new(lockdep.Mutex), new(lockdep.Mutex), new(lockdep.Mutex)
	a.SetClass(lockdep.NewClass("A"))
	b.SetClass(lockdep.NewClass("B"))
	c.SetClass(lockdep.NewClass("C"))
	for _, pair := range [][2]*lockdep.Mutex{{a, b}, {b, c}, {c, a}} {
		pair[0].Lock()
		pair[1].Lock()
		pair[1].Unlock()
		pair[0].Unlock()
	}
	// Output:
	// circular
	// #2 C{W} after B
	// #1 B{W} after A
	// #0 A{W} after C
}
