package graph

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A script step is "<goroutine><+|-><flags><class>[instance]": "1+A"
// locks A (instance 1) in goroutine 1, "2+rB" read-locks B, "1+tA2"
// trylocks instance 2 of A, "1+trC" try-read-locks C, "1-A" releases the
// goroutine's most recent entry of class A.

type scriptResult struct {
	edges      []string // "A->B W", "A->B R"
	written    string   // the written classes, in order
	cycles     []string // "step 3: A B": the classes of the cycle, held lock first
	recursions []string // "step 2: A1 at 0 same"
	added      []int    // dependencies added, per acquisition step
	err        error
}

func parseStep(t *testing.T, s string) (g int, release bool, a Acq) {
	t.Helper()
	if len(s) < 3 || s[0] < '0' || s[0] > '9' || (s[1] != '+' && s[1] != '-') {
		t.Fatalf("bad step %q", s)
	}
	g, release = int(s[0]-'0'), s[1] == '-'
	rest := s[2:]
	for len(rest) > 0 && (rest[0] == 't' || rest[0] == 'r') {
		if rest[0] == 't' {
			a.Try = true
		} else {
			a.Mode = Read
		}
		rest = rest[1:]
	}
	if len(rest) == 0 || rest[0] < 'A' || rest[0] > 'Z' {
		t.Fatalf("bad step %q", s)
	}
	a.Class = ClassID(rest[0]-'A') + 1
	inst := uintptr(1)
	if len(rest) == 2 {
		inst = uintptr(rest[1] - '0')
	}
	a.Addr = uintptr(a.Class)<<4 | inst
	return g, release, a
}

func className(c ClassID) string { return string(rune('A' + c - 1)) }

// runScript plays steps on a graph of classes A.. and returns what
// Validate found, as the validator would feed it.
func runScript(t *testing.T, g *Graph, steps []string) scriptResult {
	t.Helper()
	var r scriptResult
	held := map[int][]Acq{}
	for i, s := range steps {
		gi, release, a := parseStep(t, s)
		h := held[gi]
		if release {
			j := slices.IndexFunc(h, func(x Acq) bool { return x.Class == a.Class })
			for k := len(h) - 1; k >= 0; k-- {
				if h[k].Class == a.Class {
					j = k
					break
				}
			}
			if j < 0 {
				t.Fatalf("step %d %q: class not held", i, s)
			}
			held[gi] = slices.Delete(h, j, j+1)
			continue
		}
		res, err := g.Validate(slices.Clone(h), a, int64(gi), func() uint64 { return uint64(i + 1) })
		if err != nil {
			r.err = err
			break
		}
		n := 0
		for _, d := range res.Deps {
			if d.Added {
				n++
			}
		}
		r.added = append(r.added, n)
		if rec := res.Recursion; rec != nil {
			same := "class"
			if rec.Same {
				same = "same"
			}
			r.recursions = append(r.recursions, fmt.Sprintf("step %d: %s%d at %d %s", i, className(rec.Held.Class), rec.Held.Addr&0xf, rec.Index, same))
		}
		for _, cy := range res.Cycles {
			var names []string
			for _, c := range cycleClasses(cy) {
				names = append(names, className(c))
			}
			r.cycles = append(r.cycles, fmt.Sprintf("step %d: %s", i, strings.Join(names, " ")))
		}
		held[gi] = append(h, a)
	}
	g.Edges(func(e *Edge) {
		if e.Write {
			r.edges = append(r.edges, className(e.From)+"->"+className(e.To)+" W")
		}
		if e.Read {
			r.edges = append(r.edges, className(e.From)+"->"+className(e.To)+" R")
		}
	})
	slices.Sort(r.edges)
	for c := ClassID(1); int(c) <= g.NumClasses(); c++ {
		if g.Class(c).Written {
			r.written += className(c)
		}
	}
	return r
}

// testLimits are large enough for every test that is not about bounds.
var testLimits = Limits{Classes: 1 << 16, Edges: 1 << 20, Chains: 1 << 20}

// cycleClasses returns the classes of a cycle, starting with the held
// lock followed by the new one.
func cycleClasses(c *Cycle) []ClassID {
	ids := []ClassID{c.New.From}
	for _, e := range c.Path {
		ids = append(ids, e.From)
	}
	return ids
}

func newTestGraph(t *testing.T, l Limits, n int) *Graph {
	t.Helper()
	g := New(l)
	for i := range n {
		id, err := g.AddClass(className(ClassID(i + 1)))
		if err != nil {
			t.Fatal(err)
		}
		if id != ClassID(i+1) {
			t.Fatalf("AddClass = %d, want %d", id, i+1)
		}
	}
	return g
}

func TestValidateRules(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		steps []string
		want  scriptResult
	}{
		{
			name:  "edge/plain",
			steps: []string{"1+A", "1+B", "1+C"},
			want:  scriptResult{edges: []string{"A->B W", "A->C W", "B->C W"}, written: "ABC", added: []int{0, 1, 2}},
		},
		{
			name:  "edge/read",
			steps: []string{"1+A", "1+rB"},
			want:  scriptResult{edges: []string{"A->B R"}, written: "A", added: []int{0, 1}},
		},
		{
			name:  "edge/existing-not-new",
			steps: []string{"1+A", "1+B", "1-B", "1+B", "1-B", "1+rB"},
			want:  scriptResult{edges: []string{"A->B R", "A->B W"}, written: "AB", added: []int{0, 1, 0, 1}},
		},
		{
			name:  "edge/release-from-middle",
			steps: []string{"1+A", "1+B", "1-A", "1+C"},
			want:  scriptResult{edges: []string{"A->B W", "B->C W"}, written: "ABC", added: []int{0, 1, 1}},
		},
		{
			// A(W) -> L(R) -> B with L never written: the path through L
			// is pruned, so A->B must be an edge of its own.
			name:  "edge/from-every-held-lock",
			steps: []string{"1+A", "1+rL", "1+B", "1-B", "1-L", "1-A", "2+B", "2+A"},
			want: scriptResult{
				edges: []string{"A->B W", "A->L R", "B->A W", "L->B W"}, written: "AB", added: []int{0, 1, 2, 0, 1},
				cycles: []string{"step 7: B A"},
			},
		},
		{
			name:  "trylock/no-inbound-edge",
			steps: []string{"1+A", "1+tB"},
			want:  scriptResult{written: "A", added: []int{0, 0}},
		},
		{
			name:  "trylock/read-not-written",
			steps: []string{"1+A", "1+trB"},
			want:  scriptResult{written: "A", added: []int{0, 0}},
		},
		{
			name:  "trylock/outbound-edge",
			steps: []string{"1+tA", "1+B"},
			want:  scriptResult{edges: []string{"A->B W"}, written: "B", added: []int{0, 1}},
		},
		{
			name:  "trylock/edges-from-every-held",
			steps: []string{"1+A", "1+B", "1+tC", "1+trD", "1+E"},
			want: scriptResult{
				edges:   []string{"A->B W", "A->E W", "B->E W", "C->E W", "D->E W"},
				written: "ABE",
				added:   []int{0, 1, 0, 0, 4},
			},
		},
		{
			name:  "trylock/only-trylocks-held",
			steps: []string{"1+tA", "1+tB", "1+rC"},
			want:  scriptResult{edges: []string{"A->C R", "B->C R"}, added: []int{0, 0, 2}},
		},
		{
			name:  "trylock/ABBA-inbound-trylock-safe",
			steps: []string{"1+A", "1+tB", "1-B", "1-A", "2+B", "2+A"},
			want:  scriptResult{edges: []string{"B->A W"}, written: "AB", added: []int{0, 0, 0, 1}},
		},
		{
			name:  "trylock/ABBA-outbound-trylock-counts",
			steps: []string{"1+tA", "1+B", "1-B", "1-A", "2+B", "2+A"},
			want: scriptResult{
				edges: []string{"A->B W", "B->A W"}, written: "AB", added: []int{0, 1, 0, 1},
				cycles: []string{"step 5: B A"},
			},
		},
		{
			name:  "cycle/ABBA",
			steps: []string{"1+A", "1+B", "2+B", "2+A"},
			want: scriptResult{
				edges: []string{"A->B W", "B->A W"}, written: "AB", added: []int{0, 1, 0, 1},
				cycles: []string{"step 3: B A"},
			},
		},
		{
			name:  "cycle/ABBCCA",
			steps: []string{"1+A", "1+B", "2+B2", "2+C", "3+C2", "3+A2"},
			want: scriptResult{
				edges: []string{"A->B W", "B->C W", "C->A W"}, written: "ABC", added: []int{0, 1, 0, 1, 0, 1},
				cycles: []string{"step 5: C A B"},
			},
		},
		{
			name:  "cycle/ABCDA-four-goroutines",
			steps: []string{"1+A", "1+B", "2+C", "2+D", "3+B", "3+C", "4+D", "4+A"},
			want: scriptResult{
				edges: []string{"A->B W", "B->C W", "C->D W", "D->A W"}, written: "ABCD", added: []int{0, 1, 0, 1, 0, 1, 0, 1},
				cycles: []string{"step 7: D A B C"},
			},
		},
		{
			// Holding A and B, C closes a cycle with each of them.
			name:  "cycle/one-per-held-lock",
			steps: []string{"1+C", "1+A", "1-A", "1-C", "1+A", "1+B", "1+C"},
			want: scriptResult{
				edges: []string{"A->B W", "A->C W", "B->C W", "C->A W"}, written: "ABC", added: []int{0, 1, 0, 1, 2},
				cycles: []string{"step 6: A C", "step 6: B C A"},
			},
		},
		{
			name:  "cycle/reported-once",
			steps: []string{"1+A", "1+B", "2+B", "2+A", "2-A", "2+A"},
			want: scriptResult{
				edges: []string{"A->B W", "B->A W"}, written: "AB", added: []int{0, 1, 0, 1, 0},
				cycles: []string{"step 3: B A"},
			},
		},
		{
			name:  "read/read-read-inversion-without-writer-is-safe",
			steps: []string{"1+rA", "1+rB", "2+rB", "2+rA"},
			want:  scriptResult{edges: []string{"A->B R", "B->A R"}, added: []int{0, 1, 0, 1}},
		},
		{
			name:  "read/read-step-of-never-written-class-is-safe",
			steps: []string{"1+A", "1+rB", "2+rB", "2+A"},
			want:  scriptResult{edges: []string{"A->B R", "B->A W"}, written: "A", added: []int{0, 1, 0, 1}},
		},
		{
			name:  "read/cycle-when-class-already-written",
			steps: []string{"3+B", "3-B", "1+A", "1+rB", "2+rB", "2+A"},
			want: scriptResult{
				edges: []string{"A->B R", "B->A W"}, written: "AB", added: []int{0, 0, 1, 0, 1},
				cycles: []string{"step 5: B A"},
			},
		},
		{
			// The read-only edge A->B becomes blocking when B is first
			// written; the cycle is reported at that write.
			name:  "read/cycle-at-first-write",
			steps: []string{"1+A", "1+rB", "1-B", "1-A", "2+rB", "2+A", "2-A", "2-B", "3+B"},
			want: scriptResult{
				edges: []string{"A->B R", "B->A W"}, written: "AB", added: []int{0, 1, 0, 1, 0},
				cycles: []string{"step 8: A B"},
			},
		},
		{
			// A writer that only ever trylocks never waits, so it never
			// blocks a reader: B stays unwritten and the cycle safe.
			name:  "read/trylock-writer-does-not-write",
			steps: []string{"1+A", "1+rB", "1-B", "1-A", "2+rB", "2+A", "2-A", "2-B", "3+tB"},
			want:  scriptResult{edges: []string{"A->B R", "B->A W"}, written: "A", added: []int{0, 1, 0, 1, 0}},
		},
		{
			name:  "read/try-read-does-not-write",
			steps: []string{"1+A", "1+rB", "1-B", "1-A", "2+rB", "2+A", "2-A", "2-B", "3+trB"},
			want:  scriptResult{edges: []string{"A->B R", "B->A W"}, written: "A", added: []int{0, 1, 0, 1, 0}},
		},
		{
			// Two read-only edges into B close two different cycles when
			// B is first written.
			name: "read/two-cycles-at-first-write",
			steps: []string{
				"1+A", "1+rB", "1-B", "1-A", "1+rB", "1+A", "1-A", "1-B",
				"2+C", "2+rB", "2-B", "2-C", "2+rB", "2+C", "2-C", "2-B",
				"3+B",
			},
			want: scriptResult{
				edges:   []string{"A->B R", "B->A W", "B->C W", "C->B R"},
				written: "ABC", added: []int{0, 1, 0, 1, 0, 1, 0, 1, 0},
				cycles: []string{"step 16: A B", "step 16: C B"},
			},
		},
		{
			name:  "read/write-after-first-write-not-reported-again",
			steps: []string{"1+rB", "1+A", "1-A", "1-B", "2+A", "2+rB", "2-B", "3+B", "3-B", "2+B"},
			want: scriptResult{
				edges: []string{"A->B R", "A->B W", "B->A W"}, written: "AB", added: []int{0, 1, 0, 1, 0, 1},
				// B written by goroutine 3: the read-only edge A->B
				// blocks from then on and closes the cycle there; the
				// later write along it finds nothing new.
				cycles: []string{"step 7: A B"},
			},
		},
		{
			name:  "read/upgrade-read-edge-to-write-rechecks",
			steps: []string{"1+rB", "1+A", "1-A", "1-B", "2+A", "2+rB", "2-B", "2+B"},
			want: scriptResult{
				edges: []string{"A->B R", "A->B W", "B->A W"}, written: "AB", added: []int{0, 1, 0, 1, 1},
				cycles: []string{"step 7: A B"},
			},
		},
		{
			name:  "recursion/same-instance",
			steps: []string{"1+A", "1+A"},
			want:  scriptResult{written: "A", added: []int{0, 0}, recursions: []string{"step 1: A1 at 0 same"}},
		},
		{
			name:  "recursion/same-instance-read",
			steps: []string{"1+rA", "1+B", "1+rA"},
			want: scriptResult{
				edges: []string{"A->B W"}, written: "B", added: []int{0, 1, 0},
				recursions: []string{"step 2: A1 at 0 same"},
			},
		},
		{
			name:  "recursion/same-class-other-instance",
			steps: []string{"1+A", "1+B", "1+A2"},
			want: scriptResult{
				edges: []string{"A->B W"}, written: "AB", added: []int{0, 1, 0},
				recursions: []string{"step 2: A1 at 0 class"},
			},
		},
		{
			name:  "recursion/trylock-is-not-recursion",
			steps: []string{"1+A", "1+tA2", "1+trA3"},
			want:  scriptResult{written: "A", added: []int{0, 0, 0}},
		},
		{
			name:  "recursion/write-still-marks-written",
			steps: []string{"1+rA", "1+A2"},
			want:  scriptResult{written: "A", added: []int{0, 0}, recursions: []string{"step 1: A1 at 0 class"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := runScript(t, newTestGraph(t, testLimits, 12), tc.steps)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(scriptResult{}), cmp.Comparer(errorsEqual)); diff != "" {
				t.Errorf("steps %v (-want +got):\n%s", tc.steps, diff)
			}
		})
	}
}

func errorsEqual(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// TestRecursionSameInstanceBelowSameClass: holding A1 and (by TryLock) A2,
// locking A1 again is a certain self-deadlock, whichever entry is newer.
func TestRecursionSameInstanceBelowSameClass(t *testing.T) {
	t.Parallel()
	g := newTestGraph(t, testLimits, 1)
	a1 := Acq{Class: 1, Addr: 0x11}
	a2 := Acq{Class: 1, Addr: 0x12, Try: true}
	res, err := g.Validate([]Acq{a1, a2}, a1, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Recursion == nil {
		t.Fatal("no recursion reported")
	}
	if !res.Recursion.Same {
		t.Errorf("Recursion = %+v, want Same (A1 is held at index 0)", *res.Recursion)
	}
	if want := (Recursion{Held: a1, Index: 0, Same: true}); *res.Recursion != want {
		t.Errorf("Recursion = %+v, want %+v", *res.Recursion, want)
	}
}

func TestCycleDetails(t *testing.T) {
	t.Parallel()
	// ABBCCA: the path runs from the new lock back to the held one, each
	// edge carrying the trace and goroutine of the acquisition that made
	// it.
	g := newTestGraph(t, testLimits, 3)
	steps := []struct {
		held []Acq
		next Acq
		gid  int64
	}{
		{[]Acq{{Class: 1}}, Acq{Class: 2}, 10},
		{[]Acq{{Class: 2}}, Acq{Class: 3}, 20},
		{[]Acq{{Class: 3}}, Acq{Class: 1}, 30},
	}
	var res Result
	for i, s := range steps {
		var err error
		res, err = g.Validate(s.held, s.next, s.gid, func() uint64 { return uint64(100 + i) })
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(res.Cycles) != 1 {
		t.Fatalf("got %d cycles, want 1", len(res.Cycles))
	}
	cy := res.Cycles[0]
	type edge struct {
		From, To    ClassID
		Trace       uint64
		Goroutine   int64
		Write, Read bool
	}
	conv := func(e *Edge) edge { return edge{e.From, e.To, e.Trace, e.Goroutine, e.Write, e.Read} }
	var path []edge
	for _, e := range cy.Path {
		path = append(path, conv(e))
	}
	wantNew := edge{3, 1, 102, 30, true, false}
	wantPath := []edge{{1, 2, 100, 10, true, false}, {2, 3, 101, 20, true, false}}
	if diff := cmp.Diff(wantNew, conv(cy.New)); diff != "" {
		t.Errorf("New (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPath, path); diff != "" {
		t.Errorf("Path (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]ClassID{3, 1, 2}, cycleClasses(cy)); diff != "" {
		t.Errorf("classes (-want +got):\n%s", diff)
	}
	var order []ClassID
	for _, e := range cy.Edges() {
		order = append(order, e.To)
	}
	// Print order: from the held lock (C) around to the new one (A).
	if diff := cmp.Diff([]ClassID{3, 2, 1}, order); diff != "" {
		t.Errorf("Edges() targets (-want +got):\n%s", diff)
	}
	// The written class records the first writer.
	if c := g.Class(2); !c.Written || c.WriteTrace != 100 || c.WriteGoroutine != 10 {
		t.Errorf("class B: Written %v, WriteTrace %d, WriteGoroutine %d; want true, 100, 10", c.Written, c.WriteTrace, c.WriteGoroutine)
	}
}

func TestReadTrace(t *testing.T) {
	t.Parallel()
	g := newTestGraph(t, testLimits, 2)
	if _, err := g.Validate([]Acq{{Class: 1}}, Acq{Class: 2, Mode: Read}, 7, func() uint64 { return 70 }); err != nil {
		t.Fatal(err)
	}
	e := g.Edge(1, 2)
	if e == nil || e.Write || !e.Read || e.ReadTrace != 70 || e.ReadGoroutine != 7 || e.Trace != 0 {
		t.Fatalf("edge A->B after RLock = %+v, want Read with ReadTrace 70, ReadGoroutine 7", e)
	}
	if _, err := g.Validate([]Acq{{Class: 1}}, Acq{Class: 2}, 8, func() uint64 { return 80 }); err != nil {
		t.Fatal(err)
	}
	if !e.Write || e.Trace != 80 || e.Goroutine != 8 || e.ReadTrace != 70 {
		t.Errorf("edge A->B after Lock = %+v, want Write with Trace 80, Goroutine 8, ReadTrace kept", e)
	}
}

func TestTraceCalledOnlyForChanges(t *testing.T) {
	t.Parallel()
	g := newTestGraph(t, testLimits, 2)
	calls := 0
	trace := func() uint64 { calls++; return 1 }
	steps := []struct {
		held      []Acq
		next      Acq
		wantCalls int
	}{
		{nil, Acq{Class: 1, Mode: Read}, 0},               // nothing recorded
		{nil, Acq{Class: 1}, 1},                           // A first written
		{nil, Acq{Class: 1}, 1},                           // nothing new
		{[]Acq{{Class: 1}}, Acq{Class: 2}, 2},             // edge and write, one call
		{[]Acq{{Class: 1}}, Acq{Class: 2}, 2},             // nothing new
		{[]Acq{{Class: 1}}, Acq{Class: 2, Mode: Read}, 3}, // the read mode is its own
		{[]Acq{{Class: 1}}, Acq{Class: 2, Mode: Read}, 3}, // nothing new
	}
	for i, s := range steps {
		if _, err := g.Validate(s.held, s.next, 1, trace); err != nil {
			t.Fatal(err)
		}
		if calls != s.wantCalls {
			t.Errorf("step %d: trace called %d times in all, want %d", i, calls, s.wantCalls)
		}
	}
	// A nil TraceFunc is allowed.
	g2 := newTestGraph(t, testLimits, 2)
	if _, err := g2.Validate(nil, Acq{Class: 1}, 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := g2.Validate([]Acq{{Class: 1}}, Acq{Class: 2}, 1, nil); err != nil {
		t.Fatal(err)
	}
	if e := g2.Edge(1, 2); e == nil || !e.Write || e.Trace != 0 || !g2.Class(1).Written {
		t.Errorf("with a nil TraceFunc: edge %+v, class A written %v", e, g2.Class(1).Written)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	t.Run("classes", func(t *testing.T) {
		t.Parallel()
		g := New(Limits{Classes: 2, Edges: 1, Chains: 1})
		for range 2 {
			if _, err := g.AddClass("x"); err != nil {
				t.Fatal(err)
			}
		}
		id, err := g.AddClass("y")
		var le *LimitError
		if !errors.As(err, &le) || *le != (LimitError{Bound: MaxClasses, Limit: 2}) || id != 0 {
			t.Fatalf("third AddClass = %d, %v; want 0, more than 2 lock classes", id, err)
		}
		if err.Error() != "more than 2 lock classes" {
			t.Errorf("Error() = %q", err.Error())
		}
		if g.NumClasses() != 2 || g.Class(3) != nil {
			t.Errorf("NumClasses = %d, Class(3) = %v after the limit", g.NumClasses(), g.Class(3))
		}
	})
	t.Run("dependencies", func(t *testing.T) {
		t.Parallel()
		g := newTestGraph(t, Limits{Classes: 4, Edges: 2, Chains: 1}, 4)
		got := runScript(t, g, []string{"1+A", "1+B", "1-A", "1+C", "1-B", "1+D"})
		want := scriptResult{
			edges: []string{"A->B W", "B->C W"}, written: "ABC", added: []int{0, 1, 1},
			err: &LimitError{Bound: MaxDependencies, Limit: 2},
		}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(scriptResult{}), cmp.Comparer(errorsEqual)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if g.NumEdges() != 2 || g.Edge(3, 4) != nil {
			t.Errorf("NumEdges = %d, Edge(C, D) = %v after the limit", g.NumEdges(), g.Edge(3, 4))
		}
		// An existing edge is still fine.
		if _, err := g.Validate([]Acq{{Class: 1}}, Acq{Class: 2, Mode: Read}, 1, nil); err != nil {
			t.Errorf("existing edge at the limit: %v", err)
		}
	})
	t.Run("chains", func(t *testing.T) {
		t.Parallel()
		g := New(Limits{Classes: 1, Edges: 1, Chains: 3})
		for k := uint64(1); k <= 3; k++ {
			if err := g.Chains.Insert(k, k*10); err != nil {
				t.Fatal(err)
			}
		}
		err := g.Chains.Insert(4, 40)
		var le *LimitError
		if !errors.As(err, &le) || *le != (LimitError{Bound: MaxChains, Limit: 3}) {
			t.Fatalf("fourth Insert = %v, want more than 3 lock chains", err)
		}
		if _, ok := g.Chains.Lookup(4); ok {
			t.Error("key 4 present after the limit")
		}
		if err := g.Chains.Insert(2, 99); err != nil {
			t.Errorf("re-inserting a present key at the limit: %v", err)
		}
		if v, ok := g.Chains.Lookup(2); !ok || v != 20 || g.Chains.Len() != 3 {
			t.Errorf("Lookup(2) = %d, %v, Len %d; want 20, true, 3", v, ok, g.Chains.Len())
		}
	})
	t.Run("names", func(t *testing.T) {
		t.Parallel()
		for b, want := range map[Bound]string{MaxClasses: "lock classes", MaxDependencies: "lock dependencies", MaxChains: "lock chains", MaxDepth: "locks held by one goroutine", 9: "Bound(9)"} {
			if got := b.String(); got != want {
				t.Errorf("Bound(%d).String() = %q, want %q", b, got, want)
			}
		}
	})
}

func TestGraphAccessors(t *testing.T) {
	t.Parallel()
	g := newTestGraph(t, testLimits, 3)
	runScript(t, g, []string{"1+C", "1+A", "1-C", "1+B", "2+A", "2+C"})
	var got []string
	g.Edges(func(e *Edge) { got = append(got, className(e.From)+className(e.To)) })
	// Insertion order per source class, sources in class order.
	if diff := cmp.Diff([]string{"AB", "AC", "CA"}, got); diff != "" {
		t.Errorf("Edges (-want +got):\n%s", diff)
	}
	if g.NumClasses() != 3 || g.NumEdges() != 3 || g.Class(0) != nil || g.Class(4) != nil || g.Class(2).Name != "B" {
		t.Errorf("NumClasses %d, NumEdges %d, Class(0) %v, Class(4) %v, Class(2) %+v",
			g.NumClasses(), g.NumEdges(), g.Class(0), g.Class(4), g.Class(2))
	}
	if g.Edge(2, 1) != nil || g.Edge(1, 2) == nil {
		t.Error("Edge lookups wrong")
	}
	for _, tc := range []struct {
		src, dst ClassID
		want     bool
	}{{1, 2, true}, {3, 2, true}, {2, 1, false}, {2, 3, false}} {
		if got := g.search(tc.src, tc.dst, nil) != nil; got != tc.want {
			t.Errorf("search(%d, %d) found %v, want %v", tc.src, tc.dst, got, tc.want)
		}
	}
}

// TestUnlink: withdrawing a mode leaves the other; withdrawing the last
// removes the edge from every list, so no later search or first write
// sees it.
func TestUnlink(t *testing.T) {
	t.Parallel()
	g := newTestGraph(t, testLimits, 3)
	runScript(t, g, []string{"1+A", "1+B", "1-B", "1+rB", "1-B", "1-A", "2+rC", "2+A"})
	ab, ca := g.Edge(1, 2), g.Edge(3, 1)
	if ab == nil || !ab.Write || !ab.Read || ca == nil || !ca.Write {
		t.Fatalf("setup: A->B %+v, C->A %+v", ab, ca)
	}
	g.Unlink(ab, Write)
	if g.Edge(1, 2) != ab || ab.Write || !ab.Read || ab.Trace != 0 {
		t.Errorf("after Unlink(A->B, W): %+v, want only R left", ab)
	}
	g.Unlink(ab, Write) // not there: no-op
	g.Unlink(ab, Read)
	if g.Edge(1, 2) != nil || g.NumEdges() != 1 {
		t.Errorf("after Unlink(A->B, R): edge %v, %d edges; want gone, 1", g.Edge(1, 2), g.NumEdges())
	}
	var left []string
	g.Edges(func(e *Edge) { left = append(left, className(e.From)+className(e.To)) })
	if diff := cmp.Diff([]string{"CA"}, left); diff != "" {
		t.Errorf("Edges (-want +got):\n%s", diff)
	}
	// C->A is a read edge into unwritten C... no: C was read-locked, A
	// written. A read edge into B, withdrawn, must not be checked when B
	// is first written.
	g2 := newTestGraph(t, testLimits, 2)
	runScript(t, g2, []string{"1+A", "1+rB", "1-B", "1-A", "2+rB", "2+A", "2-A", "2-B"})
	g2.Unlink(g2.Edge(1, 2), Read)
	if got := g2.MarkWritten(2, 3, 9); len(got) != 0 {
		t.Errorf("first write of B after A->B was withdrawn closed %d cycles", len(got))
	}
}

func TestWalked(t *testing.T) {
	g := New(Limits{Classes: 8, Edges: 16, Chains: 16})
	ids := map[string]ClassID{}
	for _, n := range []string{"S", "G", "A", "B", "X"} {
		ids[n], _ = g.AddClass(n)
	}
	edge := func(from, to string) *Edge {
		g.Link(ids[from], ids[to], Write, 1, 1)
		return g.Edge(ids[from], ids[to])
	}
	sg, gs, ab, ba := edge("S", "G"), edge("G", "S"), edge("A", "B"), edge("B", "A")
	sx, xg := edge("S", "X"), edge("X", "G")
	chain := func(ns ...string) []ClassID {
		var c []ClassID
		for _, n := range ns {
			c = append(c, ids[n])
		}
		return c
	}
	if !g.AddNesting(chain("S", "X", "G", "S")) || g.AddNesting(chain("S", "X", "G", "S")) {
		t.Fatal("AddNesting: new the first time only")
	}
	for _, tc := range []struct {
		name  string
		cycle []*Edge
		want  bool
	}{
		{"walked", []*Edge{sg, gs}, true},
		{"walked-from-the-other-class", []*Edge{gs, sg}, true},
		{"walked-through-more", []*Edge{sx, xg, gs}, true},
		{"other-classes", []*Edge{ab, ba}, false},
		{"out-of-order", []*Edge{xg, gs, sx}, true}, // the same cycle, from X
	} {
		if got := g.Walked(tc.cycle); got != tc.want {
			t.Errorf("%s: Walked = %v, want %v", tc.name, got, tc.want)
		}
	}
	g2 := New(Limits{Classes: 8, Edges: 16, Chains: 16})
	a, _ := g2.AddClass("A")
	b, _ := g2.AddClass("B")
	g2.Link(a, b, Write, 1, 1)
	g2.Link(b, a, Write, 1, 1)
	g2.AddNesting([]ClassID{a, b, b, a}) // B twice: A, B, then A again
	if !g2.Walked([]*Edge{g2.Edge(a, b), g2.Edge(b, a)}) {
		t.Error("a nesting through its cycle's classes does not walk it")
	}
}

func TestGuard(t *testing.T) {
	g := New(Limits{Classes: 8, Edges: 16, Chains: 16})
	a, _ := g.AddClass("A")
	b, _ := g.AddClass("B")
	w, _ := g.AddClass("W")
	x, _ := g.AddClass("X")
	g.Link(a, b, Write, 1, 1)
	g.Link(b, a, Write, 1, 1)
	ab, ba := g.Edge(a, b), g.Edge(b, a)
	if _, ok := g.Guard([]*Edge{ab, ba}); ok {
		t.Error("guarded before any guard was noted")
	}
	g.NoteGuards(ab, []ClassID{w, x})
	g.NoteGuards(ba, []ClassID{w})
	if c, ok := g.Guard([]*Edge{ab, ba}); !ok || c != w {
		t.Errorf("Guard = %v, %v; want W", c, ok)
	}
	if lost := g.NoteGuards(ab, []ClassID{x}); !lost {
		t.Error("NoteGuards without W: lost = false")
	}
	if _, ok := g.Guard([]*Edge{ab, ba}); ok {
		t.Error("still guarded once a dependency was made without the guard")
	}
}

func TestThroughs(t *testing.T) {
	g := New(Limits{Classes: 8, Edges: 16, Chains: 16})
	ids := map[string]ClassID{}
	for _, n := range []string{"L", "M", "E"} {
		ids[n], _ = g.AddClass(n)
	}
	g.Class(ids["E"]).Shared = true
	edge := func(from, to string) *Edge {
		g.Link(ids[from], ids[to], Write, 1, 1)
		return g.Edge(ids[from], ids[to])
	}
	le, em, ml := edge("L", "E"), edge("E", "M"), edge("M", "L")
	lm := edge("L", "M")
	cycle := []*Edge{le, em, ml}
	if g.Passes(cycle) {
		t.Error("a cycle through an event class with no through passes")
	}
	if got := g.Unpassed(cycle); len(got) != 1 || got[0] != ids["E"] {
		t.Errorf("Unpassed = %v, want [E]", got)
	}
	if !g.Passes([]*Edge{lm, ml}) {
		t.Error("a cycle of locks does not pass")
	}
	// A through of other classes is not the cycle's.
	if !g.AddThrough(ids["M"], ids["E"], ids["L"]) || g.Passes(cycle) {
		t.Error("a through of other classes: new, and not the cycle's")
	}
	if !g.AddThrough(ids["L"], ids["E"], ids["M"]) || !g.Passes(cycle) {
		t.Error("a cycle through its event by a through does not pass")
	}
	if got := g.Throughs(); len(got) != 2 {
		t.Errorf("Throughs = %v, want 2", got)
	}
	if g.AddThrough(ids["L"], ids["E"], ids["M"]) {
		t.Error("AddThrough: new the second time")
	}
}
