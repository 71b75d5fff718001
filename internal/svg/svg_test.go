package svg

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/golockdep/lockdep/internal/report"
	"github.com/golockdep/lockdep/internal/svg/svgtest"
)

// TestRender: the merged graph of the report package's golden jobs renders
// to SVG that parses as XML and names every class.
func TestRender(t *testing.T) {
	m := report.NewMerger()
	for _, job := range []string{"job-a", "job-b"} {
		gr, err := report.ReadGraphFile(filepath.Join("..", "report", "testdata", job+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.AddGraph(gr, job); err != nil {
			t.Fatal(err)
		}
	}
	gr := m.Graph()
	out, err := Render(context.Background(), gr.DOT())
	if err != nil {
		t.Fatal(err)
	}
	pic, err := svgtest.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range gr.Classes {
		if !pic.Nodes[c.Name] {
			t.Errorf("the SVG has no node for %s", c.Name)
		}
	}
	if os.Getenv("LOCKDEP_SVG_OUT") != "" {
		os.WriteFile(os.Getenv("LOCKDEP_SVG_OUT"), out, 0o644)
	}
}

func TestRenderBadDOT(t *testing.T) {
	if _, err := Render(context.Background(), "digraph { a -> "); err == nil {
		t.Error("a broken graph rendered")
	}
}
