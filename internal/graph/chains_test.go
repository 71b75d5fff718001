package graph

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
)

func TestChainsInsertLookup(t *testing.T) {
	t.Parallel()
	c := NewChains(1 << 20)
	const n = 5000 // several doublings of the initial 1024 slots
	key := func(i int) uint64 { return ChainKey(0, Acq{Class: ClassID(i + 1)}) }
	for i := range n {
		if err := c.Insert(key(i), uint64(i)+1); err != nil {
			t.Fatal(err)
		}
		if c.Len() != i+1 {
			t.Fatalf("Len = %d after %d inserts", c.Len(), i+1)
		}
	}
	if got := len(c.tab.Load().keys); got != 16384 {
		t.Errorf("table size %d for %d keys, want 16384 (at most half full)", got, n)
	}
	for i := range n {
		if v, ok := c.Lookup(key(i)); !ok || v != uint64(i)+1 {
			t.Fatalf("Lookup(key %d) = %d, %v; want %d, true", i, v, ok, i+1)
		}
	}
	// Insert of a present key keeps the first value.
	if err := c.Insert(key(7), 999); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Lookup(key(7)); v != 8 || c.Len() != n {
		t.Errorf("after re-insert: Lookup = %d, Len = %d; want 8, %d", v, c.Len(), n)
	}
	for i := n; i < n+100; i++ {
		if v, ok := c.Lookup(key(i)); ok {
			t.Errorf("Lookup(absent key %d) = %d, true", i, v)
		}
	}
	// Keys that collide on their home slot are all found.
	c2 := NewChains(100)
	for k := uint64(1); k <= 5; k++ {
		if err := c2.Insert(k<<20|5, k); err != nil {
			t.Fatal(err)
		}
	}
	for k := uint64(1); k <= 5; k++ {
		if v, ok := c2.Lookup(k<<20 | 5); !ok || v != k {
			t.Errorf("colliding key %d: Lookup = %d, %v", k, v, ok)
		}
	}
	if _, ok := c2.Lookup(6<<20 | 5); ok {
		t.Error("absent colliding key found")
	}
}

// TestChainsConcurrentLookup: Lookup runs lock-free while a single writer
// inserts and the table doubles several times. Run with -race.
func TestChainsConcurrentLookup(t *testing.T) {
	t.Parallel()
	const n = 20000
	c := NewChains(n)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = ChainKey(uint64(i), Acq{Class: 1})
	}
	var published atomic.Int64 // keys[:published] are inserted
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for r := range 4 {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(r), 1))
			for {
				p := published.Load()
				if p > 0 {
					i := rnd.Int64N(p)
					if v, ok := c.Lookup(keys[i]); !ok || v != uint64(i) {
						errs <- fmt.Sprintf("Lookup(keys[%d]) = %d, %v after it was published", i, v, ok)
						return
					}
				}
				if p == n {
					return
				}
			}
		})
	}
	for i, k := range keys {
		if err := c.Insert(k, uint64(i)); err != nil {
			t.Fatal(err)
		}
		published.Store(int64(i + 1))
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if c.Len() != n {
		t.Errorf("Len = %d, want %d", c.Len(), n)
	}
}

func TestChainKey(t *testing.T) {
	t.Parallel()
	a := Acq{Class: 1}
	b := Acq{Class: 2}
	tests := []struct {
		name string
		x, y []Acq
	}{
		{"order", []Acq{a, b}, []Acq{b, a}},
		{"mode", []Acq{a, b}, []Acq{a, {Class: 2, Mode: Read}}},
		{"try", []Acq{a, b}, []Acq{a, {Class: 2, Try: true}}},
		{"length", []Acq{a}, []Acq{a, a}},
		{"prefix", []Acq{a, b}, []Acq{b}},
	}
	chain := func(as []Acq) uint64 {
		k := uint64(0)
		for _, x := range as {
			k = ChainKey(k, x)
		}
		return k
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if kx, ky := chain(tc.x), chain(tc.y); kx == ky {
				t.Errorf("%v and %v both have key %#x", tc.x, tc.y, kx)
			}
		})
	}
	// The address is not part of the key: chains are of classes.
	if ChainKey(0, Acq{Class: 3, Addr: 1}) != ChainKey(0, Acq{Class: 3, Addr: 2}) {
		t.Error("ChainKey depends on the address")
	}
	// Never 0, even for the one input the mix maps to 0: prev ^ bits +
	// golden ratio == 0 (mod 2^64).
	var golden uint64 = 0x9e3779b97f4a7c15
	x := Acq{Class: 5, Mode: Read, Try: true}
	bits := uint64(5)<<3 ^ 1 ^ 1<<2
	prev := -golden ^ bits
	if k := ChainKey(prev, x); k != 1 {
		t.Errorf("ChainKey(%#x, %v) = %#x, want 1 (the mix of 0, remapped)", prev, x, k)
	}
	// A sample of keys: none is 0, and no collisions among a few
	// thousand chains.
	seen := make(map[uint64]bool)
	for c := ClassID(1); c <= 64; c++ {
		for m := Mode(0); m <= Read; m++ {
			k := uint64(0)
			for d := range 20 {
				k = ChainKey(k, Acq{Class: c + ClassID(d), Mode: m})
				if k == 0 || seen[k] {
					t.Fatalf("key %#x (0 or repeated) at class %d mode %d depth %d", k, c, m, d)
				}
				seen[k] = true
			}
		}
	}
}

// buildDAG returns a graph of n classes with about 3 edges per class, each
// to a higher class, built in the order that keeps every search short.
func buildDAG(tb testing.TB, n, extra int) *Graph {
	g := New(testLimits)
	for i := range n + extra {
		if _, err := g.AddClass(fmt.Sprint("c", i)); err != nil {
			tb.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(42, 42))
	for from := 1; from < n; from++ {
		for range 3 {
			// Mostly near neighbours, sometimes far: a long, bushy DAG.
			to := from + 1 + r.IntN(min(n-from, 50))
			if r.IntN(4) == 0 {
				to = from + 1 + r.IntN(n-from)
			}
			res, err := g.Validate([]Acq{{Class: ClassID(from)}}, Acq{Class: ClassID(to)}, 1, nil)
			if err != nil || len(res.Cycles) > 0 {
				tb.Fatalf("building the DAG: %v, %d cycles", err, len(res.Cycles))
			}
		}
	}
	return g
}

func TestBenchmarkGraphShape(t *testing.T) {
	t.Parallel()
	const n = 10000
	g := buildDAG(t, n, 1)
	if e := g.NumEdges(); e < 29000 || e > 30000 {
		t.Errorf("%d edges, want about 30,000", e)
	}
	// The benchmark's new edges search from low classes, which reach
	// most of the graph.
	adj := make(map[ClassID][]ClassID)
	g.Edges(func(e *Edge) { adj[e.From] = append(adj[e.From], e.To) })
	seen := map[ClassID]bool{100: true}
	for q := []ClassID{100}; len(q) > 0; q = q[1:] {
		for _, to := range adj[q[0]] {
			if !seen[to] {
				seen[to] = true
				q = append(q, to)
			}
		}
	}
	reach := len(seen)
	if reach < n*9/10 {
		t.Errorf("class 100 reaches %d classes, want most of %d", reach, n)
	}
	res, err := g.Validate([]Acq{{Class: n + 1}}, Acq{Class: 1}, 1, nil)
	if err != nil || len(res.Deps) != 1 || !res.Deps[0].Added || len(res.Cycles) != 0 {
		t.Errorf("new edge into the DAG: %v, %+v", err, res)
	}
}

// BenchmarkValidateNewEdge10k: in a DAG of 10,000 classes and ~30,000
// edges, each iteration adds one new edge whose cycle search traverses
// most of the graph and finds nothing. Budget: well under 1 ms.
func BenchmarkValidateNewEdge10k(b *testing.B) {
	const (
		n       = 10000
		sources = 100 // fresh classes with no inbound edge
		targets = 100 // classes 1..targets, each reaching most of the DAG
	)
	g := buildDAG(b, n, sources)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if i == sources*targets {
			b.StopTimer()
			g, i = buildDAG(b, n, sources), 0
			b.StartTimer()
		}
		from := ClassID(n + 1 + i/targets)
		to := ClassID(1 + i%targets)
		i++
		res, err := g.Validate([]Acq{{Class: from}}, Acq{Class: to}, 1, nil)
		if err != nil || len(res.Deps) != 1 || !res.Deps[0].Added || len(res.Cycles) != 0 {
			b.Fatalf("%v, %+v", err, res)
		}
	}
}

// The chain steps of the validator's fast path, each on its own;
// bench/README.md adds them up against the whole.

var sinkKey uint64

// BenchmarkChainKey: extending a held sequence's key by one acquisition.
func BenchmarkChainKey(b *testing.B) {
	a := Acq{Class: 7, Addr: 0x100}
	k := uint64(12345)
	for b.Loop() {
		sinkKey = ChainKey(k, a)
	}
}

// BenchmarkChainsLookup: the lock-free probe of a cache of 1,000 chains.
func BenchmarkChainsLookup(b *testing.B) {
	c := NewChains(1 << 20)
	for i := uint64(1); i <= 1000; i++ {
		if err := c.Insert(ChainKey(i, Acq{Class: 1}), i); err != nil {
			b.Fatal(err)
		}
	}
	key := ChainKey(500, Acq{Class: 1})
	for b.Loop() {
		sinkKey, _ = c.Lookup(key)
	}
}
