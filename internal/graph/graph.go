// Package graph holds the lock-class dependency graph: classes, the edges
// "class A was held while class B was acquired", the cycle search run when an
// edge is new, and the chain cache that lets a lock sequence seen before skip
// validation altogether.
//
// A Graph is not safe for concurrent use, with one exception: Chains.Lookup
// may run concurrently with everything else. The caller serialises all other
// calls (the root package takes one lock, only on the miss path).
package graph

import "fmt"

// ClassID identifies a class; 0 is never a valid class.
type ClassID uint32

// Mode is how a lock is acquired.
type Mode uint8

const (
	Write Mode = iota // Lock
	Read              // RLock
)

// Acq describes one acquisition: held-stack entries and the new lock alike.
type Acq struct {
	Class ClassID
	Mode  Mode
	Try   bool    // acquired by TryLock / TryRLock
	Addr  uintptr // instance address; 0 for MightLock
}

// Limits bound the graph's memory. Zero fields take the defaults.
type Limits struct {
	Classes int
	Edges   int
	Chains  int
}

// Default limits.
const (
	DefaultClasses = 1 << 16
	DefaultEdges   = 1 << 20
	DefaultChains  = 1 << 20
)

// LimitError reports that a bound was hit. The validator stops using the
// graph then: dependencies recorded by the same acquisition before the
// bound was hit are kept.
type LimitError struct {
	What  string // "lock classes", "lock dependencies", "lock chains"
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("more than %d %s", e.Limit, e.What)
}

// Edge is a dependency: From was held while To was acquired.
type Edge struct {
	From, To ClassID
	// Write is set once To was acquired with Lock while From was held;
	// Read once with RLock, unless Write was set first (a write
	// acquisition subsumes a read one). An edge that is only Read blocks
	// only while To has a writer.
	Write, Read bool
	// Trace identifies the first acquisition that created the edge (in the
	// mode that first made it blocking, see Trace and ReadTrace) and
	// Goroutine the goroutine that did it. They are opaque to the graph.
	Trace, ReadTrace         uint64
	Goroutine, ReadGoroutine int64
	// Origin is an opaque tag of the producer (a process or package), kept
	// for merged graphs.
	Origin string
}

// Blocking reports whether acquiring To along this edge can block, given
// whether To's class is ever write-locked.
func (e *Edge) blocking(toWritten bool) bool { return e.Write || (e.Read && toWritten) }

// Class is one node.
type Class struct {
	ID   ClassID
	Name string
	// Written is set once the class is write-locked; WriteTrace and
	// WriteGoroutine record the first time.
	Written        bool
	WriteTrace     uint64
	WriteGoroutine int64

	out []*Edge
	in  []*Edge // read-only inbound edges, checked when the class is first written
}

// Graph is the class graph. The zero value is not usable; call New.
type Graph struct {
	limits  Limits
	classes []*Class // index = ClassID; [0] is nil
	edges   map[[2]ClassID]*Edge
	nEdges  int
	Chains  *Chains

	// search state, reused: visit[i] == gen marks class i visited.
	visit  []uint32
	parent []*Edge
	gen    uint32
	queue  []ClassID
}

// New returns an empty graph with the given limits.
func New(l Limits) *Graph {
	if l.Classes <= 0 {
		l.Classes = DefaultClasses
	}
	if l.Edges <= 0 {
		l.Edges = DefaultEdges
	}
	if l.Chains <= 0 {
		l.Chains = DefaultChains
	}
	return &Graph{
		limits:  l,
		classes: []*Class{nil},
		edges:   make(map[[2]ClassID]*Edge),
		Chains:  NewChains(l.Chains),
	}
}

// AddClass registers a class and returns its ID.
func (g *Graph) AddClass(name string) (ClassID, error) {
	if len(g.classes)-1 >= g.limits.Classes {
		return 0, &LimitError{What: "lock classes", Limit: g.limits.Classes}
	}
	id := ClassID(len(g.classes))
	g.classes = append(g.classes, &Class{ID: id, Name: name})
	return id, nil
}

// Class returns the class with the given ID, or nil.
func (g *Graph) Class(id ClassID) *Class {
	if int(id) >= len(g.classes) {
		return nil
	}
	return g.classes[id]
}

// NumClasses returns the number of classes.
func (g *Graph) NumClasses() int { return len(g.classes) - 1 }

// NumEdges returns the number of dependencies.
func (g *Graph) NumEdges() int { return g.nEdges }

// Edge returns the edge from→to, or nil.
func (g *Graph) Edge(from, to ClassID) *Edge { return g.edges[[2]ClassID{from, to}] }

// Edges calls f for every edge, in insertion order per source class.
func (g *Graph) Edges(f func(*Edge)) {
	for _, c := range g.classes[1:] {
		for _, e := range c.out {
			f(e)
		}
	}
}

// Cycle is a circular dependency. Path runs from the newly acquired class
// back to the held one: Path[0].From is the new lock and Path[len-1].To the
// held lock; New is the dependency held→new that closes the cycle.
type Cycle struct {
	New  *Edge
	Path []*Edge
}

// Classes returns the classes of the cycle, starting with the held lock
// followed by the new one.
func (c *Cycle) Classes() []ClassID {
	ids := []ClassID{c.New.From}
	for _, e := range c.Path {
		ids = append(ids, e.From)
	}
	return ids
}

// Recursion is an acquisition of a class the goroutine already holds.
type Recursion struct {
	Held  Acq  // the entry already held
	Index int  // its index in the held stack
	Same  bool // same instance: a certain self-deadlock
}

// Result is what Validate found.
type Result struct {
	Recursion *Recursion
	Cycles    []*Cycle
	NewEdges  int
	// Changed are the edges created or given a new mode; Written is set
	// if the acquisition made its class written for the first time.
	Changed []*Edge
	Written bool
}

// TraceFunc supplies a trace handle for new edges; it is called at most
// once per Validate, and only if an edge is created or made blocking.
type TraceFunc func() uint64

// Validate checks acquiring next while the goroutine holds held (oldest
// first) and records the dependencies it creates. gid and trace describe the
// acquisition for the edges it creates.
func (g *Graph) Validate(held []Acq, next Acq, gid int64, trace TraceFunc) (Result, error) {
	var res Result
	if next.Try {
		// A trylock cannot block: no recursion, no inbound edge. A held
		// write lock still blocks readers, so the class counts as written.
		if next.Mode == Write && !g.classes[next.Class].Written {
			cycles, err := g.markWritten(next.Class, gid, trace)
			res.Cycles, res.Written = cycles, true
			return res, err
		}
		return res, nil
	}
	// The same instance anywhere in the stack is a certain self-deadlock;
	// otherwise the most recent lock of the same class is a possible one.
	for i := len(held) - 1; i >= 0; i-- {
		h := held[i]
		if next.Addr != 0 && h.Addr == next.Addr {
			res.Recursion = &Recursion{Held: h, Index: i, Same: true}
			break
		}
		if h.Class == next.Class && res.Recursion == nil {
			res.Recursion = &Recursion{Held: h, Index: i}
		}
	}
	var tr uint64
	traced := false
	getTrace := func() uint64 {
		if !traced && trace != nil {
			tr, traced = trace(), true
		}
		return tr
	}
	// Edges come from the most recent lock not taken by a trylock and
	// from every trylock above it. A recursive acquisition adds none.
	for i := len(held) - 1; i >= 0 && res.Recursion == nil; i-- {
		h := held[i]
		cyc, created, changed, err := g.link(h.Class, next, gid, getTrace)
		if err != nil {
			return res, err
		}
		if created {
			res.NewEdges++
		}
		if changed {
			res.Changed = append(res.Changed, g.Edge(h.Class, next.Class))
		}
		if cyc != nil {
			res.Cycles = append(res.Cycles, cyc)
		}
		if !h.Try {
			break
		}
	}
	if next.Mode == Write && !g.classes[next.Class].Written {
		cycles, err := g.markWritten(next.Class, gid, getTrace)
		if err != nil {
			return res, err
		}
		res.Cycles = append(res.Cycles, cycles...)
		res.Written = true
	}
	return res, nil
}

// markWritten records that class c is write-locked and returns the cycles
// that read-only edges into c close now that they can block.
func (g *Graph) markWritten(c ClassID, gid int64, trace TraceFunc) ([]*Cycle, error) {
	cl := g.classes[c]
	if cl.Written {
		return nil, nil
	}
	cl.Written, cl.WriteGoroutine = true, gid
	if trace != nil {
		cl.WriteTrace = trace()
	}
	// Read-only edges into c were not blocking until now: check whether
	// each closes a cycle.
	var cycles []*Cycle
	in := cl.in
	cl.in = nil
	for _, e := range in {
		if e.Write {
			continue
		}
		if path := g.search(e.To, e.From); path != nil {
			cycles = append(cycles, &Cycle{New: e, Path: path})
		}
	}
	return cycles, nil
}

// addEdge records from→next.Class. It returns a cycle if the edge is new,
// or newly blocking, and closes one.
func (g *Graph) addEdge(from ClassID, next Acq, gid int64, trace TraceFunc) (*Cycle, bool, error) {
	cyc, created, _, err := g.link(from, next, gid, trace)
	return cyc, created, err
}

// link records from→next.Class; changed reports whether the edge was
// created or gained a mode.
func (g *Graph) link(from ClassID, next Acq, gid int64, trace TraceFunc) (cyc *Cycle, created, changed bool, err error) {
	key := [2]ClassID{from, next.Class}
	e := g.edges[key]
	if e == nil {
		if g.nEdges >= g.limits.Edges {
			return nil, false, false, &LimitError{What: "lock dependencies", Limit: g.limits.Edges}
		}
		e = &Edge{From: from, To: next.Class}
		g.edges[key] = e
		g.nEdges++
		g.classes[from].out = append(g.classes[from].out, e)
		created = true
	}
	to := g.classes[next.Class]
	wasBlocking := e.blocking(to.Written)
	switch next.Mode {
	case Write:
		if e.Write {
			return nil, created, false, nil
		}
		e.Write, e.Trace, e.Goroutine = true, trace(), gid
	case Read:
		if e.Read || e.Write {
			return nil, created, false, nil
		}
		e.Read, e.ReadTrace, e.ReadGoroutine = true, trace(), gid
		if !to.Written {
			to.in = append(to.in, e)
		}
	}
	if wasBlocking || !e.blocking(to.Written) {
		return nil, created, true, nil
	}
	if path := g.search(next.Class, from); path != nil {
		return &Cycle{New: e, Path: path}, created, true, nil
	}
	return nil, created, true, nil
}

// Link records the dependency from→to, acquired in mode, as Validate
// does for one held lock, and returns the cycle it closes, if any. It is
// for replaying recorded dependencies, such as merging the graphs of
// several processes.
func (g *Graph) Link(from, to ClassID, mode Mode, gid int64, trace uint64) (*Cycle, error) {
	cyc, _, _, err := g.link(from, Acq{Class: to, Mode: mode}, gid, func() uint64 { return trace })
	return cyc, err
}

// MarkWritten records that class c is write-locked, returning the cycles
// that read-only dependencies into c now close.
func (g *Graph) MarkWritten(c ClassID, gid int64, trace uint64) []*Cycle {
	cycles, _ := g.markWritten(c, gid, func() uint64 { return trace })
	return cycles
}

// search looks for a path of blocking edges from src to dst and returns it,
// or nil. Breadth-first, so the path found is a shortest one.
func (g *Graph) search(src, dst ClassID) []*Edge {
	n := len(g.classes)
	if len(g.visit) < n {
		g.visit = append(g.visit, make([]uint32, n-len(g.visit))...)
		g.parent = append(g.parent, make([]*Edge, n-len(g.parent))...)
	}
	g.gen++
	if g.gen == 0 {
		clear(g.visit)
		g.gen = 1
	}
	q := append(g.queue[:0], src)
	g.visit[src] = g.gen
	g.parent[src] = nil
	var found []*Edge
	for head := 0; head < len(q); head++ {
		c := q[head]
		if c == dst {
			for e := g.parent[c]; e != nil; e = g.parent[e.From] {
				found = append(found, e)
			}
			for i, j := 0, len(found)-1; i < j; i, j = i+1, j-1 {
				found[i], found[j] = found[j], found[i]
			}
			break
		}
		for _, e := range g.classes[c].out {
			if g.visit[e.To] == g.gen || !e.blocking(g.classes[e.To].Written) {
				continue
			}
			g.visit[e.To] = g.gen
			g.parent[e.To] = e
			q = append(q, e.To)
		}
	}
	g.queue = q[:0] // keep the capacity for the next search
	return found
}

// HasPath reports whether a path of blocking edges leads from src to dst.
func (g *Graph) HasPath(src, dst ClassID) bool { return g.search(src, dst) != nil }
