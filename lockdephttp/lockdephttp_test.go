package lockdephttp_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/svg/svgtest"
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/lockdephttp"
	"github.com/golockdep/lockdep/report"
	"github.com/google/go-cmp/cmp"
)

// get serves a GET of target by h and returns the response, its body read.
func get(t *testing.T, h http.Handler, target string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	res := rec.Result()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(body)
}

// svgTitles returns the classes that the SVG element of an HTML page
// draws.
func svgTitles(t *testing.T, page string) map[string]bool {
	t.Helper()
	pic, err := svgtest.Parse([]byte(page))
	if err != nil {
		t.Fatalf("%v in the page:\n%s", err, page)
	}
	return pic.Nodes
}

// TestPage: the page holds each finding's full text, each class with its
// statistics, each bound's use and setting, the chains, and the graph as
// an SVG element naming every class, with the cycle in red.
func TestPage(t *testing.T) {
	defer lockdephttp.Fresh(true)()
	shop(t)
	v := validate.Current()
	res, body := get(t, lockdephttp.Handler(), "/debug/lockdep")
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	text := html.UnescapeString(body)
	findings := v.Findings()
	if kinds := len(findings); kinds != 2 {
		t.Fatalf("the workload made %d findings, want 2: %v", kinds, findings)
	}
	for _, f := range findings {
		if !strings.Contains(text, f.String()) {
			t.Errorf("the page lacks the text of the finding:\n%s", f.String())
		}
	}
	for _, c := range v.Graph().Classes {
		if !strings.Contains(text, ">"+c.Name+"</a>") {
			t.Errorf("the class table lacks %s", c.Name)
		}
	}
	for _, s := range v.Stats() {
		if s.Class == cacheMu {
			row := `<td class="n">` + strings.Join([]string{
				itoa(s.Acquisitions), itoa(s.Contentions), reporting.Round(s.WaitTotal), reporting.Round(s.WaitMax), reporting.Round(s.HoldMax)},
				`</td><td class="n">`) + "</td>"
			if !strings.Contains(text, row) {
				t.Errorf("the page lacks the statistics of %s: %s", s.Class, row)
			}
		}
	}
	if site := fmt.Sprintf("%d in lockdephttp_test.shop.func1 lockdephttp/workload_test.go:", contended); !strings.Contains(text, site) {
		t.Errorf("the page lacks the contended site %q", site)
	}
	if strings.Contains(text, "Lock statistics are off") {
		t.Error("the page says statistics are off")
	}
	for _, u := range v.Usage() {
		line := "<tr><td>" + u.Bound + `</td><td class="n">` + itoa(u.Used) + `</td><td class="n">` + itoa(u.Limit)
		if !strings.Contains(text, line) || !strings.Contains(text, "<code>"+u.Setting+"</code>") {
			t.Errorf("the page lacks the use of %q: %s, raised by %s", u.Bound, line, u.Setting)
		}
	}
	for _, c := range v.Chains() {
		var ls []string
		for _, l := range c {
			ls = append(ls, l.Class+"{"+l.Mode+"}")
		}
		if !strings.Contains(text, strings.Join(ls, " -> ")+"\n") {
			t.Errorf("the page lacks the chain %s", strings.Join(ls, " -> "))
		}
	}
	titles := svgTitles(t, body)
	for _, c := range v.Graph().Classes {
		if !titles[c.Name] {
			t.Errorf("the SVG does not name %s (titles: %v)", c.Name, titles)
		}
	}
	if !strings.Contains(body, `stroke="#cc0000"`) {
		t.Error("the SVG has no red: the cycle is not highlighted")
	}
}

func itoa[N int | uint64](n N) string { return strconv.FormatUint(uint64(n), 10) }

// TestPageStatisticsOff: without statistics, the page says how to turn
// them on, and still lists every class.
func TestPageStatisticsOff(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	nest(classed(storeMu), classed(cacheMu))
	_, body := get(t, lockdephttp.Handler(), "/")
	text := html.UnescapeString(body)
	for _, want := range []string{"Lock statistics are off", "LOCKDEP_STAT=1", "lockdep.Configure(lockdep.Statistics(true))", ">" + storeMu + "</a>", ">" + cacheMu + "</a>", "No goroutine holds a lock."} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// state is the JSON form, as the package documentation describes it: a
// copy of the package's own type, written from the documentation, so that
// a renamed or added field fails the tests that decode into it.
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
}

func getJSON(t *testing.T, target string) state {
	t.Helper()
	res, body := get(t, lockdephttp.Handler(), target)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var s state
	dec := json.NewDecoder(strings.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("%v in:\n%s", err, body)
	}
	return s
}

// TestJSON: format=json holds what the validator holds, under the
// documented names; held shows a lock this test holds meanwhile.
func TestJSON(t *testing.T) {
	defer lockdephttp.Fresh(true)()
	shop(t)
	held := classed("example.com/shop/held.mu")
	held.Lock()
	s := getJSON(t, "/?format=json")
	v := validate.Current()
	gr := v.Graph()
	want := state{
		Version: 1, Validating: true, Statistics: true,
		Findings: v.Findings(), Classes: gr.Classes, Dependencies: gr.Dependencies,
		Stats: v.Stats(), Chains: v.Chains(), Usage: v.Usage(), Held: s.Held,
	}
	held.Unlock()
	if diff := cmp.Diff(want, s); diff != "" {
		t.Errorf("format=json (-want +got):\n%s", diff)
	}
	found := false
	for _, g := range s.Held {
		found = found || len(g.HeldLocks) == 1 && g.HeldLocks[0].Class == "example.com/shop/held.mu" && len(g.Stack) > 0
	}
	if !found {
		t.Errorf("held does not show the lock the test held: %+v", s.Held)
	}
}

// TestGraphFormat: format=graph is the graph file, which reads back as
// the validator's graph.
func TestGraphFormat(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	shop(t)
	res, body := get(t, lockdephttp.Handler(), "/?format=graph")
	if ct, cd := res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"); ct != "application/json" || !strings.Contains(cd, `filename="lockdep-graph.json"`) {
		t.Errorf("Content-Type %q, Content-Disposition %q", ct, cd)
	}
	gr, err := graphfile.Read(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(validate.Current().Graph(), *gr); diff != "" {
		t.Errorf("graph file (-want +got):\n%s", diff)
	}
}

// TestFocus: focus=CLASS keeps what reaches the class or is reached from
// it, in the dot and graph formats and the picture; an unknown class is a
// bad request.
func TestFocus(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	shop(t)
	nest(classed("example.com/other.A.mu"), classed("example.com/other.B.mu"))
	h := lockdephttp.Handler()
	res, dot := get(t, h, "/?format=dot&focus="+itemMu)
	if res.Header.Get("Content-Type") != "text/vnd.graphviz; charset=utf-8" || !strings.HasPrefix(dot, "digraph lockdep {") {
		t.Fatalf("format=dot: Content-Type %q:\n%s", res.Header.Get("Content-Type"), dot)
	}
	_, file := get(t, h, "/?format=graph&focus="+itemMu)
	_, page := get(t, h, "/?focus="+itemMu)
	titles := svgTitles(t, page)
	for _, c := range []string{itemMu, storeMu, "example.com/other.A.mu"} {
		in := c != "example.com/other.A.mu"
		if strings.Contains(dot, `"`+c+`"`) != in || strings.Contains(file, `"`+c+`"`) != in || titles[c] != in {
			t.Errorf("focus on %s: %s in the focused graph is %v", itemMu, c, !in)
		}
	}
	res, body := get(t, h, "/?focus=nosuch.mu")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `no class "nosuch.mu"`) {
		t.Errorf("unknown class: status %d, %q", res.StatusCode, body)
	}
}

func TestBadFormat(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	res, body := get(t, lockdephttp.Handler(), "/?format=yaml")
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `unknown format "yaml": want json, graph or dot`) {
		t.Errorf("status %d, %q", res.StatusCode, body)
	}
}

// TestOff: with validation off since start-up, the page says so, and
// every format carries empty data.
func TestOff(t *testing.T) {
	defer lockdephttp.Off()()
	h := lockdephttp.Handler()
	_, page := get(t, h, "/")
	if !strings.Contains(page, "Validation has been off since start-up") {
		t.Errorf("the page does not say validation is off:\n%s", page)
	}
	s := getJSON(t, "/?format=json")
	if diff := cmp.Diff(state{Version: 1, Findings: []report.Report{}, Classes: []graphfile.Class{}, Dependencies: []graphfile.Dependency{}, Stats: []report.ClassStats{}, Chains: [][]report.LockRef{}, Usage: []reporting.BoundUsage{}, Held: []report.Goroutine{}}, s); diff != "" {
		t.Errorf("format=json (-want +got):\n%s", diff)
	}
	_, body := get(t, h, "/?format=graph")
	if gr, err := graphfile.Read(strings.NewReader(body)); err != nil || len(gr.Classes)+len(gr.Dependencies)+len(gr.Findings) != 0 {
		t.Errorf("format=graph: %v, %s", err, body)
	}
	_, dot := get(t, h, "/?format=dot")
	if !strings.HasPrefix(dot, "digraph lockdep {") {
		t.Errorf("format=dot: %s", dot)
	}
}

// TestValidationStopped: once validation is turned off, the page says so
// and still shows what was recorded.
func TestValidationStopped(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	shop(t)
	lockdep.Configure(lockdep.Off)
	_, body := get(t, lockdephttp.Handler(), "/")
	if !strings.Contains(body, "Validation is off now") || !strings.Contains(html.UnescapeString(body), "WARNING: possible circular locking dependency detected") {
		t.Errorf("the page:\n%s", body)
	}
}

// TestNoPicture: a graph that cannot be laid out is said so, and the rest
// of the page stays.
func TestNoPicture(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	defer lockdephttp.SetMaxLayout(3)()
	shop(t)
	_, body := get(t, lockdephttp.Handler(), "/")
	text := html.UnescapeString(body)
	for _, want := range []string{"No picture: the graph has 5 classes and", "WARNING: possible circular locking dependency detected", ">" + storeMu + "</a>", "lock classes"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "<svg") {
		t.Error("the page has a picture")
	}
}

// TestDefaultMux: the import registered the page and the metrics on the
// default mux, as net/http/pprof does, and nothing else below them.
func TestDefaultMux(t *testing.T) {
	defer lockdephttp.Fresh(false)()
	for _, tc := range []struct {
		path, contentType string
		status            int
	}{
		{"/debug/lockdep", "text/html; charset=utf-8", 200},
		{"/debug/lockdep/", "text/html; charset=utf-8", 200},
		{"/debug/lockdep/?format=json", "application/json", 200},
		{"/debug/lockdep/metrics", "text/plain; version=0.0.4; charset=utf-8", 200},
		{"/debug/lockdep/other", "text/plain; charset=utf-8", 404},
	} {
		res, body := get(t, http.DefaultServeMux, tc.path)
		if res.StatusCode != tc.status || res.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("%s: status %d, Content-Type %q", tc.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		if tc.status == 200 && strings.HasPrefix(tc.contentType, "text/html") && !strings.Contains(body, `<a href="/debug/lockdep/metrics">metrics</a>`) {
			t.Errorf("%s: no link to the metrics", tc.path)
		}
	}
}

// TestDefaultMuxGo121: the default mux serves the same with the patterns
// of a module whose go line is before 1.22, as under lockdep run of such
// a module: TestDefaultMux passes in a child process with
// GODEBUG=httpmuxgo121=1.
func TestDefaultMuxGo121(t *testing.T) {
	if os.Getenv("GODEBUG") == "httpmuxgo121=1" {
		t.Skip("in the child")
	}
	c := exec.Command(os.Args[0], "-test.run=^TestDefaultMux$", "-test.v")
	c.Env = append(os.Environ(), "GODEBUG=httpmuxgo121=1")
	out, err := c.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestDefaultMux") {
		t.Errorf("TestDefaultMux with GODEBUG=httpmuxgo121=1: %v\n%s", err, out)
	}
}

// TestImports: the package and all it imports are the standard library,
// this module and the module the validator needs (for goroutine
// identity): no Graphviz, no WebAssembly runtime, no image library; and
// not text/template, whose reflection keeps every exported method of a
// program in its binary. Importing the package costs a program about
// what net/http/pprof does (TestBinarySize).
func TestImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}`, ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	for _, p := range deps {
		std := !strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
		switch {
		case p == "text/template" || p == "html/template":
			t.Errorf("lockdephttp depends on %s", p)
		case std:
		case !strings.HasPrefix(p, "github.com/golockdep/lockdep/") && p != "github.com/petermattis/goid":
			t.Errorf("lockdephttp depends on %s", p)
		}
	}
	if !slices.Contains(deps, "github.com/golockdep/lockdep/internal/svg") {
		t.Errorf("go list says lockdephttp depends on:\n%s", out)
	}
}

// TestBinarySize: a minimal server that imports lockdephttp is at most
// 1.3 times the size of one that uses package lockdep and imports
// net/http/pprof, built alike.
func TestBinarySize(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module sizes\n\ngo 1.22\n\nrequire github.com/golockdep/lockdep v0.0.0\n\nreplace github.com/golockdep/lockdep => " + root + "\n",
		"go.sum": string(sum),
		"page/main.go": `package main

import (
	"net/http"

	_ "github.com/golockdep/lockdep/lockdephttp"
)

func main() { http.ListenAndServe("localhost:6060", nil) }
`,
		"pprof/main.go": `package main

import (
	"net/http"
	_ "net/http/pprof"

	"github.com/golockdep/lockdep"
)

var mu lockdep.Mutex

func main() {
	mu.Lock()
	mu.Unlock()
	http.ListenAndServe("localhost:6060", nil)
}
`,
	}
	for name, data := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	size := func(pkg string) int64 {
		bin := filepath.Join(dir, pkg+".bin")
		c := exec.Command("go", "build", "-mod=mod", "-o", bin, "./"+pkg)
		c.Dir = dir
		c.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("go build ./%s: %v\n%s", pkg, err, out)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	page, pprof := size("page"), size("pprof")
	ratio := float64(page) / float64(pprof)
	t.Logf("server with lockdephttp: %d bytes; with lockdep and net/http/pprof: %d bytes; ratio %.2f", page, pprof, ratio)
	if ratio > 1.3 {
		t.Errorf("a server importing lockdephttp is %.2f times the size of one importing net/http/pprof (%d and %d bytes), more than 1.3", ratio, page, pprof)
	}
}
