package lockdephttp_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/lockdephttp"
)

// bigGraph makes a graph of n classes in 15 packages, with about 4n/3
// dependencies (a chain through all of them, and a shortcut from every
// third class to the class seven ahead) and one cycle.
func bigGraph(n int) {
	ms := make([]*lockdep.Mutex, n)
	for i := range ms {
		ms[i] = classed(fmt.Sprintf("example.com/svc/pkg%02d.Type%03d.mu", i%15, i))
	}
	for i := 1; i < n; i++ {
		nest(ms[i-1], ms[i])
		if i%3 == 0 && i >= 7 {
			nest(ms[i-7], ms[i])
		}
	}
	nest(ms[n-1], ms[n-3]) // closes a cycle
}

// BenchmarkServe measures serving the page and its formats for a graph of
// 300 classes: page lays the picture out once, then serves it from its
// cache, as for a graph that has not changed; layout lays it out anew for
// each request, as after every change of the graph.
func BenchmarkServe(b *testing.B) {
	defer lockdephttp.Fresh(true)()
	bigGraph(300)
	if got := len(lockdep.Findings()); got != 1 {
		b.Fatalf("%d findings, want 1", got)
	}
	// serve serves target by the handler next returns, anew for each
	// request, after one request to warm up.
	serve := func(next func() http.Handler, target string) func(*testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			get := func() int {
				rec := httptest.NewRecorder()
				next().ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
				if rec.Code != 200 {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				return rec.Body.Len()
			}
			size := get()
			for b.Loop() {
				get()
			}
			b.ReportMetric(float64(size), "B/response")
		}
	}
	same := func(h http.Handler) func() http.Handler { return func() http.Handler { return h } }
	b.Run("page", serve(same(lockdephttp.Handler()), "/"))
	b.Run("layout", serve(lockdephttp.Handler, "/"))
	b.Run("json", serve(same(lockdephttp.Handler()), "/?format=json"))
	b.Run("graph", serve(same(lockdephttp.Handler()), "/?format=graph"))
	b.Run("metrics", serve(same(lockdephttp.MetricsHandler()), "/debug/lockdep/metrics"))
}
