// Package graphfile is the graph file: a lock-class dependency graph with
// the findings made on it, as a program's LOCKDEP_GRAPH, lockdep test
// -graph and the live page write it and as lockdep graph and lockdep
// merge read it; and the pictures of it, as DOT for Graphviz and as the
// Drawing that package svg draws. docs/formats.md documents the file.
package graphfile

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/golockdep/lockdep/report"
)

// Version is the version of the graph file format, in its "version"
// field. It changes only when a field changes meaning: a field added later
// is optional.
const Version = 1

// Graph is the graph file: a lock-class dependency graph with the
// findings made on it, as lockdep test -graph, a program's LOCKDEP_GRAPH and
// the live page write it, and as lockdep graph and lockdep merge read it.
// Its JSON field names are stable.
type Graph struct {
	Version      int             `json:"version"`
	Classes      []Class         `json:"classes"`
	Dependencies []Dependency    `json:"dependencies"`
	Findings     []report.Report `json:"findings"`
	// Nestings are the classes goroutines held from a lock of a class up
	// to another lock of that class they took: a cycle one of them walks
	// is that nesting, not a cycle (see "Trees" in the package
	// documentation of lockdep).
	Nestings [][]string `json:"nestings,omitempty"`
	// Throughs are triples of classes (X, E, Y): one instance of the
	// event class E was waited for under a lock of X and made after a
	// lock of Y was taken. A cycle through an event class is a finding
	// only if each of its passes is one (see "Waits that are not locks"
	// in the package documentation of lockdep).
	Throughs [][3]string `json:"throughs,omitempty"`
}

// Class is a class of the graph.
type Class struct {
	Name string `json:"name"`
	// Written says the class is write-locked somewhere (with Lock), which
	// makes read acquisitions of it able to block.
	Written bool `json:"written"`
	// Instance marks the class of a single lock used without a class: it
	// is never merged with a class of another file.
	Instance bool `json:"instance,omitempty"`
	// WriteStack is where the class was first write-locked, and
	// WriteOrigin who recorded that.
	WriteStack  []report.Frame `json:"write_stack,omitempty"`
	WriteOrigin string         `json:"write_origin,omitempty"`
}

// Dependency is a dependency: From was held while To was acquired, in Mode
// (W or R), first by Goroutine at Stack, as recorded by Origin (a
// package's tests, a CI job; empty for one process). Held, when the
// record has it, is what that goroutine held then, oldest first (From
// among them), each lock with its mode and where it was acquired.
type Dependency struct {
	From      string           `json:"from"`
	To        string           `json:"to"`
	Mode      string           `json:"mode"`
	Origin    string           `json:"origin,omitempty"`
	Goroutine int64            `json:"goroutine,omitempty"`
	Stack     []report.Frame   `json:"stack"`
	Held      []report.LockRef `json:"held,omitempty"`
	// Guards are the classes held exclusively, below From, every time the
	// dependency was made: a cycle all of whose dependencies share one
	// cannot deadlock on its own.
	Guards []string `json:"guards,omitempty"`
}

// Empty returns a graph file with no class, dependency or finding; its
// lists marshal as [], not null.
func Empty() Graph {
	return Graph{Version: Version, Classes: []Class{}, Dependencies: []Dependency{}, Findings: []report.Report{}}
}

// Marshal returns the graph file as indented JSON with a final newline.
func (gr *Graph) Marshal() []byte {
	b, _ := json.MarshalIndent(gr, "", "\t")
	return append(b, '\n')
}

// Read reads a graph file, and checks its version and that its
// dependencies name the classes it lists, in mode W or R.
func Read(r io.Reader) (*Graph, error) {
	var gr Graph
	dec := json.NewDecoder(r)
	if err := dec.Decode(&gr); err != nil {
		return nil, fmt.Errorf("not a lockdep graph file: %v", err)
	}
	if gr.Version != Version {
		return nil, fmt.Errorf("graph file version %d, want %d (written by another lockdep version?)", gr.Version, Version)
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

// ReadFile reads the graph file at path.
func ReadFile(path string) (*Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gr, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return gr, nil
}

// WriteFile writes gr to path through a temporary file in the same
// directory, so that a reader never sees half a file.
func WriteFile(path string, gr *Graph) error {
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
