package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/golockdep/lockdep/internal/graph"
)

// GraphVersion is the version of the graph file format, in its "version"
// field.
const GraphVersion = 1

// Graph is the graph file: a lock-class dependency graph with the
// findings made on it, as lockdep test -graph, a program's LOCKDEP_GRAPH and
// the live page write it, and as lockdep graph and lockdep merge read it.
// Its JSON field names are stable.
type Graph struct {
	Version      int          `json:"version"`
	Classes      []GraphClass `json:"classes"`
	Dependencies []GraphDep   `json:"dependencies"`
	Findings     []Report     `json:"findings"`
	// Nestings are the classes goroutines held from a lock of a class up
	// to another lock of that class they took: a cycle one of them walks
	// is that nesting, not a cycle (see "Trees" in the package
	// documentation of lockdep).
	Nestings [][]string `json:"nestings,omitempty"`
}

// GraphClass is a class of the graph.
type GraphClass struct {
	Name string `json:"name"`
	// Written says the class is write-locked somewhere (with Lock), which
	// makes read acquisitions of it able to block.
	Written bool `json:"written"`
	// Instance marks the class of a single lock used without a class: it
	// is never merged with a class of another file.
	Instance bool `json:"instance,omitempty"`
	// WriteStack is where the class was first write-locked, and
	// WriteOrigin who recorded that.
	WriteStack  []Frame `json:"write_stack,omitempty"`
	WriteOrigin string  `json:"write_origin,omitempty"`
}

// GraphDep is a dependency: From was held while To was acquired, in Mode
// (W or R), first by Goroutine at Stack, as recorded by Origin (a
// package's tests, a CI job; empty for one process). Held, when the
// record has it, is what that goroutine held then, oldest first (From
// among them), each lock with its mode and where it was acquired.
type GraphDep struct {
	From      string  `json:"from"`
	To        string  `json:"to"`
	Mode      string  `json:"mode"`
	Origin    string  `json:"origin,omitempty"`
	Goroutine int64   `json:"goroutine,omitempty"`
	Stack     []Frame `json:"stack"`
	Held      []Lock  `json:"held,omitempty"`
	// Guards are the classes held exclusively, below From, every time the
	// dependency was made: a cycle all of whose dependencies share one
	// cannot deadlock on its own.
	Guards []string `json:"guards,omitempty"`
}

// EmptyGraph returns a graph file with no class, dependency or finding;
// its lists marshal as [], not null.
func EmptyGraph() Graph {
	return Graph{Version: GraphVersion, Classes: []GraphClass{}, Dependencies: []GraphDep{}, Findings: []Report{}}
}

// GraphOf describes g: its classes, the modes of its edges that keep
// accepts (all if keep is nil), and findings. Dependencies come in the
// order of their source class, then of their creation.
func GraphOf(g *graph.Graph, res Resolver, keep func(*graph.Edge, graph.Mode) bool, instance func(graph.ClassID) bool, findings []Report) Graph {
	gr := EmptyGraph()
	if findings != nil {
		gr.Findings = findings
	}
	for id := 1; id <= g.NumClasses(); id++ {
		c := g.Class(graph.ClassID(id))
		gc := GraphClass{Name: c.Name, Written: c.Written, Instance: instance != nil && instance(c.ID)}
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
			d := GraphDep{From: g.Class(e.From).Name, To: g.Class(e.To).Name, Mode: "W", Goroutine: e.Goroutine}
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
	return gr
}

// Marshal returns the graph file as indented JSON with a final newline.
func (gr *Graph) Marshal() []byte {
	b, _ := json.MarshalIndent(gr, "", "\t")
	return append(b, '\n')
}

// ReadGraph reads a graph file.
func ReadGraph(r io.Reader) (*Graph, error) {
	var gr Graph
	dec := json.NewDecoder(r)
	if err := dec.Decode(&gr); err != nil {
		return nil, fmt.Errorf("not a lockdep graph file: %v", err)
	}
	if gr.Version != GraphVersion {
		return nil, fmt.Errorf("graph file version %d, want %d (written by another lockdep version?)", gr.Version, GraphVersion)
	}
	known := map[string]bool{}
	for _, c := range gr.Classes {
		known[c.Name] = true
	}
	for _, d := range gr.Dependencies {
		if !known[d.From] || !known[d.To] {
			return nil, fmt.Errorf("dependency %s -> %s names a class the file does not list", d.From, d.To)
		}
		if d.Mode != "W" && d.Mode != "R" {
			return nil, fmt.Errorf("dependency %s -> %s: mode %q, want W or R", d.From, d.To, d.Mode)
		}
	}
	return &gr, nil
}

// ReadGraphFile reads the graph file at path.
func ReadGraphFile(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gr, err := ReadGraph(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return gr, nil
}

// WriteGraphFile writes gr to path through a temporary file in the same
// directory, so that a reader never sees half a file.
func WriteGraphFile(path string, gr *Graph) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lockdep-graph-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(gr.Marshal()); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}
