package svg

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/merge"
	"github.com/golockdep/lockdep/internal/svg/svgtest"
	"github.com/golockdep/lockdep/report"
)

// TestRender: the merged graph of the report package's golden jobs draws
// as SVG that parses as XML and names every class and dependency, the
// cycle in red.
func TestRender(t *testing.T) {
	m := merge.New()
	for _, job := range []string{"job-a", "job-b"} {
		gr, err := graphfile.ReadFile(filepath.Join("..", "merge", "testdata", job+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.AddGraph(gr, job); err != nil {
			t.Fatal(err)
		}
	}
	gr := m.Graph()
	out := Render(gr.Drawing())
	pic, err := svgtest.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range gr.Classes {
		if !pic.Nodes[c.Name] {
			t.Errorf("the SVG has no node for %s", c.Name)
		}
	}
	for _, d := range gr.Dependencies {
		if _, ok := pic.Edges[d.From+"->"+d.To]; !ok {
			t.Errorf("the SVG has no edge %s -> %s", d.From, d.To)
		}
	}
	if pic.Edges["example.com/shop/store.Store.mu->example.com/shop/cache.Cache.mu"] != graphfile.Red {
		t.Errorf("the cycle is not red: %v", pic.Edges)
	}
	if out := os.Getenv("LOCKDEP_SVG_OUT"); out != "" {
		os.WriteFile(out, Render(gr.Drawing()), 0o644)
	}
}

// chain returns a drawing of n classes spread over packages, each
// depending on the next, with a shortcut from every third class to the
// class seven ahead, a cycle closed at the end and a long class name.
func chain(n int) *graphfile.Drawing {
	gr := graphfile.Empty()
	name := func(i int) string {
		if i == 1 {
			return "example.com/svc/pkg01.AVeryLongTypeNameThatGoesOnAndOn.someEvenLongerFieldName.mu"
		}
		return fmt.Sprintf("example.com/svc/pkg%02d.Type%03d.mu", i%5, i)
	}
	for i := 0; i < n; i++ {
		gr.Classes = append(gr.Classes, graphfile.Class{Name: name(i), Written: i%2 == 0})
		if i > 0 {
			gr.Dependencies = append(gr.Dependencies, graphfile.Dependency{From: name(i - 1), To: name(i), Mode: "W"})
		}
		if i%3 == 0 && i >= 7 {
			gr.Dependencies = append(gr.Dependencies, graphfile.Dependency{From: name(i - 7), To: name(i), Mode: "R"})
		}
	}
	gr.Dependencies = append(gr.Dependencies, graphfile.Dependency{From: name(n - 1), To: name(n - 3), Mode: "W"})
	gr.Findings = append(gr.Findings, report.Report{Kind: report.Recursive, Lock: report.LockRef{Class: name(2), Mode: "W"}})
	return gr.Drawing()
}

// TestLayout: every label fits its box, with a monospaced font's widest
// characters (0.6 of the font size); no two boxes overlap; each package's
// box holds its classes and overlaps no other; every dependency starts
// and ends on the sides of its classes' boxes.
func TestLayout(t *testing.T) {
	for _, n := range []int{1, 2, 10, 60} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := chain(n)
			l := layout(d)
			type box struct{ x0, y0, x1, y1 float64 }
			overlap := func(a, b box) bool { return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 }
			var boxes []box
			var names []string
			for _, v := range l.vertices {
				if v.node == nil {
					continue
				}
				b := box{v.x - v.w/2, v.y - v.h/2, v.x + v.w/2, v.y + v.h/2}
				for _, line := range v.lines {
					if n := len([]rune(line)); n > maxLabel || 0.6*nodeFont*float64(n) > v.w-2*nodePadX {
						t.Errorf("%s: the line %q (%d characters) overflows its box of width %.1f", v.node.Name, line, n, v.w)
					}
				}
				if got := strings.Join(v.lines, ""); got != v.node.Label {
					t.Errorf("%s: the lines %q do not make the label %q", v.node.Name, v.lines, v.node.Label)
				}
				if float64(len(v.lines))*nodeFont > v.h {
					t.Errorf("%s: %d lines in a box of height %.1f", v.node.Name, len(v.lines), v.h)
				}
				for i, o := range boxes {
					if overlap(b, o) {
						t.Errorf("the boxes of %s and %s overlap", v.node.Name, names[i])
					}
				}
				c := l.clusters[v.cluster]
				if c.drawn && !(c.x <= b.x0 && b.x1 <= c.x+c.w && c.y <= b.y0 && b.y1 <= c.y+c.h) {
					t.Errorf("%s is outside its package's box", v.node.Name)
				}
				if b.x0 < 0 || b.y0 < 0 || b.x1 > l.width || b.y1 > l.height {
					t.Errorf("%s is outside the picture", v.node.Name)
				}
				boxes, names = append(boxes, b), append(names, v.node.Name)
			}
			for i, a := range l.clusters {
				if textWidth(a.label, clusterFont)+2*lanePad > a.w && a.drawn {
					t.Errorf("the label of package %s overflows its box", a.label)
				}
				for _, b := range l.clusters[i+1:] {
					if a.drawn && b.drawn && overlap(box{a.x, a.y, a.x + a.w, a.y + a.h}, box{b.x, b.y, b.x + b.w, b.y + b.h}) {
						t.Errorf("the boxes of packages %s and %s overlap", a.label, b.label)
					}
				}
			}
			index := map[string]*vertex{}
			for _, v := range l.vertices {
				if v.node != nil {
					index[v.node.Name] = v
				}
			}
			onSide := func(p point, v *vertex) bool {
				return (p.x == v.x-v.w/2 || p.x == v.x+v.w/2 || p.y == v.y-v.h/2) && p.y >= v.y-v.h/2 && p.y <= v.y+v.h/2
			}
			for _, e := range l.edges {
				if len(e.points) < 2 || !onSide(e.points[0], index[e.From]) || !onSide(e.points[len(e.points)-1], index[e.To]) {
					t.Errorf("the dependency %s -> %s runs %v, off its classes' boxes", e.From, e.To, e.points)
				}
			}
			if !bytes.Equal(Render(d), Render(chain(n))) {
				t.Error("one drawing renders two ways")
			}
		})
	}
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		label string
		want  []string
	}{
		{"Store.mu", []string{"Store.mu"}},
		{"", []string{""}},
		{"AVeryLongTypeNameThatGoesOnAndOn.someEvenLongerFieldName.mu", []string{"AVeryLongTypeNameThatGoesOnAndOn.", "someEvenLongerFieldName.mu"}},
		{strings.Repeat("x", 90), []string{strings.Repeat("x", 40), strings.Repeat("x", 40), strings.Repeat("x", 10)}},
		{"lockdep.Mutex@example.com/m/internal/store/store.go:123", []string{"lockdep.Mutex@example.com/m/internal/", "store/store.go:123"}},
	} {
		if got := wrap(tc.label); !slices.Equal(got, tc.want) {
			t.Errorf("wrap(%q) = %q, want %q", tc.label, got, tc.want)
		}
	}
}

// BenchmarkRender draws graphs of 300 and 2,000 classes.
func BenchmarkRender(b *testing.B) {
	for _, n := range []int{300, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			d := chain(n)
			for b.Loop() {
				Render(d)
			}
		})
	}
}

// TestEventNode: a wait's pseudo-lock is drawn as an ellipse, a lock as a
// box.
func TestEventNode(t *testing.T) {
	gr := graphfile.Empty()
	gr.Classes = []graphfile.Class{{Name: "example.com/p.Server.mu", Written: true}, {Name: "wait: example.com/p.Server.wg", Written: true}}
	gr.Dependencies = []graphfile.Dependency{{From: "example.com/p.Server.mu", To: "wait: example.com/p.Server.wg", Mode: "W"}}
	out := string(Render(gr.Drawing()))
	pic, err := svgtest.Parse([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range gr.Classes {
		if !pic.Nodes[c.Name] {
			t.Errorf("the SVG has no node for %s", c.Name)
		}
	}
	for name, shape := range map[string]string{"example.com/p.Server.mu": "<rect ", "wait: example.com/p.Server.wg": "<ellipse "} {
		_, node, _ := strings.Cut(out, `data-name="`+name+`"`)
		node, _, _ = strings.Cut(node, "</g>")
		if !strings.Contains(node, shape) {
			t.Errorf("node %s is not drawn with %s: %s", name, shape, node)
		}
	}
}
