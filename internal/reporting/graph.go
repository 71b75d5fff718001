package reporting

import (
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/report"
)

// GraphOf describes g: its classes, the modes of its edges that keep
// accepts (all if keep is nil), and findings. Dependencies come in the
// order of their source class, then of their creation.
func GraphOf(g *graph.Graph, res Resolver, keep func(*graph.Edge, graph.Mode) bool, instance func(graph.ClassID) bool, findings []report.Report) graphfile.Graph {
	gr := graphfile.Empty()
	if findings != nil {
		gr.Findings = findings
	}
	for id := 1; id <= g.NumClasses(); id++ {
		c := g.Class(graph.ClassID(id))
		gc := graphfile.Class{Name: c.Name, Written: c.Written, Instance: instance != nil && instance(c.ID)}
		if c.Written {
			gc.WriteStack, gc.WriteOrigin = res.Stack(c.WriteTrace), res.Origin(c.WriteTrace)
		}
		gr.Classes = append(gr.Classes, gc)
	}
	g.Edges(func(e *graph.Edge) {
		for _, m := range []graph.Mode{graph.Write, graph.Read} {
			if !e.Has(m) || keep != nil && !keep(e, m) {
				continue
			}
			d := graphfile.Dependency{From: g.Class(e.From).Name, To: g.Class(e.To).Name, Mode: "W", Goroutine: e.Goroutine}
			tr := e.Trace
			if m == graph.Read {
				d.Mode, d.Goroutine, tr = "R", e.ReadGoroutine, e.ReadTrace
			}
			d.Origin, d.Stack, d.Held = res.Origin(tr), res.Stack(tr), heldOf(res, tr)
			for _, c := range e.Guards {
				d.Guards = append(d.Guards, g.Class(c).Name)
			}
			gr.Dependencies = append(gr.Dependencies, d)
		}
	})
	for _, n := range g.Nestings() {
		var names []string
		for _, c := range n {
			names = append(names, g.Class(c).Name)
		}
		gr.Nestings = append(gr.Nestings, names)
	}
	for _, t := range g.Throughs() {
		gr.Throughs = append(gr.Throughs, [3]string{g.Class(t[0]).Name, g.Class(t[1]).Name, g.Class(t[2]).Name})
	}
	return gr
}
