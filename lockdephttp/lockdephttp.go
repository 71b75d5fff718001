package lockdephttp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/svg"
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// The paths the import registers on http.DefaultServeMux.
const (
	pagePath    = "/debug/lockdep"
	metricsPath = "/debug/lockdep/metrics"
)

func init() {
	h := Handler()
	http.Handle(pagePath, h)
	// "/debug/lockdep/" alone, and nothing else below it: with the
	// patterns of Go 1.22 ("/debug/lockdep/{$}") and with those of a
	// module whose go line is older (GODEBUG httpmuxgo121=1), where that
	// pattern would be a literal path.
	http.HandleFunc(pagePath+"/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != pagePath+"/" {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	http.Handle(metricsPath, MetricsHandler())
}

// graphFormats are the forms of the graph file the handler serves, each
// written by the handler of lockdep's outputs for that format.
var graphFormats = map[string]struct {
	header  map[string]string
	handler func(io.Writer) reporting.Handler
}{
	"graph": {map[string]string{"Content-Type": "application/json", "Content-Disposition": `attachment; filename="lockdep-graph.json"`}, reporting.GraphJSON},
	"dot":   {map[string]string{"Content-Type": "text/vnd.graphviz; charset=utf-8"}, reporting.DOT},
}

// version is the version of the JSON form, in its "version" field. It
// changes only when a field changes meaning.
const version = 1

// maxLayout bounds the classes and dependencies, together, of a graph the
// page draws: beyond it, a picture is too large to read, and focusing on
// a class is the way to see part of it. Tests change it.
var maxLayout = 2500

// Handler returns the handler of the page and of its formats, described
// in the package documentation. It serves the same at any path it is
// mounted at. It is safe for concurrent use; it keeps the last picture it
// drew.
func Handler() http.Handler { return new(page) }

// page is the handler Handler returns.
type page struct {
	mu  sync.Mutex // guards the last picture
	dot string     // the graph drawn last, in DOT
	svg []byte     // its picture
}

// state is what the page shows and format=json returns.
type state struct {
	Version      int                    `json:"version"`
	Validating   bool                   `json:"validating"`
	Statistics   bool                   `json:"statistics"`
	Findings     []report.Report        `json:"findings"`
	Classes      []graphfile.Class      `json:"classes"`
	Dependencies []graphfile.Dependency `json:"dependencies"`
	Stats        []report.ClassStats    `json:"stats"`
	Chains       [][]report.LockRef     `json:"chains"`
	Usage        []reporting.BoundUsage `json:"usage"`
	Held         []report.Goroutine     `json:"held"`

	off bool // validation has been off since start-up
}

// graphOf returns v's graph file, empty if v is nil (validation has been
// off since start-up).
func graphOf(v *validate.Validator) graphfile.Graph {
	if v != nil {
		return v.Graph()
	}
	return graphfile.Empty()
}

// take returns the validator's state, and its graph.
func take() (*state, graphfile.Graph) {
	v := validate.Current()
	gr := graphOf(v)
	s := &state{
		Version:      version,
		Findings:     gr.Findings,
		Classes:      gr.Classes,
		Dependencies: gr.Dependencies,
		off:          v == nil,
	}
	if v != nil {
		s.Validating = validate.Active() == v
		s.Statistics = s.Validating && v.StatsOn()
		s.Stats, s.Chains, s.Usage, s.Held = v.Stats(), v.Chains(), v.Usage(), v.HeldLocks()
	}
	s.Stats = orEmpty(s.Stats)
	s.Chains = orEmpty(s.Chains)
	s.Usage = orEmpty(s.Usage)
	s.Held = orEmpty(s.Held)
	return s, gr
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (p *page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	switch format {
	case "", "json", "graph", "dot":
	default:
		http.Error(w, fmt.Sprintf("lockdep: unknown format %q: want json, graph or dot (or none, for the page)", format), http.StatusBadRequest)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	focus := q.Get("focus")
	focused := func(gr graphfile.Graph) (*graphfile.Graph, bool) {
		if focus == "" {
			return &gr, true
		}
		f, err := gr.Focus(focus)
		if err != nil {
			http.Error(w, "lockdep: focus: "+err.Error(), http.StatusBadRequest)
			return nil, false
		}
		return f, true
	}
	switch format {
	case "graph", "dot":
		gr, ok := focused(graphOf(validate.Current()))
		if !ok {
			return
		}
		f := graphFormats[format]
		for k, v := range f.header {
			w.Header().Set(k, v)
		}
		f.handler(w).End(&reporting.End{Graph: gr})
	case "json":
		s, _ := take()
		b, err := json.MarshalIndent(s, "", "\t")
		if err != nil { // cannot happen: every field marshals
			http.Error(w, "lockdep: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(append(b, '\n'))
	default:
		s, full := take()
		gr, ok := focused(full)
		if !ok {
			return
		}
		var buf bytes.Buffer
		p.view(r, s, gr, focus).write(&buf)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(buf.Bytes())
	}
}

// layout returns gr as an SVG document, drawn again only if it is not the
// graph drawn last.
func (p *page) layout(gr *graphfile.Graph) ([]byte, error) {
	if n := len(gr.Classes) + len(gr.Dependencies); n > maxLayout {
		return nil, fmt.Errorf("the graph has %s and %s, more than %d together, too many to draw legibly; focus on a class (the class names below link to that)",
			reporting.Count(len(gr.Classes), "class"), reporting.Count(len(gr.Dependencies), "dependency"), maxLayout)
	}
	d := gr.Drawing()
	dot := d.DOT()
	p.mu.Lock()
	defer p.mu.Unlock()
	if dot != p.dot {
		p.dot, p.svg = dot, svg.Render(d)
	}
	return p.svg, nil
}
