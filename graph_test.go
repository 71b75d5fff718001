package lockdep_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/google/go-cmp/cmp"
)

// TestWriteGraph: the graph file written to a writer is the one lockdep
// graph and lockdep merge read: the classes, each dependency once per
// mode with the stack that made it, and the findings; a writer that fails
// makes WriteGraph fail.
func TestWriteGraph(t *testing.T) {
	defer lockdep.Fresh(lockdep.DefaultLimits)()
	a, b := classed("graph.A"), classed("graph.B")
	a.Lock()
	b.Lock()
	b.Unlock()
	a.Unlock()
	b.Lock()
	a.Lock()
	a.Unlock()
	b.Unlock()

	var buf bytes.Buffer
	if err := lockdep.WriteGraph(&buf); err != nil {
		t.Fatal(err)
	}
	gr, err := graphfile.Read(&buf)
	if err != nil {
		t.Fatalf("the graph written does not read back: %v", err)
	}
	var classes, deps []string
	for _, c := range gr.Classes {
		classes = append(classes, c.Name)
	}
	for _, d := range gr.Dependencies {
		deps = append(deps, d.From+" -> "+d.To+" {"+d.Mode+"}")
		if len(d.Stack) == 0 {
			t.Errorf("dependency %s -> %s has no stack", d.From, d.To)
		}
	}
	if diff := cmp.Diff([]string{"graph.A", "graph.B"}, classes); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"graph.A -> graph.B {W}", "graph.B -> graph.A {W}"}, deps); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	if len(gr.Findings) != 1 || gr.Findings[0].Kind != lockdep.Circular {
		t.Errorf("findings %v, want the cycle", gr.Findings)
	}

	if err := lockdep.WriteGraph(failingWriter{}); !errors.Is(err, errFull) {
		t.Errorf("WriteGraph to a failing writer: %v, want %v", err, errFull)
	}
}

var errFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errFull }
