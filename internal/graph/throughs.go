package graph

// Throughs: what the graph keeps about events besides their edges. An
// event class (Class.Shared) stands for many events, a WaitGroup's for
// every WaitGroup of its declaration. A cycle that passes through an
// event class, in by a wait under X (X → E) and out by a signal after Y
// (E → Y), can hang only if one goroutine waited under X for the very
// event that another made after taking Y: the same WaitGroup, channel,
// Cond or Once. The validator records that as a through (X, E, Y) when
// it sees one instance on both sides, and a cycle through an event class
// is reported only if each of its passes is a through. Two channels of
// one class, one waited for under a lock and the other closed after it,
// make no cycle.

// maxThroughs bounds the throughs a graph keeps; past it, a cycle through
// an event class is judged by its classes alone.
const maxThroughs = 1 << 16

// AddThrough records that some instance of event class e was waited for
// by a goroutine holding a lock of class from, and made by one that took
// a lock of class to first. It reports whether the through is new.
func (g *Graph) AddThrough(from, e, to ClassID) bool {
	k := [3]ClassID{from, e, to}
	if g.throughs[k] {
		return false
	}
	if len(g.throughs) >= maxThroughs {
		g.throughsFull = true
		return false
	}
	if g.throughs == nil {
		g.throughs = map[[3]ClassID]bool{}
	}
	g.throughs[k] = true
	g.throughList = append(g.throughList, k)
	return true
}

// Throughs returns the throughs recorded, oldest first.
func (g *Graph) Throughs() [][3]ClassID { return g.throughList }

// Passes reports whether a cycle (edges in the order they go round, each
// one's To the next one's From) passes through each event class on it by
// a through: each event it waits for, someone made after the next lock.
// A cycle with no event class passes.
func (g *Graph) Passes(edges []*Edge) bool { return len(g.Unpassed(edges)) == 0 }

// Unpassed returns the event classes a cycle (as Passes takes it) passes
// through by no through; none once the throughs' bound was hit, when
// cycles are judged by their classes alone.
func (g *Graph) Unpassed(edges []*Edge) []ClassID {
	if g.throughsFull {
		return nil
	}
	var out []ClassID
	for i, in := range edges {
		if c := g.Class(in.To); c == nil || !c.Shared {
			continue
		}
		if !g.throughs[[3]ClassID{in.From, in.To, edges[(i+1)%len(edges)].To}] {
			out = append(out, in.To)
		}
	}
	return out
}
