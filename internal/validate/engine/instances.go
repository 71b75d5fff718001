package engine

import (
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"unsafe"
	"weak"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
)

// Classes are what the validator orders, but some questions are about
// instances: whether two locks of one class were ever taken the other way
// round (a tree's order, and the recursive-locking report of two
// instances), and whether a cycle was taken on the very same locks. The
// validator keeps the order of instances it saw, on its slow path:
//
//   - pairs: x held while y of the same class was taken (a nesting);
//   - per dependency, the first few (x, y) instances that made it, and
//     the exclusive locks held below x every time (its guards).
//
// A pair keeps the lock taken second as a weak pointer: once that lock is
// unreachable, a new lock at its address is another, and the pair is not
// believed any more. (The lock held first is known by its address only:
// it was acquired earlier, and the validator keeps no pointer to what a
// goroutine holds.)

// pair is where a goroutine took one lock while holding another.
type pair struct {
	second weak.Pointer[byte]
	gid    int64
	trace  uint64
}

// live reports whether the pair is about the lock now at second.
func (p *pair) live(second uintptr) bool { return p.secondAddr() == second }

// maxPairs bounds the nestings of instances the validator remembers.
const maxPairs = 1 << 18

// pairs holds the nestings of two instances of one class, by address,
// held one first. Lookups are lock-free (a tree's fast path checks its
// order there); adds come from the slow path.
type pairs struct {
	m    sync.Map // [2]uintptr → *pair
	n    atomic.Int64
	full atomic.Bool
	log  io.Writer // where the notice that it is full goes
}

// get returns the live pair of first held while second was taken, or nil.
func (ps *pairs) get(first, second uintptr) *pair {
	x, ok := ps.m.Load([2]uintptr{first, second})
	if !ok {
		return nil
	}
	if p := x.(*pair); p.live(second) {
		return p
	}
	return nil
}

// add records that first was held while second (the lock lk) was taken.
func (ps *pairs) add(first uintptr, lk unsafe.Pointer, gid int64, trace uint64) {
	if ps.n.Load() >= maxPairs {
		if !ps.full.Swap(true) {
			fmt.Fprintf(ps.log, "lockdep: more than %d nestings of two locks of one class; new ones are not remembered, and their instances' order is not checked\n", maxPairs)
		}
		return
	}
	if _, loaded := ps.m.Swap([2]uintptr{first, uintptr(lk)}, &pair{second: weak.Make((*byte)(lk)), gid: gid, trace: trace}); !loaded {
		ps.n.Add(1)
	}
}

// addPair records the nesting p of first, when the run did not take the
// two in one goroutine but the instances of a cycle chain from one to
// the other (treeNesting).
func (ps *pairs) addPair(first uintptr, p pair) {
	if ps.n.Load() >= maxPairs || p.secondAddr() == 0 {
		return
	}
	if _, loaded := ps.m.LoadOrStore([2]uintptr{first, p.secondAddr()}, &p); !loaded {
		ps.n.Add(1)
	}
}

// ordered reports whether the acquisition a of a tree class, on the fast
// path, nests under the most recent lock of its class that st holds in an
// order already seen: false sends it to the slow path, which checks it.
func (v *Engine) ordered(st *held.Stack, a graph.Acq) bool {
	for i := len(st.Entries) - 1; i >= 0; i-- {
		if e := &st.Entries[i]; e.Class == a.Class {
			return v.pairs.get(e.Addr, a.Addr) != nil
		}
	}
	return false
}

// treeChain marks, in the value the chain cache keeps for a chain, a
// chain that ends in a tree's nesting: on a hit, the instances' order is
// still checked (ordered). The rest of the value is the chain's trace.
const treeChain = 1 << 63

// edgeInstances is how many (x, y) instances a dependency keeps.
const edgeInstances = 4

// maxGuards bounds the guards a dependency keeps.
const maxGuards = 8

// instance is one pair of locks that made a dependency.
type instance struct {
	first uintptr
	pair
}

// guard is an exclusive lock held, below the lock a dependency comes from,
// when the dependency was made.
type guard struct {
	class graph.ClassID
	addr  uintptr
}

// edgeInfo is what the validator knows of a dependency's instances.
type edgeInfo struct {
	instances []instance
	guards    []guard // held every time the dependency was made; nil: none
}

// noteDep records the instances and guards of dependency d, made by the
// acquisition of lk (of a) while st is held; it reports whether d lost a
// guard it had. Called with mu held.
func (v *Engine) noteDep(st *held.Stack, d graph.Dep, a graph.Acq, lk unsafe.Pointer, gid int64, trace func() uint64) (lost bool) {
	info := v.edgeInfos[d.Edge]
	from := st.Entries[d.Held]
	var gs []guard
	var classes []graph.ClassID
	for _, e := range st.Entries[:d.Held] {
		if e.Mode == Write && e.Class != d.Edge.From && e.Class != d.Edge.To && !v.g.Class(e.Class).Shared && len(gs) < maxGuards {
			gs = append(gs, guard{e.Class, e.Addr})
			classes = append(classes, e.Class)
		}
	}
	v.g.NoteGuards(d.Edge, classes)
	if info == nil {
		info = &edgeInfo{guards: gs}
		v.edgeInfos[d.Edge] = info
	} else if n := len(info.guards); n > 0 {
		info.guards = slices.DeleteFunc(info.guards, func(g guard) bool { return !slices.Contains(gs, g) })
		lost = len(info.guards) < n
	}
	if len(info.instances) >= edgeInstances || a.Addr == 0 {
		return lost
	}
	for _, in := range info.instances {
		if in.first == from.Addr && in.live(a.Addr) {
			return lost
		}
	}
	info.instances = append(info.instances, instance{first: from.Addr, pair: pair{second: weak.Make((*byte)(lk)), gid: gid, trace: trace()}})
	return lost
}

// around returns the edges of a cycle, given in the order reports print
// them (graph.Cycle.Edges: the path in reverse, then the closing edge), in
// the order they go round: each one's To is the next one's From.
func around(edges []*graph.Edge) []*graph.Edge {
	out := make([]*graph.Edge, 0, len(edges))
	if len(edges) > 0 {
		out = append(out, edges[len(edges)-1])
		for i := len(edges) - 2; i >= 0; i-- {
			out = append(out, edges[i])
		}
	}
	return out
}

// proven reports whether the cycle of edges (as Cycle.Edges gives them)
// was taken on the very same locks: instances that made its dependencies
// chain around it. Called with mu held.
func (v *Engine) proven(edges []*graph.Edge) bool {
	return v.instanceChain(around(edges), func(start uintptr, last *instance) bool { return last.secondAddr() == start })
}

// treeNesting returns, when the cycle of edges (as Cycle.Edges gives
// them) is a nesting of a tree class that no one goroutine walked, the
// classes of that nesting, tree class first and last, and the instances
// it nests: the lock of the class held first (first), and the pair whose
// second lock is the other (last). chain is nil otherwise. The cycle is
// such a nesting when its dependencies' instances chain from one lock of
// the tree class, round the cycle, to another lock of that class (child
// T1, its group G1, then the parent T2, each half taken by another
// goroutine): the tree's order is what matters then, not the cycle's.
// Called with mu held.
func (v *Engine) treeNesting(edges []*graph.Edge) (chain []graph.ClassID, first uintptr, last *instance) {
	return v.nestingOf(edges, func(c graph.ClassID) bool { return v.g.Class(c).Tree })
}

// nestingOf is treeNesting for the classes of which of reports true.
// Called with mu held.
func (v *Engine) nestingOf(edges []*graph.Edge, of func(graph.ClassID) bool) (chain []graph.ClassID, first uintptr, last *instance) {
	edges = around(edges)
	for i, e := range edges {
		if !of(e.From) {
			continue
		}
		from := append(slices.Clone(edges[i:]), edges[:i]...)
		if v.instanceChain(from, func(start uintptr, in *instance) bool {
			if in.secondAddr() == start {
				return false
			}
			first, last = start, in
			return true
		}) {
			chain = make([]graph.ClassID, 0, len(from)+1)
			for _, e := range from {
				chain = append(chain, e.From)
			}
			return append(chain, e.From), first, last
		}
	}
	return nil, 0, nil
}

// instanceChain reports whether instances that made the dependencies of
// edges, in the order they go round a cycle, chain along it (each taken
// second is the next one held first) from a lock start to a last
// instance that match. Called with mu held.
func (v *Engine) instanceChain(edges []*graph.Edge, match func(start uintptr, last *instance) bool) bool {
	var walk func(i int, start, at uintptr) bool
	walk = func(i int, start, at uintptr) bool {
		info := v.edgeInfos[edges[i]]
		if info == nil {
			return false
		}
		for j := range info.instances {
			in := &info.instances[j]
			y := in.secondAddr()
			if y == 0 || i > 0 && in.first != at {
				continue
			}
			s := start
			if i == 0 {
				s = in.first
			}
			if i == len(edges)-1 && match(s, in) || i < len(edges)-1 && walk(i+1, s, y) {
				return true
			}
		}
		return false
	}
	return len(edges) > 0 && walk(0, 0, 0)
}

// secondAddr returns the address of the lock taken second, while it is
// reachable (0 otherwise).
func (p *pair) secondAddr() uintptr { return uintptr(unsafe.Pointer(p.second.Value())) }

// guardOf returns the guard common to the cycle of edges (in any order): an exclusive
// lock that the goroutine which made each of its dependencies held below
// the lock the dependency comes from, every time. Two goroutines cannot
// be inside the cycle at once, so it cannot deadlock on its own. ok is
// false if there is none. Called with mu held.
func (v *Engine) guardOf(edges []*graph.Edge) (g guard, ok bool) {
	var common []guard
	for i, e := range edges {
		info := v.edgeInfos[e]
		if info == nil || len(info.guards) == 0 {
			return guard{}, false
		}
		if i == 0 {
			common = slices.Clone(info.guards)
			continue
		}
		common = slices.DeleteFunc(common, func(g guard) bool { return !slices.Contains(info.guards, g) })
	}
	if len(common) == 0 {
		return guard{}, false
	}
	return common[0], true
}

// noteNesting records the classes a goroutine holds from its entry i (a
// lock of class c) to its top, as it takes another lock of class c: a
// cycle of those classes is then that nesting (graph.Walked). Called with
// mu held.
func (v *Engine) noteNesting(st *held.Stack, i int, c graph.ClassID) {
	chain := make([]graph.ClassID, 0, len(st.Entries)-i+1)
	for _, e := range st.Entries[i:] {
		chain = append(chain, e.Class)
	}
	chain = append(chain, c)
	if v.addNesting(chain) {
		v.resolve() // a cycle that waits may be that nesting
	}
}

// addNesting records a nesting of classes, in the graph and the events
// file, and reports whether it is new. Called with mu held.
func (v *Engine) addNesting(chain []graph.ClassID) bool {
	if !v.g.AddNesting(chain) {
		return false
	}
	if v.rec != nil {
		ids := make([]uint32, len(chain))
		for i, id := range chain {
			ids[i] = uint32(id)
		}
		v.rec.Write(events.Event{Nesting: ids})
	}
	return true
}

// shownByNesting reports whether the cycle of edges (as Cycle.Edges gives
// them) is one that a single goroutine walked on its own between two
// locks of one class (graph.Walked): that nesting is what is reported
// (or, for a tree, checked), not the cycle. Called with mu held.
func (v *Engine) shownByNesting(edges []*graph.Edge) bool { return v.g.Walked(around(edges)) }
