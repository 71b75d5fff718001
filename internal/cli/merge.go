package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/report"
)

// mergeLimits bound the merged graph: generous, since it holds what many
// processes each kept within their own bounds.
var mergeLimits = graph.Limits{Classes: 1 << 20, Edges: 1 << 24, Chains: 1}

// merged is the union of the graphs that the processes of a run recorded.
type merged struct {
	g        *graph.Graph
	deps     []depInfo // trace handle - 1 → who recorded the dependency
	findings []report.Report
	seen     map[string]bool
	packages map[string]bool
	base     *baseline // known findings (-baseline), or nil
}

type depInfo struct {
	origin string
	stack  []report.Frame
}

// mergeDir reads the records in dir and merges them. root is the module
// root, against which the processes' directories name their packages.
func mergeDir(dir, root string) (*merged, error) {
	files, err := events.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := &merged{
		g:        graph.New(mergeLimits),
		seen:     map[string]bool{},
		packages: map[string]bool{},
	}
	shared := map[string]graph.ClassID{} // class name → union class
	var cycles []report.Report           // found in the union graph
	for _, f := range files {
		origin := packageOf(f.Process.Dir, root)
		m.packages[origin] = true
		local := map[uint32]graph.ClassID{}
		for _, e := range f.Events {
			switch {
			case e.Class != nil:
				id, ok := shared[e.Class.Name]
				if !ok || e.Class.Instance {
					if id, err = m.g.AddClass(e.Class.Name); err != nil {
						return nil, err
					}
					if !e.Class.Instance {
						shared[e.Class.Name] = id
					}
				}
				local[e.Class.ID] = id
			case e.Dependency != nil:
				d := e.Dependency
				from, to := local[d.From], local[d.To]
				if from == 0 || to == 0 {
					continue
				}
				mode := graph.Write
				if d.Mode == "R" {
					mode = graph.Read
				}
				cyc, err := m.g.Link(from, to, mode, d.Goroutine, m.trace(origin, d.Stack))
				if err != nil {
					return nil, err
				}
				if cyc != nil {
					cycles = append(cycles, report.CycleReport(m.g, cyc, m, nil))
				}
			case e.Written != nil:
				c := local[e.Written.Class]
				if c == 0 {
					continue
				}
				for _, cyc := range m.g.MarkWritten(c, e.Written.Goroutine, m.trace(origin, e.Written.Stack)) {
					cycles = append(cycles, report.CycleReport(m.g, cyc, m, nil))
				}
			case e.Finding != nil:
				var r report.Report
				if err := json.Unmarshal(e.Finding, &r); err != nil {
					return nil, fmt.Errorf("%s: %w", f.Path, err)
				}
				m.add(r)
			}
		}
	}
	// The processes' own reports say more (held locks, the full stack);
	// cycles only the union shows come after them, in the order found.
	for _, r := range cycles {
		m.add(r)
	}
	return m, nil
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

// add keeps a finding unless one with the same key (report.Key, as the
// validator dedups) was kept before.
func (m *merged) add(r report.Report) {
	if k := r.Key(); !m.seen[k] {
		m.seen[k] = true
		m.findings = append(m.findings, r)
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

// output prints the findings, writes the requested files and the summary.
func (m *merged) output(o *options, stdout, stderr io.Writer) error {
	for i := range m.findings {
		r := &m.findings[i]
		if o.json {
			stdout.Write(append(m.base.json(r), '\n'))
		} else {
			io.WriteString(stdout, m.base.text(r))
		}
	}
	if o.sarif != "" {
		if err := writeFile(o.sarif, report.SARIF(m.findings, version())); err != nil {
			return err
		}
	}
	if o.out != "" {
		if err := writeFile(o.out, m.graphJSON()); err != nil {
			return err
		}
	}
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
	fmt.Fprintf(stderr, "lockdep: %d findings (circular %d, recursive %d, bad unlock %d) in %d packages; %d classes, %d dependencies\n",
		len(m.findings), c, r, b, len(m.packages), m.g.NumClasses(), m.g.NumEdges())
	return nil
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Graph is the -o file: the merged dependency graph.
type Graph struct {
	Version      int             `json:"version"`
	Classes      []GraphClass    `json:"classes"`
	Dependencies []GraphDep      `json:"dependencies"`
	Findings     []report.Report `json:"findings"`
}

// GraphClass is a class of the merged graph.
type GraphClass struct {
	Name    string `json:"name"`
	Written bool   `json:"written"`
}

// GraphDep is a dependency of the merged graph: From was held while To
// was acquired, in Mode, first recorded by Origin's process at Stack.
type GraphDep struct {
	From   string         `json:"from"`
	To     string         `json:"to"`
	Mode   string         `json:"mode"`
	Origin string         `json:"origin"`
	Stack  []report.Frame `json:"stack"`
}

func (m *merged) graphJSON() []byte {
	gr := Graph{Version: 1, Classes: []GraphClass{}, Dependencies: []GraphDep{}, Findings: m.findings}
	for id := 1; id <= m.g.NumClasses(); id++ {
		c := m.g.Class(graph.ClassID(id))
		gr.Classes = append(gr.Classes, GraphClass{Name: c.Name, Written: c.Written})
	}
	m.g.Edges(func(e *graph.Edge) {
		d := GraphDep{From: m.g.Class(e.From).Name, To: m.g.Class(e.To).Name, Mode: "W"}
		in := m.info(e.Trace)
		if !e.Write {
			d.Mode, in = "R", m.info(e.ReadTrace)
		}
		d.Origin, d.Stack = in.origin, in.stack
		gr.Dependencies = append(gr.Dependencies, d)
	})
	b, _ := json.MarshalIndent(gr, "", "\t")
	return append(b, '\n')
}
