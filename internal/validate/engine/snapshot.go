package engine

import (
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// Graph returns the engine's graph as a graph file: its classes, the
// dependencies that are confirmed (a pending one may yet be withdrawn) and
// the findings so far.
func (v *Engine) Graph() graphfile.Graph {
	v.mu.Lock()
	defer v.mu.Unlock()
	confirmed := func(e *graph.Edge, m graph.Mode) bool {
		_, pending := v.pend.deps[dep{e, m}]
		return !pending
	}
	instance := func(id graph.ClassID) bool { return v.instances[id] }
	return reporting.GraphOf(v.g, v, confirmed, instance, append([]report.Report(nil), v.findings...))
}

// Usage returns how much of each bound is used.
func (v *Engine) Usage() []reporting.BoundUsage {
	v.mu.Lock()
	defer v.mu.Unlock()
	l := v.limits
	s := &v.settings
	return []reporting.BoundUsage{
		{Bound: graph.MaxClasses.String(), Used: v.g.NumClasses(), Limit: l.Classes, Setting: s.Classes},
		{Bound: graph.MaxDependencies.String(), Used: v.g.NumEdges(), Limit: l.Dependencies, Setting: s.Dependencies},
		{Bound: graph.MaxChains.String(), Used: v.g.Chains.Len(), Limit: l.Chains, Setting: s.Chains},
		{Bound: graph.MaxDepth.String(), Used: v.table.Deepest(), Limit: l.Depth, Setting: s.Depth},
		{Bound: "goroutines holding locks", Used: v.table.InUse(), Limit: v.table.Slots(), Setting: s.Goroutines},
	}
}

// chainOf returns the chain of acquiring a while holding st: its classes
// and modes, without the instances.
func chainOf(st *held.Stack, a graph.Acq) []graph.Acq {
	c := make([]graph.Acq, 0, len(st.Entries)+1)
	for _, e := range st.Entries {
		c = append(c, graph.Acq{Class: e.Class, Mode: e.Mode, Try: e.Try})
	}
	return append(c, graph.Acq{Class: a.Class, Mode: a.Mode, Try: a.Try})
}

// Chains returns the lock chains validated so far, as the kernel's
// lockdep_chains shows them: each the classes held, oldest first, then
// the class acquired.
func (v *Engine) Chains() [][]report.LockRef {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([][]report.LockRef, 0, len(v.chains))
	for _, c := range v.chains {
		ls := make([]report.LockRef, 0, len(c))
		for _, a := range c {
			ls = append(ls, v.acqLock(a, nil))
		}
		out = append(out, ls)
	}
	return out
}
