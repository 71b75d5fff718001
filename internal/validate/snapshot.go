package validate

import (
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/report"
)

// Graph returns the validator's graph as a graph file: its classes, the
// dependencies that are confirmed (a pending one may yet be withdrawn) and
// the findings so far.
func (v *Validator) Graph() report.Graph {
	v.mu.Lock()
	defer v.mu.Unlock()
	confirmed := func(e *graph.Edge, m graph.Mode) bool {
		_, pending := v.pend.deps[dep{e, m}]
		return !pending
	}
	instance := func(id graph.ClassID) bool { return v.instances[id] }
	return report.GraphOf(v.g, v, confirmed, instance, append([]report.Report(nil), v.findings...))
}
