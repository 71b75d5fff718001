// Package merge unions the graphs that several processes recorded, and
// finds the cycles that only the union shows.
package merge

import (
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// A Merger unions the graphs several processes recorded, and finds the
// cycles that only the union shows. The lockdep command merges the
// processes of one run with it, and lockdep merge the graph files of
// several CI jobs: classes of one name are one class (except classes of a
// single lock), and each dependency keeps who recorded it.
//
// Findings come out in the order they were added, each problem once (by
// reporting.Key), the processes' own reports first: they say more (held
// locks, the goroutine's stack) than a cycle of the union can.
type Merger struct {
	g        *graph.Graph
	shared   map[string]graph.ClassID
	instance map[graph.ClassID]bool
	traces   []mergeTrace
	findings []report.Report
	cycles   []*graph.Cycle
	seen     map[string]bool
}

type mergeTrace struct {
	origin string
	stack  []report.Frame
	held   []report.LockRef // nil if the record does not say
}

// Limits bound a merged graph: generous, since it holds what many
// processes each kept within their own bounds.
var Limits = graph.Limits{Classes: 1 << 20, Edges: 1 << 24, Chains: 1}

// New returns an empty merger.
func New() *Merger {
	return &Merger{
		g:        graph.New(Limits),
		shared:   map[string]graph.ClassID{},
		instance: map[graph.ClassID]bool{},
		seen:     map[string]bool{},
	}
}

// Class returns the class of the union for a class a process named so;
// the class of a single lock (instance) is never shared.
func (m *Merger) Class(name string, instance bool) (graph.ClassID, error) {
	if id, ok := m.shared[name]; ok && !instance {
		return id, nil
	}
	id, err := m.g.AddClass(name)
	if err != nil {
		return 0, err
	}
	m.g.Class(id).Shared = report.IsEvent(name)
	if instance {
		m.instance[id] = true
	} else {
		m.shared[name] = id
	}
	return id, nil
}

// Dependency adds from→to, acquired in mode ("W" or "R") by goroutine gid
// at stack, holding held (nil if not recorded) and guards exclusively
// below from, as recorded by origin. A cycle it closes becomes a finding.
func (m *Merger) Dependency(from, to graph.ClassID, mode string, gid int64, origin string, stack []report.Frame, held []report.LockRef, guards []graph.ClassID) error {
	gm := graph.Write
	if mode == "R" {
		gm = graph.Read
	}
	cyc, err := m.g.Link(from, to, gm, gid, m.trace(origin, stack, held))
	if err != nil {
		return err
	}
	m.g.NoteGuards(m.g.Edge(from, to), guards)
	if cyc != nil {
		m.cycles = append(m.cycles, cyc)
	}
	return nil
}

// Nesting records that a goroutine held locks of the classes chain, in
// order, the last of the first one's class (graph.AddNesting).
func (m *Merger) Nesting(chain []graph.ClassID) { m.g.AddNesting(chain) }

// Through records that one instance of event class e was waited for
// under a lock of class from and made after a lock of class to was taken
// (graph.AddThrough).
func (m *Merger) Through(from, e, to graph.ClassID) { m.g.AddThrough(from, e, to) }

// Written records that class c is write-locked, by goroutine gid at stack
// as recorded by origin; the cycles through read acquisitions that this
// makes possible become findings.
func (m *Merger) Written(c graph.ClassID, gid int64, origin string, stack []report.Frame) {
	m.cycles = append(m.cycles, m.g.MarkWritten(c, gid, m.trace(origin, stack, nil))...)
}

// Finding adds a finding a process reported.
func (m *Merger) Finding(r report.Report) {
	if k := reporting.Key(&r); !m.seen[k] {
		m.seen[k] = true
		m.findings = append(m.findings, r)
	}
}

// Findings returns the processes' findings, then the cycles only the union
// shows, each problem once. A cycle that one goroutine walked between two
// locks of one class (graph.Walked) is that nesting, which its process
// reported, and is left out, as is one through an event class that no
// one instance of it passes (graph.Passes); one that a common lock
// guards says so.
func (m *Merger) Findings() []report.Report {
	out := append([]report.Report(nil), m.findings...)
	seen := map[string]bool{}
	for _, cyc := range m.cycles {
		if m.g.Walked(cyc.Around()) || !m.g.Passes(cyc.Around()) {
			continue
		}
		r := reporting.CycleReport(m.g, cyc, m, nil)
		if c, ok := m.g.Guard(cyc.Around()); ok {
			r.GuardedBy = m.g.Class(c).Name
		}
		if k := reporting.Key(&r); !m.seen[k] && !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// Graph returns the union as a graph file, with its findings.
func (m *Merger) Graph() graphfile.Graph {
	return reporting.GraphOf(m.g, m, nil, func(id graph.ClassID) bool { return m.instance[id] }, m.Findings())
}

// Counts returns the numbers of classes and dependencies of the union.
func (m *Merger) Counts() (classes, deps int) { return m.g.NumClasses(), m.g.NumEdges() }

func (m *Merger) trace(origin string, stack []report.Frame, held []report.LockRef) uint64 {
	m.traces = append(m.traces, mergeTrace{origin, stack, held})
	return uint64(len(m.traces))
}

func (m *Merger) info(t uint64) mergeTrace {
	if t == 0 || t > uint64(len(m.traces)) {
		return mergeTrace{}
	}
	return m.traces[t-1]
}

// Stack implements reporting.Resolver.
func (m *Merger) Stack(t uint64) []report.Frame { return m.info(t).stack }

// Origin implements reporting.Resolver.
func (m *Merger) Origin(t uint64) string { return m.info(t).origin }

// Held implements reporting.HeldResolver.
func (m *Merger) Held(t uint64) []report.LockRef { return m.info(t).held }

// AddGraph merges a graph file recorded by origin (a CI job): its
// classes, its dependencies (each recorded by origin, or by origin's own
// origin for it, as "job ./pkg") and its findings.
func (m *Merger) AddGraph(gr *graphfile.Graph, origin string) error {
	ids := map[string]graph.ClassID{}
	for _, c := range gr.Classes {
		id, err := m.Class(c.Name, c.Instance)
		if err != nil {
			return err
		}
		ids[c.Name] = id
	}
	for _, d := range gr.Dependencies {
		o := origin
		if d.Origin != "" {
			o = origin + " " + d.Origin
		}
		var guards []graph.ClassID
		for _, c := range d.Guards {
			guards = append(guards, ids[c])
		}
		if err := m.Dependency(ids[d.From], ids[d.To], d.Mode, d.Goroutine, o, d.Stack, d.Held, guards); err != nil {
			return err
		}
	}
	for _, n := range gr.Nestings {
		var chain []graph.ClassID
		for _, c := range n {
			chain = append(chain, ids[c])
		}
		m.Nesting(chain)
	}
	for _, t := range gr.Throughs {
		if x, e, y := ids[t[0]], ids[t[1]], ids[t[2]]; x != 0 && e != 0 && y != 0 {
			m.Through(x, e, y)
		}
	}
	// Written last: a read dependency into a class another file writes
	// closes its cycles here.
	for _, c := range gr.Classes {
		if c.Written {
			o := origin
			if c.WriteOrigin != "" {
				o = origin + " " + c.WriteOrigin
			}
			m.Written(ids[c.Name], 0, o, c.WriteStack)
		}
	}
	for _, r := range gr.Findings {
		m.Finding(r)
	}
	return nil
}
