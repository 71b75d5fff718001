package reporting

import (
	"bytes"
	"errors"
	"testing"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/report"
)

// TestHandlers: text and JSON lines are written as findings come, the
// graph's forms at the end (an empty graph where the stream has none),
// and a fan-out passes both to each handler and returns the first error,
// which a handler keeps returning.
func TestHandlers(t *testing.T) {
	r := report.Report{Version: report.Version, Kind: report.BadUnlock, Headline: report.BadUnlock.Headline(), Lock: report.LockRef{Class: "m.A", Mode: "W"}, HeldLocks: []report.LockRef{}}
	var text, lines, graph, dot bytes.Buffer
	h := Handlers(Text(&text), JSON(&lines), GraphJSON(&graph), DOT(&dot))
	if err := h.Finding(&r); err != nil {
		t.Fatal(err)
	}
	if text.String() != r.String() || lines.String() != string(r.JSON())+"\n" {
		t.Errorf("after a finding: text %q, JSON %q", text.String(), lines.String())
	}
	if graph.Len() != 0 || dot.Len() != 0 {
		t.Errorf("the graph's forms wrote before the end: %q, %q", graph.String(), dot.String())
	}
	if err := h.End(&End{}); err != nil {
		t.Fatal(err)
	}
	empty := graphfile.Empty()
	if graph.String() != string(empty.Marshal()) || dot.String() != empty.DOT() {
		t.Errorf("at the end of a stream without a graph: %q, %q", graph.String(), dot.String())
	}

	full := errors.New("disk full")
	var after bytes.Buffer
	h = Handlers(Text(failing{full}), Text(&after))
	for range 2 {
		if err := h.Finding(&r); !errors.Is(err, full) {
			t.Errorf("Finding: %v, want %v", err, full)
		}
	}
	if err := h.End(&End{}); !errors.Is(err, full) {
		t.Errorf("End: %v, want %v", err, full)
	}
	if after.String() != r.String()+r.String() {
		t.Errorf("the handler after a failing one got %q", after.String())
	}
}

type failing struct{ err error }

func (f failing) Write([]byte) (int, error) { return 0, f.err }
