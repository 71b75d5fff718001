package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/stack"
)

// merged is the union of the graphs that the processes of a run recorded.
type merged struct {
	g        *graph.Graph
	deps     []depInfo // trace handle - 1 → who recorded the dependency
	findings []lockdep.Report
	seen     map[string]bool
	packages map[string]bool
}

type depInfo struct {
	origin    string
	goroutine int64
	stack     []lockdep.Frame
}

// mergeDir reads the records in dir and merges them. root is the module
// root, against which the processes' directories name their packages.
func mergeDir(dir, root string) (*merged, error) {
	files, err := events.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	m := &merged{
		g:        graph.New(graph.Limits{}),
		seen:     map[string]bool{},
		packages: map[string]bool{},
	}
	shared := map[string]graph.ClassID{} // class name → union class
	var cycles []lockdep.Report          // found in the union graph
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
				cyc, err := m.g.Link(from, to, mode, d.Goroutine, m.trace(origin, d.Goroutine, d.Stack))
				if err != nil {
					return nil, err
				}
				if cyc != nil {
					cycles = append(cycles, m.cycleReport(cyc))
				}
			case e.Written != nil:
				c := local[e.Written.Class]
				if c == 0 {
					continue
				}
				for _, cyc := range m.g.MarkWritten(c, e.Written.Goroutine, m.trace(origin, e.Written.Goroutine, e.Written.Stack)) {
					cycles = append(cycles, m.cycleReport(cyc))
				}
			case e.Finding != nil:
				var r lockdep.Report
				if err := json.Unmarshal(e.Finding, &r); err != nil {
					return nil, fmt.Errorf("%s: %w", f.Path, err)
				}
				m.add(r)
			}
		}
	}
	// The processes' own reports say more (held locks, the full stack);
	// cycles only the union shows come after them.
	for _, r := range cycles {
		m.add(r)
	}
	sort.SliceStable(m.findings, func(i, j int) bool { return m.findings[i].Kind < m.findings[j].Kind })
	return m, nil
}

func (m *merged) trace(origin string, gid int64, fs []stack.Frame) uint64 {
	frames := make([]lockdep.Frame, len(fs))
	for i, f := range fs {
		frames[i] = lockdep.Frame(f)
	}
	m.deps = append(m.deps, depInfo{origin: origin, goroutine: gid, stack: frames})
	return uint64(len(m.deps))
}

func (m *merged) info(t uint64) depInfo {
	if t == 0 || t > uint64(len(m.deps)) {
		return depInfo{}
	}
	return m.deps[t-1]
}

// key identifies a problem as the validator does: kind and classes.
func key(r *lockdep.Report) string {
	var cs []string
	for _, d := range r.Chain {
		cs = append(cs, d.Class)
	}
	if r.Kind != lockdep.Circular {
		cs = append(cs, r.Lock.Class+"{"+r.Lock.Mode+"}")
		if r.Holding != nil {
			cs = append(cs, r.Holding.Class+"{"+r.Holding.Mode+"}")
		}
	}
	sort.Strings(cs)
	k := r.Kind.String() + ":" + strings.Join(cs, "|")
	if r.Kind != lockdep.Circular {
		k += "|" + r.Detail
	}
	return k
}

func (m *merged) add(r lockdep.Report) {
	if k := key(&r); !m.seen[k] {
		m.seen[k] = true
		m.findings = append(m.findings, r)
	}
}

// cycleReport describes a cycle of the union graph; when its dependencies
// come from several processes each names the package that recorded it.
func (m *merged) cycleReport(cy *graph.Cycle) lockdep.Report {
	edges := make([]*graph.Edge, 0, len(cy.Path)+1)
	for i := len(cy.Path) - 1; i >= 0; i-- {
		edges = append(edges, cy.Path[i])
	}
	edges = append(edges, cy.New)
	name := func(id graph.ClassID) string { return m.g.Class(id).Name }
	r := lockdep.Report{Kind: lockdep.Circular, Headline: lockdep.Circular.Headline(), HeldLocks: []lockdep.Lock{}}
	origins := map[string]bool{}
	for _, e := range edges {
		d := lockdep.Dependency{Class: name(e.To), After: name(e.From)}
		var in depInfo
		if e.Write {
			d.Mode, in = "W", m.info(e.Trace)
		} else {
			d.Mode, in = "R", m.info(e.ReadTrace)
		}
		d.Goroutine, d.Stack, d.Origin = in.goroutine, in.stack, in.origin
		origins[in.origin] = true
		r.Chain = append(r.Chain, d)
		if !e.Write {
			c := m.g.Class(e.To)
			w := m.info(c.WriteTrace)
			r.Writers = append(r.Writers, lockdep.Dependency{Class: c.Name, Mode: "W", Goroutine: w.goroutine, Stack: w.stack, Origin: w.origin})
		}
	}
	last := r.Chain[len(r.Chain)-1]
	r.Goroutine, r.Stack = last.Goroutine, last.Stack
	r.Lock = lockdep.Lock{Class: last.Class, Mode: last.Mode}
	if len(last.Stack) > 0 {
		f := last.Stack[0]
		r.Lock.At = &f
	}
	r.Holding = &lockdep.Lock{Class: last.After, Mode: "W"}
	r.HeldLocks = []lockdep.Lock{*r.Holding}
	if len(origins) > 1 {
		r.Detail = "The dependencies of this cycle were recorded by different packages' tests."
	}
	return r
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
			stdout.Write(append(r.JSON(), '\n'))
		} else {
			io.WriteString(stdout, r.String())
		}
	}
	if o.sarif != "" {
		if err := writeFile(o.sarif, sarif(m.findings)); err != nil {
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
		case lockdep.Circular:
			c++
		case lockdep.Recursive:
			r++
		case lockdep.BadUnlock:
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
	Version      int              `json:"version"`
	Classes      []GraphClass     `json:"classes"`
	Dependencies []GraphDep       `json:"dependencies"`
	Findings     []lockdep.Report `json:"findings"`
}

// GraphClass is a class of the merged graph.
type GraphClass struct {
	Name    string `json:"name"`
	Written bool   `json:"written"`
}

// GraphDep is a dependency of the merged graph: From was held while To
// was acquired, in Mode, first recorded by Origin's process at Stack.
type GraphDep struct {
	From   string          `json:"from"`
	To     string          `json:"to"`
	Mode   string          `json:"mode"`
	Origin string          `json:"origin"`
	Stack  []lockdep.Frame `json:"stack"`
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
