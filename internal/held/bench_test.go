package held

import (
	"testing"

	"github.com/golockdep/lockdep/internal/graph"
)

// The steps of the validator's fast path that this package owns, each on
// its own; bench/README.md adds them up against the whole.

var sinkID int64

// BenchmarkID: the goroutine's ID, from the verified fast source.
func BenchmarkID(b *testing.B) {
	tab := NewTable(1<<14, 48)
	for b.Loop() {
		sinkID = tab.ID()
	}
}

// BenchmarkLookup: the probe of the table for the goroutine's held stack.
func BenchmarkLookup(b *testing.B) {
	tab := NewTable(1<<14, 48)
	id := tab.ID()
	tab.Get(id)
	var st *Stack
	for b.Loop() {
		st = tab.Lookup(id)
	}
	_ = st
}

// BenchmarkPushPop: an entry pushed, marked held and popped, as a Lock and
// its Unlock do.
func BenchmarkPushPop(b *testing.B) {
	tab := NewTable(1<<14, 48)
	st := tab.Get(tab.ID())
	a := graph.Acq{Class: 1, Addr: 0x100}
	key := graph.ChainKey(0, a)
	for b.Loop() {
		st.Push(a, key, Site{PC: 1})
		st.Held()
		st.Remove(st.Find(a.Addr, a.Mode), Site{PC: 2})
	}
}
