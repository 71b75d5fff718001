// Package graph holds the lock-class dependency graph: classes, the edges
// "class A was held while class B was acquired", the cycle search run when an
// edge is new, and the chain cache that lets a lock sequence seen before skip
// validation altogether.
//
// A Graph is not safe for concurrent use, with one exception: Chains.Lookup
// may run concurrently with everything else. The caller serialises all other
// calls (the validator takes one lock, only on the miss path).
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

// Bound names one of the validator's bounds.
type Bound uint8

// The bounds. MaxClasses, MaxDependencies and MaxChains are the graph's
// own; MaxDepth is the held-stack bound, which the validator enforces with
// the same error.
const (
	MaxClasses Bound = iota + 1
	MaxDependencies
	MaxChains
	MaxDepth
)

var boundNames = [...]string{MaxClasses: "lock classes", MaxDependencies: "lock dependencies", MaxChains: "lock chains", MaxDepth: "locks held by one goroutine"}

// String says what the bound counts, in the plural: "lock classes".
func (b Bound) String() string {
	if int(b) < len(boundNames) && boundNames[b] != "" {
		return boundNames[b]
	}
	return fmt.Sprintf("Bound(%d)", int(b))
}

// Limits bound the graph's memory. Every field must be positive.
type Limits struct {
	Classes int
	Edges   int
	Chains  int
}

// LimitError reports that a bound was hit. The validator stops using the
// graph then: dependencies recorded by the same acquisition before the
// bound was hit are kept.
type LimitError struct {
	Bound Bound
	Limit int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("more than %d %s", e.Limit, e.Bound)
}

// Edge is a dependency: From was held while To was acquired.
type Edge struct {
	From, To ClassID
	// Write is set once To was acquired with Lock while From was held,
	// Read once with RLock. The two are kept apart so that withdrawing
	// one (see Unlink) leaves the other. An edge that is only Read blocks
	// only while To has a writer.
	Write, Read bool
	// Trace and Goroutine identify the first write acquisition that made
	// the edge, ReadTrace and ReadGoroutine the first read one. Traces are
	// opaque to the graph.
	Trace, ReadTrace         uint64
	Goroutine, ReadGoroutine int64
	// Guards are the classes held exclusively, below From, every time the
	// edge was made (see NoteGuards).
	Guards  []ClassID
	guarded bool // Guards was set
}

// Blocking reports whether acquiring To along this edge can block, given
// whether To's class is ever write-locked.
func (e *Edge) blocking(toWritten bool) bool { return e.Write || (e.Read && toWritten) }

// Has reports whether the edge was made in mode m.
func (e *Edge) Has(m Mode) bool {
	if m == Write {
		return e.Write
	}
	return e.Read
}

// Class is one node.
type Class struct {
	ID   ClassID
	Name string
	// Written is set once the class is write-locked by a blocking Lock;
	// WriteTrace and WriteGoroutine record the first time.
	Written        bool
	WriteTrace     uint64
	WriteGoroutine int64
	// Tree says the class's instances nest parent to child (a tree, a
	// list): one taken while the goroutine holds another is a Nesting, not
	// recursive locking; the validator checks the instances' order.
	Tree bool
	// Shared marks an event's class: its holders do not exclude one
	// another (several goroutines run inside regions of one WaitGroup's
	// event at once), so it guards nothing, and a cycle passes through it
	// only by a through (see AddThrough).
	Shared bool

	out []*Edge
	in  []*Edge // read edges into a class not yet written, checked when it is
}

// Graph is the class graph. The zero value is not usable; call New.
type Graph struct {
	limits  Limits
	classes []*Class // index = ClassID; [0] is nil
	edges   map[[2]ClassID]*Edge
	Chains  *Chains

	nestings [][]ClassID // see AddNesting

	throughs     map[[3]ClassID]bool // see AddThrough
	throughList  [][3]ClassID
	throughsFull bool

	// search state, reused: visit[i] == gen marks class i visited.
	visit  []uint32
	parent []*Edge
	gen    uint32
	queue  []ClassID
}

// New returns an empty graph with the given limits.
func New(l Limits) *Graph {
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
		return 0, &LimitError{Bound: MaxClasses, Limit: g.limits.Classes}
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

// NumEdges returns the number of dependencies (edges, whatever their modes).
func (g *Graph) NumEdges() int { return len(g.edges) }

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

// Edges returns the cycle's edges in the order reports print them: from
// the held lock around to New.
func (c *Cycle) Edges() []*Edge {
	es := make([]*Edge, 0, len(c.Path)+1)
	for i := len(c.Path) - 1; i >= 0; i-- {
		es = append(es, c.Path[i])
	}
	return append(es, c.New)
}

// Recursion is an acquisition of a class the goroutine already holds.
type Recursion struct {
	Held  Acq  // the entry already held
	Index int  // its index in the held stack
	Same  bool // same instance: a certain self-deadlock
}

// Nesting is an acquisition of a tree class (Class.Tree) while the
// goroutine holds another instance of it: Held, at Index in the held
// stack, the most recent. It is not recursive locking; whether the two
// instances were ever taken the other way round is for the caller, which
// knows instances, to check.
type Nesting struct {
	Held  Acq
	Index int
}

// Dep is one dependency an acquisition made: held entry Held was held
// while the edge's To was acquired in Mode. Added says the edge gained
// that mode with this acquisition.
type Dep struct {
	Edge  *Edge
	Mode  Mode
	Held  int
	Added bool
}

// Result is what Validate found.
type Result struct {
	Recursion *Recursion
	Nesting   *Nesting
	Cycles    []*Cycle
	// Deps are the dependencies the acquisition made, one per held entry.
	Deps []Dep
	// Written is set if the acquisition made its class written for the
	// first time.
	Written bool
}

// TraceFunc supplies a trace handle for new edges; it is called at most
// once per Validate, and only if an edge gains a mode or a class is first
// written.
type TraceFunc func() uint64

// Validate checks acquiring next while the goroutine holds held (oldest
// first) and records the dependencies it creates: one from every held lock
// (DESIGN.md §3), none into a trylock, none for a recursive acquisition,
// and for a nesting of a tree class one from every held lock of another
// class. gid and trace describe the acquisition for what it records.
func (g *Graph) Validate(held []Acq, next Acq, gid int64, trace TraceFunc) (Result, error) {
	var res Result
	if next.Try {
		// A trylock cannot block: no recursion, no inbound edge, and it
		// does not make its class written (a writer that never waits
		// never blocks a reader).
		return res, nil
	}
	// The same instance anywhere in the stack is a certain self-deadlock;
	// otherwise the most recent lock of the same class is a possible one,
	// or a nesting if the class is a tree.
	tree := g.classes[next.Class].Tree
	for i := len(held) - 1; i >= 0; i-- {
		h := held[i]
		if next.Addr != 0 && h.Addr == next.Addr {
			res.Recursion, res.Nesting = &Recursion{Held: h, Index: i, Same: true}, nil
			break
		}
		if h.Class == next.Class && res.Recursion == nil && res.Nesting == nil {
			if tree {
				res.Nesting = &Nesting{Held: h, Index: i}
			} else {
				res.Recursion = &Recursion{Held: h, Index: i}
			}
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
	if res.Recursion == nil {
		for i, h := range held {
			if h.Class == next.Class {
				continue // a tree's nesting: the instances' order is checked instead
			}
			e, added, cyc, err := g.link(h.Class, next.Class, next.Mode, gid, getTrace)
			if err != nil {
				return res, err
			}
			res.Deps = append(res.Deps, Dep{Edge: e, Mode: next.Mode, Held: i, Added: added})
			if cyc != nil {
				res.Cycles = append(res.Cycles, cyc)
			}
		}
	}
	if next.Mode == Write && !g.classes[next.Class].Written {
		res.Cycles = append(res.Cycles, g.markWritten(next.Class, gid, getTrace)...)
		res.Written = true
	}
	return res, nil
}

// markWritten records that class c is write-locked and returns the cycles
// that read edges into c close now that they can block.
func (g *Graph) markWritten(c ClassID, gid int64, trace TraceFunc) []*Cycle {
	cl := g.classes[c]
	if cl.Written {
		return nil
	}
	cl.Written, cl.WriteGoroutine = true, gid
	if trace != nil {
		cl.WriteTrace = trace()
	}
	var cycles []*Cycle
	in := cl.in
	cl.in = nil
	for _, e := range in {
		if e.Write || !e.Read {
			continue // already blocking, so already checked; or withdrawn
		}
		if cyc := g.closes(e); cyc != nil {
			cycles = append(cycles, cyc)
		}
	}
	return cycles
}

// link records from→to in mode. added reports whether the edge gained the
// mode; cyc is the cycle it closes if that made it blocking.
func (g *Graph) link(from, to ClassID, mode Mode, gid int64, trace TraceFunc) (e *Edge, added bool, cyc *Cycle, err error) {
	key := [2]ClassID{from, to}
	e = g.edges[key]
	if e == nil {
		if len(g.edges) >= g.limits.Edges {
			return nil, false, nil, &LimitError{Bound: MaxDependencies, Limit: g.limits.Edges}
		}
		e = &Edge{From: from, To: to}
		g.edges[key] = e
		g.classes[from].out = append(g.classes[from].out, e)
	}
	if e.Has(mode) {
		return e, false, nil, nil
	}
	dst := g.classes[to]
	wasBlocking := e.blocking(dst.Written)
	if mode == Write {
		e.Write, e.Trace, e.Goroutine = true, trace(), gid
	} else {
		e.Read, e.ReadTrace, e.ReadGoroutine = true, trace(), gid
		if !dst.Written {
			dst.in = append(dst.in, e)
		}
	}
	if wasBlocking || !e.blocking(dst.Written) {
		return e, true, nil, nil
	}
	return e, true, g.closes(e), nil
}

// Unlink withdraws mode from edge e, and the edge itself once it has no
// mode left: the dependency turned out not to be one (the lock it came
// from had been handed to another goroutine).
func (g *Graph) Unlink(e *Edge, mode Mode) {
	if g.edges[[2]ClassID{e.From, e.To}] != e || !e.Has(mode) {
		return
	}
	if mode == Write {
		e.Write, e.Trace, e.Goroutine = false, 0, 0
	} else {
		e.Read, e.ReadTrace, e.ReadGoroutine = false, 0, 0
		g.classes[e.To].in = remove(g.classes[e.To].in, e)
	}
	if e.Write || e.Read {
		return
	}
	delete(g.edges, [2]ClassID{e.From, e.To})
	g.classes[e.From].out = remove(g.classes[e.From].out, e)
}

func remove(es []*Edge, e *Edge) []*Edge {
	for i, x := range es {
		if x == e {
			copy(es[i:], es[i+1:])
			es[len(es)-1] = nil
			return es[:len(es)-1]
		}
	}
	return es
}

// CycleOf returns the cycle that edge e closes, if e is blocking and a path
// of blocking edges leads from e.To back to e.From; nil otherwise.
func (g *Graph) CycleOf(e *Edge) *Cycle {
	if g.edges[[2]ClassID{e.From, e.To}] != e || !g.Blocking(e) {
		return nil
	}
	return g.closes(e)
}

// closes returns the cycle that blocking edge e closes: e, and a path of
// blocking edges from e.To back to e.From; nil if there is no such path.
func (g *Graph) closes(e *Edge) *Cycle { return g.closesAvoiding(e, nil) }

// CycleAvoiding is CycleOf, with a path that uses no edge avoid reports:
// for another cycle that e closes than one found before.
func (g *Graph) CycleAvoiding(e *Edge, avoid func(*Edge) bool) *Cycle {
	if g.edges[[2]ClassID{e.From, e.To}] != e || !g.Blocking(e) {
		return nil
	}
	return g.closesAvoiding(e, avoid)
}

func (g *Graph) closesAvoiding(e *Edge, avoid func(*Edge) bool) *Cycle {
	if path := g.search(e.To, e.From, avoid); path != nil {
		return &Cycle{New: e, Path: path}
	}
	return nil
}

// Blocking reports whether acquiring e.To along e can block.
func (g *Graph) Blocking(e *Edge) bool { return e.blocking(g.classes[e.To].Written) }

// Link records the dependency from→to, acquired in mode, as Validate
// does for one held lock, and returns the cycle it closes, if any. It is
// for replaying recorded dependencies, such as merging the graphs of
// several processes.
func (g *Graph) Link(from, to ClassID, mode Mode, gid int64, trace uint64) (*Cycle, error) {
	_, _, cyc, err := g.link(from, to, mode, gid, func() uint64 { return trace })
	return cyc, err
}

// MarkWritten records that class c is write-locked, returning the cycles
// that read-only dependencies into c now close.
func (g *Graph) MarkWritten(c ClassID, gid int64, trace uint64) []*Cycle {
	return g.markWritten(c, gid, func() uint64 { return trace })
}

// search looks for a path of blocking edges from src to dst, none of which
// avoid (if not nil) reports, and returns it, or nil. Breadth-first, so
// the path found is a shortest one.
func (g *Graph) search(src, dst ClassID, avoid func(*Edge) bool) []*Edge {
	n := len(g.classes)
	if len(g.visit) < n {
		g.visit = append(g.visit, make([]uint32, n-len(g.visit))...)
		g.parent = append(g.parent, make([]*Edge, n-len(g.parent))...)
	}
	g.gen++
	if g.gen == 0 {
		for i := range g.visit {
			g.visit[i] = 0
		}
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
			if g.visit[e.To] == g.gen || !e.blocking(g.classes[e.To].Written) || avoid != nil && avoid(e) {
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

// Nestings and guards: what the graph keeps besides its edges so that
// cycles that cannot deadlock as cycles are told apart (DESIGN.md §3,
// "Trees"), the same way by one process and by a merge of many.

// maxNestings bounds the nestings a graph keeps.
const maxNestings = 1 << 10

// AddNesting records that a goroutine held a lock of class chain[0], then
// locks of the classes chain[1:len-1], in that order, as it took another
// lock of class chain[0] (the last element). It reports whether the
// nesting is new.
func (g *Graph) AddNesting(chain []ClassID) bool {
	if len(chain) < 2 || len(g.nestings) >= maxNestings {
		return false
	}
	for _, n := range g.nestings {
		if equal(n, chain) {
			return false
		}
	}
	g.nestings = append(g.nestings, append([]ClassID(nil), chain...))
	return true
}

// Nestings returns the nestings recorded, oldest first.
func (g *Graph) Nestings() [][]ClassID { return g.nestings }

func equal(a, b []ClassID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Walked reports whether one goroutine walked the cycle (edges in the
// order they go round, each one's To the next one's From) on its own,
// between two locks of one class: a nesting starts with a class of the
// cycle and holds the cycle's other classes, in order, before its second
// lock of that class. The cycle is then that nesting of two locks of one
// class (a child, its group, the parent), and nothing more.
func (g *Graph) Walked(edges []*Edge) bool {
	n := len(edges)
	for _, chain := range g.nestings {
		start := -1
		for i, e := range edges {
			if e.From == chain[0] {
				start = i
				break
			}
		}
		if start < 0 {
			continue
		}
		k := 1
		for _, c := range chain[1 : len(chain)-1] {
			if k < n && c == edges[(start+k)%n].From {
				k++
			}
		}
		if k == n {
			return true
		}
	}
	return false
}

// maxGuards bounds the guards an edge keeps.
const maxGuards = 8

// NoteGuards records that edge e was made while its goroutine held the
// classes guards exclusively (below the lock e comes from): e keeps those
// held every time. It reports whether e lost a guard it had.
func (g *Graph) NoteGuards(e *Edge, guards []ClassID) (lost bool) {
	if !e.guarded {
		e.guarded = true
		if len(guards) > maxGuards {
			guards = guards[:maxGuards]
		}
		e.Guards = append([]ClassID(nil), guards...)
		return false
	}
	n := len(e.Guards)
	keep := e.Guards[:0]
	for _, c := range e.Guards {
		for _, x := range guards {
			if x == c {
				keep = append(keep, c)
				break
			}
		}
	}
	e.Guards = keep
	return len(keep) < n
}

// Guard returns a class held exclusively every time every edge of a cycle
// was made, below the lock each comes from: two goroutines cannot be in
// the cycle at once, so it cannot deadlock on its own. ok is false if
// there is none.
func (g *Graph) Guard(edges []*Edge) (c ClassID, ok bool) {
	if len(edges) == 0 {
		return 0, false
	}
	for _, c := range edges[0].Guards {
		all := true
		for _, e := range edges[1:] {
			found := false
			for _, x := range e.Guards {
				found = found || x == c
			}
			all = all && found
		}
		if all {
			return c, true
		}
	}
	return 0, false
}

// Around returns the cycle's edges in the order they go round: the closing
// edge, then the path back.
func (c *Cycle) Around() []*Edge { return append([]*Edge{c.New}, c.Path...) }
