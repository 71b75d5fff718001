package lockdep

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/stack"
)

// The process has one validator. active points to it while validation is
// on; the lock types test it once per operation, so Off costs one branch.
var (
	active atomic.Pointer[validator]

	validatorMu sync.Mutex
	current     *validator // made on first use
)

// theValidator returns the process's validator, making it on first use.
func theValidator() *validator {
	validatorMu.Lock()
	defer validatorMu.Unlock()
	if current == nil {
		current = newValidator(envLimits)
	}
	return current
}

// validator is the process-wide state. The fast path (a lock sequence
// seen before) touches only the calling goroutine's held stack and the
// lock-free chain cache; everything else is guarded by mu, which is taken
// only on a chain-cache miss and never while user code runs.
type validator struct {
	gen   uint64 // distinguishes validators (tests make several)
	table *held.Table
	dead  atomic.Bool // a bound was hit: validation is off for good

	mu        sync.Mutex
	g         *graph.Graph
	traces    [][]uintptr    // trace ID-1 → program counters
	instNames map[string]int // per-instance class names handed out
	seen      map[string]bool
	findings  []Report

	events *events.Writer // LOCKDEP_GRAPH: the record for the lockdep command

	emitMu     sync.Mutex // serialises printing
	jsonFile   *os.File
	jsonFailed bool
}

var generations atomic.Uint64

func newValidator(l limits) *validator {
	var ev *events.Writer
	if graphDir != "" {
		ev = events.NewWriter(graphDir)
		ev.Start()
	}
	return &validator{
		events:    ev,
		gen:       generations.Add(1),
		table:     held.NewTable(l.goroutines, l.depth),
		g:         graph.New(graph.Limits{Classes: l.classes, Edges: l.edges, Chains: l.chains}),
		instNames: make(map[string]int),
		seen:      make(map[string]bool),
	}
}

func modeOf(read bool) graph.Mode {
	if read {
		return graph.Read
	}
	return graph.Write
}

// classID returns the graph class of c's subclass sub, registering it on
// first use; 0 if a bound was hit.
func (v *validator) classID(c *Class, sub int) graph.ClassID {
	if x := c.ids[sub].Load(); x>>32 == v.gen {
		return graph.ClassID(uint32(x))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if x := c.ids[sub].Load(); x>>32 == v.gen {
		return graph.ClassID(uint32(x))
	}
	id, err := v.g.AddClass(c.subName(sub))
	if err != nil {
		v.stopLocked(err)
		return 0
	}
	c.ids[sub].Store(v.gen<<32 | uint64(id))
	if v.events != nil {
		v.events.Write(events.Event{Class: &events.Class{ID: uint32(id), Name: c.subName(sub), Instance: c.instance}})
	}
	return id
}

// instanceClass makes the class of a lock used without one: named after
// where it is first locked.
func (v *validator) instanceClass(kind string) *Class {
	name := kind
	for _, f := range stack.Frames(stack.Capture(1)) {
		name = fmt.Sprintf("%s@%s:%d", kind, f.File, f.Line)
		break
	}
	v.mu.Lock()
	n := v.instNames[name]
	v.instNames[name] = n + 1
	v.mu.Unlock()
	if n > 0 {
		name = fmt.Sprintf("%s#%d", name, n+1)
	}
	c := NewClass(name)
	c.instance = true
	return c
}

// acquire validates taking the lock at addr, of class c, and pushes it on
// the goroutine's held stack, which it returns; the caller marks it Held
// once the lock is. It runs before a blocking acquisition (so that it
// reports before blocking forever) and after a successful try.
func (v *validator) acquire(addr uintptr, c *Class, sub int, mode graph.Mode, try bool) *held.Stack {
	id := v.classID(c, sub)
	if id == 0 {
		return nil
	}
	gid := v.table.ID()
	st := v.table.Get(gid)
	a := graph.Acq{Class: id, Mode: mode, Try: try, Addr: addr}
	key := graph.ChainKey(st.Top(), a)
	site, hit := v.g.Chains.Lookup(key)
	var reps []Report
	if !hit {
		site, reps = v.miss(st, gid, a, key)
	}
	if len(st.Entries) >= v.table.MaxDepth() {
		v.stop(&graph.LimitError{What: "locks held by one goroutine", Limit: v.table.MaxDepth()})
		return nil
	}
	st.Push(a, key, site)
	if reps != nil {
		v.emit(reps)
	}
	return st
}

// miss validates an acquisition whose chain is not cached. It returns the
// trace of this acquisition and any new findings.
func (v *validator) miss(st *held.Stack, gid int64, a graph.Acq, key uint64) (uint64, []Report) {
	pcs := stack.Capture(1)
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.dead.Load() {
		return 0, nil
	}
	// The stack is kept only if a dependency or the chain cache refers to
	// it: a recurring finding (an uncached chain) must not grow memory.
	var tid uint64
	trace := func() uint64 {
		if tid == 0 {
			tid = v.addTrace(pcs)
		}
		return tid
	}
	res, err := v.g.Validate(st.Acqs(nil), a, gid, trace)
	if err != nil {
		v.stopLocked(err)
		return tid, nil
	}
	if v.events != nil {
		v.logChanges(res, a)
	}
	var reps []Report
	if r := res.Recursion; r != nil {
		reps = v.record(reps, v.recursionReport(st, gid, a, r, pcs))
	}
	for _, cy := range res.Cycles {
		reps = v.record(reps, v.cycleReport(st, gid, a, cy, pcs))
	}
	if res.Recursion == nil && len(res.Cycles) == 0 {
		// A chain with a finding stays uncached so that it is checked
		// again (a later same-instance recursion is a different problem).
		if err := v.g.Chains.Insert(key, trace()); err != nil {
			v.stopLocked(err)
		}
	}
	return tid, reps
}

// release drops the calling goroutine's entry for addr. It reports false
// if the goroutine does not hold it; the caller then tells a bad unlock
// from an unlock on behalf of another goroutine (see handoff).
func (v *validator) release(addr uintptr, mode graph.Mode) bool {
	st := v.table.Lookup(v.table.ID())
	if st == nil {
		return false
	}
	i := st.Find(addr, mode)
	if i < 0 {
		return false
	}
	st.Remove(i)
	return true
}

// handoff records an unlock by a goroutine that does not hold the lock,
// which is legal: the holder drops its entry before its next operation.
func (v *validator) handoff(addr uintptr, mode graph.Mode) { v.table.Post(addr, mode) }

// holds reports whether the calling goroutine holds addr in one of modes.
func (v *validator) holds(addr uintptr, modes ...graph.Mode) bool {
	st := v.table.Lookup(v.table.ID())
	if st == nil {
		return false
	}
	for _, m := range modes {
		if st.Find(addr, m) >= 0 {
			return true
		}
	}
	return false
}

func (v *validator) addTrace(pcs []uintptr) uint64 {
	v.traces = append(v.traces, pcs)
	return uint64(len(v.traces))
}

func (v *validator) frames(tid uint64) []Frame {
	if tid == 0 || tid > uint64(len(v.traces)) {
		return nil
	}
	return toFrames(stack.Frames(v.traces[tid-1]))
}

func toFrames(fs []stack.Frame) []Frame {
	out := make([]Frame, len(fs))
	for i, f := range fs {
		out[i] = Frame(f)
	}
	return out
}

func first(fs []Frame) *Frame {
	if len(fs) == 0 {
		return nil
	}
	f := fs[0]
	return &f
}

func modeName(a graph.Acq) string {
	switch {
	case a.Try:
		return "T"
	case a.Mode == graph.Read:
		return "R"
	}
	return "W"
}

func (v *validator) className(id graph.ClassID) string {
	if c := v.g.Class(id); c != nil {
		return c.Name
	}
	return "?"
}

func (v *validator) lockOf(e held.Entry) Lock {
	return Lock{Class: v.className(e.Class), Mode: modeName(e.Acq), At: first(v.frames(e.Site))}
}

func (v *validator) heldLocks(st *held.Stack) []Lock {
	locks := []Lock{}
	if st == nil {
		return locks
	}
	for _, e := range st.Entries {
		locks = append(locks, v.lockOf(e))
	}
	return locks
}

func (v *validator) recursionReport(st *held.Stack, gid int64, a graph.Acq, r *graph.Recursion, pcs []uintptr) Report {
	fs := toFrames(stack.Frames(pcs))
	holding := v.lockOf(st.Entries[r.Index])
	var detail string
	switch {
	case r.Same && a.Mode == graph.Read && r.Held.Mode == graph.Read:
		detail = "This read-locks the same RWMutex twice. Go's readers are not recursive: a writer waiting in between blocks this goroutine forever."
	case r.Same:
		detail = "This is the same lock instance: the goroutine blocks forever."
	default:
		detail = "Both locks are of the same class: two goroutines taking two of them in opposite orders deadlock. If the nesting is deliberate, take the inner lock with LockNested."
	}
	return Report{
		Kind:      Recursive,
		Headline:  Recursive.Headline(),
		Goroutine: gid,
		Lock:      Lock{Class: v.className(a.Class), Mode: modeName(a), At: first(fs)},
		Holding:   &holding,
		Detail:    detail,
		HeldLocks: v.heldLocks(st),
		Stack:     fs,
	}
}

func (v *validator) edgeDep(e *graph.Edge) Dependency {
	d := Dependency{Class: v.className(e.To), After: v.className(e.From)}
	if e.Write {
		d.Mode, d.Goroutine, d.Stack = "W", e.Goroutine, v.frames(e.Trace)
	} else {
		d.Mode, d.Goroutine, d.Stack = "R", e.ReadGoroutine, v.frames(e.ReadTrace)
	}
	return d
}

func (v *validator) cycleReport(st *held.Stack, gid int64, a graph.Acq, cy *graph.Cycle, pcs []uintptr) Report {
	fs := toFrames(stack.Frames(pcs))
	rep := Report{
		Kind:      Circular,
		Headline:  Circular.Headline(),
		Goroutine: gid,
		Lock:      Lock{Class: v.className(a.Class), Mode: modeName(a), At: first(fs)},
		HeldLocks: v.heldLocks(st),
		Stack:     fs,
	}
	if cy.New.To == a.Class {
		// The new dependency closes the cycle: name the held lock it
		// comes from.
		for i := len(st.Entries) - 1; i >= 0; i-- {
			if e := st.Entries[i]; e.Class == cy.New.From {
				l := v.lockOf(e)
				rep.Holding = &l
				break
			}
		}
	}
	edges := make([]*graph.Edge, 0, len(cy.Path)+1)
	for i := len(cy.Path) - 1; i >= 0; i-- {
		edges = append(edges, cy.Path[i])
	}
	edges = append(edges, cy.New)
	for _, e := range edges {
		rep.Chain = append(rep.Chain, v.edgeDep(e))
		if !e.Write {
			// A read step: it blocks because a writer of its class waits.
			c := v.g.Class(e.To)
			rep.Writers = append(rep.Writers, Dependency{Class: c.Name, Mode: "W", Goroutine: c.WriteGoroutine, Stack: v.frames(c.WriteTrace)})
		}
	}
	return rep
}

// badUnlock reports unlocking a lock that no goroutine holds.
func (v *validator) badUnlock(addr uintptr, c *Class, mode string, detail string) {
	v.reportOp(BadUnlock, addr, c, mode, detail)
}

// assertFailed reports a failed assertion about the calling goroutine.
func (v *validator) assertFailed(c *Class, mode string, detail string) {
	v.reportOp(Assertion, 0, c, mode, detail)
}

// reportOp reports a finding about one operation of the calling goroutine
// on the lock at addr (a bad unlock, an assertion).
func (v *validator) reportOp(kind Kind, addr uintptr, c *Class, mode, detail string) {
	gid := v.table.ID()
	fs := toFrames(stack.Frames(stack.Capture(2)))
	st := v.table.Lookup(gid)
	v.mu.Lock()
	rep := Report{
		Kind:      kind,
		Headline:  kind.Headline(),
		Goroutine: gid,
		Lock:      Lock{Class: c.name, Mode: mode, At: first(fs)},
		Detail:    detail,
		HeldLocks: v.heldLocks(st),
		Stack:     fs,
	}
	if st != nil && kind == BadUnlock {
		if last, ok := st.LastRelease(addr); ok {
			rep.LastRelease = &Dependency{Class: v.className(last.Class), Mode: modeName(graph.Acq{Mode: last.Mode, Try: last.Try}), Goroutine: gid, Stack: v.frames(last.Site)}
		}
	}
	reps := v.record(nil, rep)
	v.mu.Unlock()
	v.emit(reps)
}

// logChanges records new dependencies and a first write lock in the
// process's event file. Called with mu held.
func (v *validator) logChanges(res graph.Result, a graph.Acq) {
	frames := func(t uint64) []stack.Frame {
		if t == 0 || t > uint64(len(v.traces)) {
			return nil
		}
		return stack.Frames(v.traces[t-1])
	}
	for _, e := range res.Changed {
		d := &events.Dependency{From: uint32(e.From), To: uint32(e.To)}
		if a.Mode == graph.Write {
			d.Mode, d.Goroutine, d.Stack = "W", e.Goroutine, frames(e.Trace)
		} else {
			d.Mode, d.Goroutine, d.Stack = "R", e.ReadGoroutine, frames(e.ReadTrace)
		}
		v.events.Write(events.Event{Dependency: d})
	}
	if res.Written {
		c := v.g.Class(a.Class)
		v.events.Write(events.Event{Written: &events.Written{Class: uint32(a.Class), Goroutine: c.WriteGoroutine, Stack: frames(c.WriteTrace)}})
	}
}

// record keeps a finding unless the same problem was reported before, and
// appends it to reps if it is new. Called with mu held.
func (v *validator) record(reps []Report, r Report) []Report {
	k := r.key()
	if v.seen[k] {
		return reps
	}
	v.seen[k] = true
	v.findings = append(v.findings, r)
	if v.events != nil {
		v.events.Write(events.Event{Finding: r.JSON()})
	}
	return append(reps, r)
}

// emit delivers new findings: text, JSON line, callbacks, then the mode's
// action. No lock of the validator is held while user code runs.
func (v *validator) emit(reps []Report) {
	if len(reps) == 0 {
		return
	}
	c := cfg.Load()
	for _, r := range reps {
		v.print(c, &r)
		if c.onReport != nil {
			c.onReport(r)
		}
	}
	switch c.mode {
	case Panic:
		panic(reps[0])
	case Exit:
		exit(66)
	}
}

// exit is os.Exit, replaced in tests.
var exit = os.Exit

func (v *validator) print(c *config, r *Report) {
	v.emitMu.Lock()
	defer v.emitMu.Unlock()
	io.WriteString(c.out, r.String())
	if c.jsonPath == "" || v.jsonFailed {
		return
	}
	if v.jsonFile == nil {
		f, err := os.OpenFile(c.jsonPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lockdep: LOCKDEP_JSON: %v; findings are not written there\n", err)
			v.jsonFailed = true
			return
		}
		v.jsonFile = f
	}
	v.jsonFile.Write(append(r.JSON(), '\n'))
}

// stop turns validation off for good after a bound was hit, with one line
// that names the bound and the setting that raises it.
func (v *validator) stop(err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stopLocked(err)
}

func (v *validator) stopLocked(err error) {
	if v.dead.Swap(true) {
		return
	}
	setActive(nil)
	setting := "?"
	var le *graph.LimitError
	if errors.As(err, &le) {
		switch le.What {
		case "lock classes":
			setting = "LOCKDEP_MAX_CLASSES"
		case "lock dependencies":
			setting = "LOCKDEP_MAX_DEPENDENCIES"
		case "lock chains":
			setting = "LOCKDEP_MAX_CHAINS"
		case "locks held by one goroutine":
			setting = "LOCKDEP_MAX_DEPTH"
		}
	}
	fmt.Fprintf(os.Stderr, "lockdep: %v; validation is off from here on (raise %s)\n", err, setting)
}

// Findings returns the findings reported so far in this process, oldest
// first, each problem once.
func Findings() []Report {
	validatorMu.Lock()
	v := current
	validatorMu.Unlock()
	if v == nil {
		return nil
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Report(nil), v.findings...)
}
