package svg

import (
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/report"
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
	dec := xml.NewDecoder(strings.NewReader(string(out)))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("the SVG does not parse: %v", err)
			}
			break
		}
	}
	for _, c := range gr.Classes {
		if !strings.Contains(string(out), c.Name) {
			t.Errorf("the SVG does not name %s", c.Name)
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
