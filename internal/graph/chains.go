package graph

import "sync/atomic"

// Chains is the chain cache: a set of 64-bit chain keys, each the hash of a
// held-lock sequence plus the lock being acquired. A key present means that
// exact sequence was validated and needs nothing more.
//
// Lookup is lock-free and may run concurrently with Insert; Insert calls
// are serialised by the caller. The table doubles as it fills and never
// shrinks.
type Chains struct {
	tab   atomic.Pointer[chainTable]
	n     int
	limit int
}

type chainTable struct {
	keys []atomic.Uint64 // 0 = empty
	vals []atomic.Uint64 // written before the key is published
	mask uint64
}

// NewChains returns an empty cache holding at most limit keys.
func NewChains(limit int) *Chains {
	c := &Chains{limit: limit}
	c.tab.Store(newChainTable(1024))
	return c
}

func newChainTable(size int) *chainTable {
	return &chainTable{keys: make([]atomic.Uint64, size), vals: make([]atomic.Uint64, size), mask: uint64(size - 1)}
}

// Lookup returns the value stored with key and whether key was inserted.
// Safe for concurrent use.
func (c *Chains) Lookup(key uint64) (uint64, bool) {
	t := c.tab.Load()
	for i := key & t.mask; ; i = (i + 1) & t.mask {
		switch t.keys[i].Load() {
		case key:
			return t.vals[i].Load(), true
		case 0:
			return 0, false
		}
	}
}

// Len returns the number of keys.
func (c *Chains) Len() int { return c.n }

// Insert adds key (which must not be 0) with a value. It returns a
// LimitError once the cache holds its limit.
func (c *Chains) Insert(key, val uint64) error {
	if key == 0 {
		return nil // never a chain key: ChainKey does not return 0
	}
	if _, ok := c.Lookup(key); ok {
		return nil
	}
	if c.n >= c.limit {
		return &LimitError{Bound: MaxChains, Limit: c.limit}
	}
	t := c.tab.Load()
	if 2*(c.n+1) > len(t.keys) {
		nt := newChainTable(2 * len(t.keys))
		for i := range t.keys {
			if k := t.keys[i].Load(); k != 0 {
				nt.put(k, t.vals[i].Load())
			}
		}
		t = nt
		c.tab.Store(nt)
	}
	t.put(key, val)
	c.n++
	return nil
}

func (t *chainTable) put(key, val uint64) {
	for i := key & t.mask; ; i = (i + 1) & t.mask {
		if t.keys[i].Load() == 0 {
			t.vals[i].Store(val)
			t.keys[i].Store(key)
			return
		}
	}
}

// ChainKey extends the key of a held-lock sequence by one acquisition. The
// empty sequence has key 0; the result is never 0.
func ChainKey(prev uint64, a Acq) uint64 {
	x := prev ^ (uint64(a.Class) << 3) ^ uint64(a.Mode) ^ b2u(a.Try)<<2
	// splitmix64 finaliser: cheap and well mixed.
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	x ^= x >> 31
	if x == 0 {
		x = 1
	}
	return x
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
