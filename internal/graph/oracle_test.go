package graph

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The reference oracle: random acquisition sequences of a few goroutines
// are fed to Validate exactly as the validator feeds them, while a
// brute-force model computes the dependencies by the rules of DESIGN.md §3
// and finds cycles by plain depth-first search over every edge.

const (
	oracleGoroutines = 3
	oracleClasses    = 6
	oracleDepth      = 8 // held locks per goroutine
)

// oracleOp is one decoded operation: an acquisition or a release of the
// held entry at position pos (modulo the stack depth) by goroutine g.
type oracleOp struct {
	g       int
	release bool
	pos     int
	acq     Acq
}

func (o oracleOp) String() string {
	if o.release {
		return fmt.Sprintf("g%d release [%d]", o.g, o.pos)
	}
	return fmt.Sprintf("g%d acquire %s", o.g, acqString(o.acq))
}

func acqString(a Acq) string {
	var b strings.Builder
	if a.Try {
		b.WriteByte('t')
	}
	if a.Mode == Read {
		b.WriteByte('r')
	}
	fmt.Fprintf(&b, "%c%d", 'A'+rune(a.Class)-1, a.Addr&0xf)
	return b.String()
}

// decodeOps turns a byte string into operations, two bytes each. Byte 0
// picks the goroutine and the kind (two thirds acquisitions); byte 1 the
// class, mode, instance (two per class) and, about a quarter of the time,
// a trylock — or, for a release, the position released.
func decodeOps(data []byte) []oracleOp {
	var ops []oracleOp
	for ; len(data) >= 2; data = data[2:] {
		b0, b1 := data[0], data[1]
		o := oracleOp{g: int(b0 % oracleGoroutines)}
		if (b0/oracleGoroutines)%3 == 2 {
			o.release, o.pos = true, int(b1)
		} else {
			c := ClassID(b1%oracleClasses + 1)
			b1 /= oracleClasses
			mode := Mode(b1 % 2)
			b1 /= 2
			inst := uintptr(b1%2) + 1
			b1 /= 2
			o.acq = Acq{Class: c, Mode: mode, Try: b1%4 == 0, Addr: uintptr(c)<<4 | inst}
		}
		ops = append(ops, o)
	}
	return ops
}

// modelEdge is the model's view of a dependency.
type modelEdge struct{ write, read bool }

// matches reports whether ge has the model's modes.
func (e *modelEdge) matches(ge *Edge) bool {
	return ge != nil && ge.Write == e.write && ge.Read == e.read
}

// model is the brute-force reference: every edge ever created, with its
// modes, and the set of written classes. Classes are 1..oracleClasses.
type model struct {
	edges   [oracleClasses + 1][oracleClasses + 1]*modelEdge
	written [oracleClasses + 1]bool
	nEdges  int
}

// blockSet is the set of blocking edges, by class pair.
type blockSet [oracleClasses + 1][oracleClasses + 1]bool

func newModel() *model { return &model{} }

func (m *model) isBlocking(k [2]ClassID) bool {
	e := m.edges[k[0]][k[1]]
	return e != nil && (e.write || (e.read && m.written[k[1]]))
}

func (m *model) blockingSet() (s blockSet) {
	for from := range s {
		for to := range s[from] {
			s[from][to] = m.isBlocking([2]ClassID{ClassID(from), ClassID(to)})
		}
	}
	return s
}

// edgeFlags is a snapshot of one edge of the model.
type edgeFlags struct{ exists, write, read bool }

func (m *model) flags() (f [oracleClasses + 1][oracleClasses + 1]edgeFlags) {
	for from := range m.edges {
		for to, e := range m.edges[from] {
			if e != nil {
				f[from][to] = edgeFlags{true, e.write, e.read}
			}
		}
	}
	return f
}

// forEdges calls f for every edge of the model.
func (m *model) forEdges(f func(k [2]ClassID, e *modelEdge)) {
	for from := range m.edges {
		for to, e := range m.edges[from] {
			if e != nil {
				f([2]ClassID{ClassID(from), ClassID(to)}, e)
			}
		}
	}
}

// acquire applies the rules of DESIGN.md §3 for acquiring next while
// holding held (oldest first). It returns the dependencies added (edge
// modes set that were not) and whether the acquisition is recursive.
func (m *model) acquire(held []Acq, next Acq) (added []string, recursive bool) {
	if next.Try {
		// A trylock cannot block: no inbound edge, no recursion, and it
		// does not make its class written.
		return nil, false
	}
	for _, h := range held {
		if h.Class == next.Class {
			recursive = true
		}
	}
	if !recursive {
		// An edge from every held lock, each mode on its own.
		for _, h := range held {
			e := m.edges[h.Class][next.Class]
			if e == nil {
				e = &modelEdge{}
				m.edges[h.Class][next.Class] = e
				m.nEdges++
			}
			switch {
			case next.Mode == Write && !e.write:
				e.write = true
				added = append(added, fmt.Sprintf("%d->%d W", h.Class, next.Class))
			case next.Mode == Read && !e.read:
				e.read = true
				added = append(added, fmt.Sprintf("%d->%d R", h.Class, next.Class))
			}
		}
	}
	if next.Mode == Write {
		m.written[next.Class] = true
	}
	return added, recursive
}

// reaches reports whether a path of blocking edges leads from src to dst
// (depth-first, over all edges).
func (m *model) reaches(src, dst ClassID) bool {
	var seen [oracleClasses + 1]bool
	seen[src] = true
	stack := []ClassID{src}
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if c == dst {
			return true
		}
		for to := ClassID(1); to <= oracleClasses; to++ {
			if !seen[to] && m.isBlocking([2]ClassID{c, to}) {
				seen[to] = true
				stack = append(stack, to)
			}
		}
	}
	return false
}

// hasCycle reports whether the blocking graph has a cycle (three-colour
// depth-first search).
func (m *model) hasCycle() bool {
	const (
		white = iota
		grey
		black
	)
	var colour [oracleClasses + 1]int
	var visit func(c ClassID) bool
	visit = func(c ClassID) bool {
		colour[c] = grey
		for to := ClassID(1); to <= oracleClasses; to++ {
			if !m.isBlocking([2]ClassID{c, to}) {
				continue
			}
			switch colour[to] {
			case grey:
				return true
			case white:
				if visit(to) {
					return true
				}
			}
		}
		colour[c] = black
		return false
	}
	for c := ClassID(1); c <= oracleClasses; c++ {
		if colour[c] == white && visit(c) {
			return true
		}
	}
	return false
}

// runOracle feeds ops to a fresh graph and the model and returns the first
// discrepancy, or "". It also returns the step at which Validate first
// reported a cycle and the step after which the model first had one (-1
// for none).
func runOracle(ops []oracleOp) (problem string, firstReported, firstModel int) {
	g := New(testLimits)
	for i := range oracleClasses {
		if _, err := g.AddClass(string(rune('A' + i))); err != nil {
			return fmt.Sprintf("AddClass: %v", err), -1, -1
		}
	}
	m := newModel()
	held := make([][]Acq, oracleGoroutines)
	firstReported, firstModel = -1, -1
	// The steps so far, formatted only on failure.
	type logEntry struct {
		step, g int
		release bool
		a       Acq
		held    []Acq
	}
	var log []logEntry
	fail := func(format string, args ...any) (string, int, int) {
		var b strings.Builder
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\nsteps:")
		for _, l := range log {
			if l.release {
				fmt.Fprintf(&b, "\n  %d: g%d release %s", l.step, l.g, acqString(l.a))
			} else {
				fmt.Fprintf(&b, "\n  %d: g%d acquire %s holding %s", l.step, l.g, acqString(l.a), acqsString(l.held))
			}
		}
		return b.String(), firstReported, firstModel
	}
	for step, o := range ops {
		h := held[o.g]
		if o.release {
			if len(h) > 0 {
				i := o.pos % len(h)
				log = append(log, logEntry{step: step, g: o.g, release: true, a: h[i]})
				held[o.g] = slices.Delete(h, i, i+1)
			}
			continue
		}
		next := o.acq
		if len(h) >= oracleDepth {
			continue // keep stacks shallow, as real ones are
		}
		if next.Try && slices.ContainsFunc(h, func(a Acq) bool { return a.Addr == next.Addr }) {
			continue // a trylock of a lock the goroutine holds fails
		}
		log = append(log, logEntry{step: step, g: o.g, a: next, held: slices.Clone(h)})

		// The chain cache's premise: a chain seen before changes nothing.
		key := uint64(0)
		for _, a := range h {
			key = ChainKey(key, a)
		}
		key = ChainKey(key, next)
		_, cached := g.Chains.Lookup(key)

		before := m.blockingSet()
		written := m.written
		added, recursive := m.acquire(h, next)
		if cached && (len(added) != 0 || m.written != written || m.blockingSet() != before) {
			return fail("step %d: chain was cached but the acquisition changed the model", step)
		}
		if cached {
			// Flags of existing edges may not have changed either.
			var changed [][2]ClassID
			m.forEdges(func(k [2]ClassID, e *modelEdge) {
				if !e.matches(g.Edge(k[0], k[1])) {
					changed = append(changed, k)
				}
			})
			if changed != nil {
				return fail("step %d: chain was cached but edges %v changed", step, changed)
			}
		}

		traceCalls := 0
		res, err := g.Validate(slices.Clone(h), next, int64(o.g+1), func() uint64 { traceCalls++; return uint64(step + 1) })
		if err != nil {
			return fail("step %d: Validate: %v", step, err)
		}
		if traceCalls > 1 {
			return fail("step %d: trace called %d times, want at most 1", step, traceCalls)
		}
		if len(g.edges) != m.nEdges || g.NumEdges() != m.nEdges {
			return fail("step %d: graph has %d edges (NumEdges %d), model %d", step, len(g.edges), g.NumEdges(), m.nEdges)
		}
		if want := !written[next.Class] && m.written[next.Class]; res.Written != want {
			return fail("step %d: Result.Written = %v, want %v", step, res.Written, want)
		}
		// Deps: one per held entry unless recursive or a trylock, naming
		// the graph's edge; Added exactly for the modes the model added.
		if want := len(h); !recursive && !next.Try && len(res.Deps) != want {
			return fail("step %d: %d deps, want one per held lock (%d)", step, len(res.Deps), want)
		}
		var gotAdded []string
		for _, d := range res.Deps {
			if d.Edge == nil || g.Edge(d.Edge.From, d.Edge.To) != d.Edge || d.Edge.From != h[d.Held].Class || d.Edge.To != next.Class || d.Mode != next.Mode {
				return fail("step %d: dep %+v does not name the edge from held entry %d", step, d, d.Held)
			}
			if d.Added {
				m := "W"
				if d.Mode == Read {
					m = "R"
				}
				gotAdded = append(gotAdded, fmt.Sprintf("%d->%d %s", d.Edge.From, d.Edge.To, m))
			}
		}
		slices.Sort(added)
		slices.Sort(gotAdded)
		if !slices.Equal(added, gotAdded) {
			return fail("step %d: added %v, model added %v", step, gotAdded, added)
		}
		if got := res.Recursion != nil; got != recursive {
			return fail("step %d: recursion = %v, want %v", step, got, recursive)
		}
		if r := res.Recursion; r != nil {
			if r.Index < 0 || r.Index >= len(h) || h[r.Index] != r.Held || r.Held.Class != next.Class {
				return fail("step %d: recursion %+v does not name a held entry of class %d", step, *r, next.Class)
			}
			if r.Same != (r.Held.Addr == next.Addr) {
				return fail("step %d: recursion %+v: Same disagrees with the entry named", step, *r)
			}
		}
		var wrong []string
		m.forEdges(func(k [2]ClassID, e *modelEdge) {
			if ge := g.Edge(k[0], k[1]); !e.matches(ge) {
				wrong = append(wrong, fmt.Sprintf("edge %v: graph %+v, model %+v", k, ge, *e))
			}
		})
		if wrong != nil {
			return fail("step %d: %s", step, strings.Join(wrong, "; "))
		}
		for c := ClassID(1); c <= oracleClasses; c++ {
			if g.Class(c).Written != m.written[c] {
				return fail("step %d: class %d written = %v, model %v", step, c, g.Class(c).Written, m.written[c])
			}
		}

		// Cycles: exactly the edges that became blocking in this step and
		// lie on a cycle of blocking edges are reported, each once, each
		// with a real closed walk of blocking edges.
		blockingAfter := m.blockingSet()
		var want, got []string
		for from := ClassID(1); from <= oracleClasses; from++ {
			for to := ClassID(1); to <= oracleClasses; to++ {
				if blockingAfter[from][to] && !before[from][to] && m.reaches(to, from) {
					want = append(want, fmt.Sprint([2]ClassID{from, to}))
				}
			}
		}
		for _, cy := range res.Cycles {
			if msg := checkCycle(g, m, cy); msg != "" {
				return fail("step %d: %s", step, msg)
			}
			got = append(got, fmt.Sprint([2]ClassID{cy.New.From, cy.New.To}))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return fail("step %d: cycles closed by %v, model says %v", step, got, want)
		}
		if len(res.Cycles) > 0 && firstReported < 0 {
			firstReported = step
		}
		if firstModel < 0 && m.hasCycle() {
			firstModel = step
		}
		if firstReported != firstModel {
			return fail("step %d: first cycle reported at step %d, model cyclic from step %d", step, firstReported, firstModel)
		}

		if res.Recursion == nil && len(res.Cycles) == 0 {
			if err := g.Chains.Insert(key, uint64(step+1)); err != nil {
				return fail("step %d: Insert: %v", step, err)
			}
		}
		// The validator pushes the entry, findings or not.
		held[o.g] = append(h, next)
	}
	return "", firstReported, firstModel
}

func acqsString(as []Acq) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = acqString(a)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// checkCycle verifies that cy is a closed walk New, Path[0], …, of edges
// that are in the graph and blocking in the model.
func checkCycle(g *Graph, m *model, cy *Cycle) string {
	if cy.New == nil || len(cy.Path) == 0 {
		return fmt.Sprintf("cycle without edges: %+v", cy)
	}
	walk := append([]*Edge{cy.New}, cy.Path...)
	for i, e := range walk {
		k := [2]ClassID{e.From, e.To}
		if g.Edge(e.From, e.To) != e {
			return fmt.Sprintf("cycle edge %v is not the graph's edge", k)
		}
		if !m.isBlocking(k) {
			return fmt.Sprintf("cycle edge %v is not blocking in the model", k)
		}
		if nx := walk[(i+1)%len(walk)]; e.To != nx.From {
			return fmt.Sprintf("cycle is not a closed walk: %v then %v", k, [2]ClassID{nx.From, nx.To})
		}
	}
	if es := cy.Edges(); len(es) != len(walk) || es[len(es)-1] != cy.New {
		return fmt.Sprintf("Edges() = %v does not end with New", es)
	}
	return ""
}

func TestOracleRandom(t *testing.T) {
	t.Parallel()
	n := 3000
	if testing.Short() {
		n = 300
	}
	if s := os.Getenv("LOCKDEP_MODEL_SCHEDULES"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	cyclic := 0
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 0x10cdef))
		data := make([]byte, 2*(10+r.IntN(120)))
		for i := range data {
			data[i] = byte(r.Uint32())
		}
		problem, first, _ := runOracle(decodeOps(data))
		if problem != "" {
			t.Fatalf("seed %d (input %x): %s", seed, data, problem)
		}
		if first >= 0 {
			cyclic++
		}
	}
	// The generator must exercise both outcomes.
	if cyclic == 0 || cyclic == n {
		t.Errorf("%d of %d runs found a cycle; the generator is useless", cyclic, n)
	}
	t.Logf("%d of %d runs found a cycle", cyclic, n)
}

func FuzzValidate(f *testing.F) {
	enc := func(ops ...[2]byte) []byte {
		var b []byte
		for _, o := range ops {
			b = append(b, o[0], o[1])
		}
		return b
	}
	// acq(g, class 1..6, read, inst 0/1, try) and rel(g, pos) build
	// inputs that decode to the given operations.
	acq := func(g int, c int, read bool, inst int, try bool) [2]byte {
		b1 := c - 1 + oracleClasses*(b2i(read)+2*(inst+2*(1-b2i(try))))
		return [2]byte{byte(g), byte(b1)}
	}
	rel := func(g, pos int) [2]byte { return [2]byte{byte(g + 2*oracleGoroutines), byte(pos)} }
	// ABBA.
	f.Add(enc(acq(0, 1, false, 0, false), acq(0, 2, false, 0, false), rel(0, 1), rel(0, 0),
		acq(1, 2, false, 0, false), acq(1, 1, false, 0, false)))
	// ABBCCA over three goroutines.
	f.Add(enc(acq(0, 1, false, 0, false), acq(0, 2, false, 0, false),
		acq(1, 2, false, 1, false), acq(1, 3, false, 0, false),
		acq(2, 3, false, 1, false), acq(2, 1, false, 1, false)))
	// A read-read inversion, made blocking by a later writer.
	f.Add(enc(acq(0, 1, true, 0, false), acq(0, 2, true, 0, false), rel(0, 0), rel(0, 0),
		acq(1, 2, true, 0, false), acq(1, 1, true, 0, false), rel(1, 1), rel(1, 0),
		acq(2, 1, false, 0, false)))
	// Trylocks above a plain lock, and a release from the middle.
	f.Add(enc(acq(0, 1, false, 0, false), acq(0, 2, false, 0, true), acq(0, 3, true, 0, true),
		acq(0, 4, false, 0, false), rel(0, 1), acq(0, 5, false, 0, false),
		acq(1, 5, false, 0, false), acq(1, 2, false, 0, false)))
	// Recursion: same instance, then same class.
	f.Add(enc(acq(0, 6, false, 0, false), acq(0, 6, false, 0, false), acq(0, 6, true, 1, false)))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 600 {
			return
		}
		if problem, _, _ := runOracle(decodeOps(data)); problem != "" {
			t.Fatal(problem)
		}
	})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestFuzzSeedsDecode pins the seed encoding used by FuzzValidate.
func TestFuzzSeedsDecode(t *testing.T) {
	t.Parallel()
	got := fmt.Sprint(decodeOps([]byte{0, 24, 7, 3, 1, 6*(1+2*(1+2*1)) + 2, 2, 6 * 2 * 2 * 0}))
	want := "[g0 acquire A1 g1 release [3] g1 acquire rC2 g2 acquire tA1]"
	if got != want {
		t.Errorf("decodeOps = %s, want %s", got, want)
	}
}

// TestOracleDAG: acquiring classes only in increasing order can never
// close a cycle, whatever the modes, trylocks and release order.
func TestOracleDAG(t *testing.T) {
	t.Parallel()
	const classes = 40
	g := New(testLimits)
	for i := range classes {
		if _, err := g.AddClass(fmt.Sprint("c", i)); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	held := make([][]Acq, 4)
	ops := 20000
	if testing.Short() {
		ops = 2000
	}
	acquisitions := 0
	for step := range ops {
		gi := r.IntN(len(held))
		h := held[gi]
		if len(h) > 0 && (r.IntN(3) == 0 || h[len(h)-1].Class == classes) {
			i := r.IntN(len(h))
			held[gi] = slices.Delete(h, i, i+1)
			continue
		}
		lo := ClassID(1)
		if len(h) > 0 {
			lo = h[len(h)-1].Class + 1
		}
		c := lo + ClassID(r.IntN(int(classes-lo)+1))
		next := Acq{Class: c, Mode: Mode(r.IntN(2)), Try: r.IntN(4) == 0, Addr: uintptr(c)}
		res, err := g.Validate(slices.Clone(h), next, int64(gi+1), func() uint64 { return uint64(step) })
		if err != nil {
			t.Fatal(err)
		}
		if res.Recursion != nil || len(res.Cycles) != 0 {
			t.Fatalf("step %d: acquiring %v holding %v: recursion %+v, %d cycles", step, next, h, res.Recursion, len(res.Cycles))
		}
		held[gi] = append(h, next)
		acquisitions++
	}
	if g.NumEdges() < 100 {
		t.Errorf("only %d edges after %d acquisitions", g.NumEdges(), acquisitions)
	}
	// Every edge goes up: the graph really is the DAG we meant.
	g.Edges(func(e *Edge) {
		if e.From >= e.To {
			t.Errorf("edge %d->%d goes down", e.From, e.To)
		}
	})
}
