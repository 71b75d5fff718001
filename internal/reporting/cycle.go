package reporting

import (
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// A Resolver turns the opaque trace handles of a graph into the stacks
// they stand for, and says who recorded them (a package's tests, a CI
// job; "" in one process).
type Resolver interface {
	Stack(trace uint64) []report.Frame
	Origin(trace uint64) string
}

// A HeldResolver is a Resolver that also knows, for the trace of a
// dependency, what the goroutine that made it held then, oldest first
// (nil if it does not know): a merge of records that carry it (package
// merge) makes the report of a cycle it finds as complete as a
// process's own.
type HeldResolver interface {
	Resolver
	Held(trace uint64) []report.LockRef
}

// heldOf returns what res knows of the locks held at trace, or nil.
func heldOf(res Resolver, trace uint64) []report.LockRef {
	if h, ok := res.(HeldResolver); ok {
		return h.Held(trace)
	}
	return nil
}

// Acquisition is what a report says about the operation that found a
// cycle, when it is known: the goroutine, the lock it acquires, the held
// lock the cycle closes with, what it holds and its stack.
type Acquisition struct {
	Goroutine int64
	Lock      report.LockRef
	Holding   *report.LockRef
	HeldLocks []report.LockRef
	Stack     []report.Frame
}

// ModeName is the letter a report gives an acquisition: W, R or T.
func ModeName(mode graph.Mode, try bool) string {
	switch {
	case try:
		return "T"
	case mode == graph.Read:
		return "R"
	}
	return "W"
}

// CycleReport makes the report of cycle cy of g. Each step of the chain is
// the edge's write acquisition if it has one (a write blocks whatever the
// class), else its read one, with the writer that makes it block. acq is
// the acquisition that found the cycle; nil when a merge of recorded
// graphs found it, and the report then tells the story from the last
// dependency of the chain.
func CycleReport(g *graph.Graph, cy *graph.Cycle, res Resolver, acq *Acquisition) report.Report {
	r := report.Report{Version: report.Version, Kind: report.Circular, Headline: report.Circular.Headline()}
	origins := map[string]bool{}
	var tr uint64 // the trace of the last dependency
	for _, e := range cy.Edges() {
		d := report.Dependency{Class: g.Class(e.To).Name, After: g.Class(e.From).Name}
		if e.Write {
			d.Mode, d.Goroutine, tr = "W", e.Goroutine, e.Trace
		} else {
			d.Mode, d.Goroutine, tr = "R", e.ReadGoroutine, e.ReadTrace
		}
		d.Stack, d.Origin = res.Stack(tr), res.Origin(tr)
		origins[d.Origin] = true
		r.Chain = append(r.Chain, d)
		if !e.Write {
			// A read step blocks because a writer of its class waits.
			c := g.Class(e.To)
			r.Writers = append(r.Writers, report.Dependency{
				Class: c.Name, Mode: "W", Goroutine: c.WriteGoroutine,
				Stack: res.Stack(c.WriteTrace), Origin: res.Origin(c.WriteTrace),
			})
		}
	}
	if acq != nil {
		r.Goroutine, r.Lock, r.Holding, r.HeldLocks, r.Stack = acq.Goroutine, acq.Lock, acq.Holding, acq.HeldLocks, acq.Stack
		if r.HeldLocks == nil {
			r.HeldLocks = []report.LockRef{}
		}
		return r
	}
	last := r.Chain[len(r.Chain)-1]
	r.Goroutine, r.Stack = last.Goroutine, last.Stack
	r.Lock = report.LockRef{Class: last.Class, Mode: last.Mode, At: stack.First(last.Stack)}
	// What the goroutine held when it made the last dependency, if the
	// record says: the held lock is the last one of its class.
	held := heldOf(res, tr)
	for i := len(held) - 1; i >= 0; i-- {
		if held[i].Class == last.After {
			h := held[i]
			r.Holding, r.HeldLocks = &h, append([]report.LockRef(nil), held...)
			break
		}
	}
	if r.Holding == nil {
		r.Holding = &report.LockRef{Class: last.After}
		r.HeldLocks = []report.LockRef{*r.Holding}
		r.Unrecorded = []string{"holding", "held_locks"}
	}
	if len(origins) > 1 {
		r.Detail = "The dependencies of this cycle were recorded by different processes."
	}
	return r
}
