package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/report"
)

// mergeLimits bound the merged graph: generous, since it holds what many
// processes each kept within their own bounds.
var mergeLimits = graph.Limits{Classes: 1 << 20, Edges: 1 << 24, Chains: 1}

// merged is the union of the graphs that the processes of a run record,
// read while they run: each finding is passed to emit once, as soon as a
// process records it or the union of the graphs shows it.
type merged struct {
	root      string // the module root, against which processes name their packages
	tail      *events.Tail
	emit      func(report.Report)
	g         *graph.Graph
	deps      []depInfo // trace handle - 1 → who recorded the dependency
	findings  []report.Report
	seen      map[string]bool
	packages  map[string]bool
	shared    map[string]graph.ClassID                     // class name → union class
	local     map[*events.Process]map[uint32]graph.ClassID // a process's class IDs → union class
	instances map[graph.ClassID]bool                       // classes of single locks
	// later holds the cycles of the union graph whose dependencies one
	// package's processes recorded: that process reports them itself,
	// with more to say (held locks, the full stack), unless it hit a
	// bound; they are reported at the end if it did not.
	later []report.Report
}

type depInfo struct {
	origin string
	stack  []report.Frame
}

// newMerged returns the merge of the records in dir. root is the module
// root, against which the processes' directories name their packages.
func newMerged(dir, root string, emit func(report.Report)) *merged {
	return &merged{
		root:      root,
		tail:      events.NewTail(dir),
		emit:      emit,
		g:         graph.New(mergeLimits),
		seen:      map[string]bool{},
		packages:  map[string]bool{},
		shared:    map[string]graph.ClassID{},
		local:     map[*events.Process]map[uint32]graph.ClassID{},
		instances: map[graph.ClassID]bool{},
	}
}

// poll merges what the processes recorded since the last poll.
func (m *merged) poll() error {
	var err error
	rerr := m.tail.Read(func(p *events.Process, e *events.Event) {
		if err == nil {
			err = m.event(p, e)
		}
	})
	if err != nil {
		return err
	}
	return rerr
}

// finish merges the rest, reports what was kept for the end, and closes
// the records.
func (m *merged) finish() error {
	err := m.poll()
	for _, r := range m.later {
		m.add(r)
	}
	m.later = nil
	m.tail.Close()
	return err
}

func (m *merged) event(p *events.Process, e *events.Event) error {
	origin := packageOf(p.Dir, m.root)
	m.packages[origin] = true
	local := m.local[p]
	if local == nil {
		local = map[uint32]graph.ClassID{}
		m.local[p] = local
	}
	switch {
	case e.Class != nil:
		id, ok := m.shared[e.Class.Name]
		if !ok || e.Class.Instance {
			var err error
			if id, err = m.g.AddClass(e.Class.Name); err != nil {
				return err
			}
			if e.Class.Instance {
				m.instances[id] = true
			} else {
				m.shared[e.Class.Name] = id
			}
		}
		local[e.Class.ID] = id
	case e.Dependency != nil:
		d := e.Dependency
		from, to := local[d.From], local[d.To]
		if from == 0 || to == 0 {
			return nil
		}
		mode := graph.Write
		if d.Mode == "R" {
			mode = graph.Read
		}
		cyc, err := m.g.Link(from, to, mode, d.Goroutine, m.trace(origin, d.Stack))
		if err != nil {
			return err
		}
		if cyc != nil {
			m.cycle(report.CycleReport(m.g, cyc, m, nil))
		}
	case e.Written != nil:
		c := local[e.Written.Class]
		if c == 0 {
			return nil
		}
		for _, cyc := range m.g.MarkWritten(c, e.Written.Goroutine, m.trace(origin, e.Written.Stack)) {
			m.cycle(report.CycleReport(m.g, cyc, m, nil))
		}
	case e.Finding != nil:
		var r report.Report
		if err := json.Unmarshal(e.Finding, &r); err != nil {
			return fmt.Errorf("a finding of %s: %w", origin, err)
		}
		m.add(r)
	}
	return nil
}

// cycle reports a cycle of the union graph now if the dependencies of
// several packages make it, or keeps it for the end (see later).
func (m *merged) cycle(r report.Report) {
	for _, d := range r.Chain[1:] {
		if d.Origin != r.Chain[0].Origin {
			m.add(r)
			return
		}
	}
	m.later = append(m.later, r)
}

func (m *merged) trace(origin string, fs []report.Frame) uint64 {
	m.deps = append(m.deps, depInfo{origin: origin, stack: fs})
	return uint64(len(m.deps))
}

func (m *merged) info(t uint64) depInfo {
	if t == 0 || t > uint64(len(m.deps)) {
		return depInfo{}
	}
	return m.deps[t-1]
}

// Stack implements report.Resolver.
func (m *merged) Stack(t uint64) []report.Frame { return m.info(t).stack }

// Origin implements report.Resolver: the package whose process recorded
// the dependency.
func (m *merged) Origin(t uint64) string { return m.info(t).origin }

// add keeps and emits a finding unless one with the same key (report.Key,
// as the validator dedups) was kept before.
func (m *merged) add(r report.Report) {
	if k := r.Key(); !m.seen[k] {
		m.seen[k] = true
		m.findings = append(m.findings, r)
		if m.emit != nil {
			m.emit(r)
		}
	}
}

// packageOf names a process's package by its directory relative to root.
func packageOf(dir, root string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return dir
	}
	if rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// summary returns the line that ends every run.
func (m *merged) summary() string {
	var c, r, b int
	for _, f := range m.findings {
		switch f.Kind {
		case report.Circular:
			c++
		case report.Recursive:
			r++
		case report.BadUnlock:
			b++
		}
	}
	return fmt.Sprintf("%s (circular %d, recursive %d, bad unlock %d) in %s; %s, %s",
		count(len(m.findings), "finding", "findings"), c, r, b, count(len(m.packages), "package", "packages"),
		count(m.g.NumClasses(), "class", "classes"), count(m.g.NumEdges(), "dependency", "dependencies"))
}

// count says n things, in the singular for one.
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// graphJSON returns the -o file: the merged graph, in the graph file
// format of internal/report.
func (m *merged) graphJSON() []byte {
	gr := report.GraphOf(m.g, m, nil, func(id graph.ClassID) bool { return m.instances[id] }, m.findings)
	return gr.Marshal()
}
