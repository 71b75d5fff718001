package engine

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// Goroutines that end holding locks. Ending with a lock held is legal Go
// when another goroutine unlocks it later (a hand-off), so the end itself
// is never reported. Rewritten go statements tell the engine that a
// goroutine ends (Exited); the locks it still holds then become records of
// locks left held, its slot of the held table is freed, and:
//
//   - a later unlock of such a lock by another goroutine (a hand-off, in
//     Release) removes its record;
//   - an acquisition that must wait for such a lock is a deadlock in
//     progress unless a hand-off is merely slow: it waits in the real lock
//     (Settle), and is reported if it still waits after the settle time,
//     or when the process or a test ends;
//   - when the process or a test ends (ReportWaiting), every record left
//     is reported, and so are the locks of goroutines whose end the engine
//     did not see (a go statement with arguments, or one in code that is
//     not rewritten) but that are gone: one goroutine dump then tells
//     which held stacks belong to goroutines that no longer exist.
//
// An acquisition of a cached chain pays nothing for it: the flag it loads
// anyway (hitSlowOn, for timing) is set while locks are left held too.

// exit is a goroutine that ended holding locks, as Exited saw it.
type exit struct {
	gid     int64
	started *Site        // its go statement; nil if not known
	ended   *Frame       // where it ended; nil if not seen
	frames  []Frame      // its stack where it ended
	entries []held.Entry // what it held then, oldest first
}

// exitRecord is one lock left held by a goroutine that ended.
type exitRecord struct {
	*exit
	entry held.Entry
}

// Exited is called by a goroutine as it ends, from a rewritten go
// statement: site is the go statement's, fn (if not 0) the entry of the
// function the goroutine ran, whose return ended it; otherwise the end is
// where the caller of the function that calls Exited returns. A goroutine
// that holds nothing costs a lookup of its held stack.
func (v *Engine) Exited(site *Site, fn uintptr) {
	_, st := v.table.Current()
	if st == nil {
		return
	}
	if len(st.Entries) == 0 {
		v.table.Free(st)
		return
	}
	v.exited(st, site, fn)
}

// exited records the locks st still holds as left held by a goroutine
// that ended, and frees its slot.
//
//go:noinline
func (v *Engine) exited(st *held.Stack, site *Site, fn uintptr) {
	ex := &exit{gid: st.Gid, started: site}
	if fn != 0 {
		ex.ended = funcFrame(fn)
	} else {
		// The caller of Exited's caller: the function literal of the go
		// statement, at its return (or at the panic that ended it).
		ex.frames = dropRuntime(stack.Frames(stack.Capture(2)))
		ex.ended = stack.First(ex.frames)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	// A hand-off posted before this point released what it names.
	v.table.Apply(st)
	for _, e := range st.Entries {
		if e.Addr == 0 || v.g.Class(e.Class).Shared {
			// A lock without an address cannot be handed off; an
			// event's region (an Event a goroutine began and another
			// ends) holds nothing anyone waits to take.
			continue
		}
		ex.entries = append(ex.entries, e)
	}
	for _, e := range ex.entries {
		v.exits = append(v.exits, &exitRecord{exit: ex, entry: e})
	}
	v.exitsChanged()
	v.table.Free(st)
}

// funcFrame names the function whose entry is pc: a frame without a file,
// for the function's return is not known, only that it returned.
func funcFrame(pc uintptr) *Frame {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return nil
	}
	// A method value's function is a wrapper, T.m-fm, that calls T.m.
	return &Frame{Func: strings.TrimSuffix(f.Name(), "-fm")}
}

// dropRuntime drops the runtime's frames from the top of fs: a deferred
// call runs from the runtime's return or panic machinery.
func dropRuntime(fs []Frame) []Frame {
	for len(fs) > 0 && strings.HasPrefix(fs[0].Func, "runtime.") {
		fs = fs[1:]
	}
	return fs
}

// exitsChanged publishes the addresses of the locks left held, for the
// acquisition path. Called with mu held.
func (v *Engine) exitsChanged() {
	defer v.setHitSlow()
	if len(v.exits) == 0 {
		v.exitAddrs.Store(nil)
		return
	}
	m := make(map[uintptr]bool, len(v.exits))
	for _, r := range v.exits {
		m[r.entry.Addr] = true
	}
	v.exitAddrs.Store(&m)
}

// leftHeld reports whether a lock at addr may be left held by a goroutine
// that ended: the acquisition path's check, one atomic load while none is.
func (v *Engine) leftHeld(addr uintptr) bool {
	m := v.exitAddrs.Load()
	return m != nil && (*m)[addr]
}

// conflicts reports whether an acquisition in mode must wait for a lock
// held in held.
func conflicts(mode, held graph.Mode) bool { return mode == Write || held == Write }

// exitWait returns the finding of acquisition a, about to wait for a lock
// that a goroutine that ended left held, or nil if it need not wait for
// one; holding are the locks the goroutine holds. A successful trylock
// says the lock was released by code the validator does not see: its
// records go.
func (v *Engine) exitWait(holding []held.Entry, gid int64, a graph.Acq, pc uintptr, site *Site) Pending {
	if a.Try {
		v.mu.Lock()
		v.dropExits(a.Addr, a.Mode)
		v.mu.Unlock()
		return nil
	}
	pcs := stack.Capture(1) // the validator's own frames are left out
	v.mu.Lock()
	defer v.mu.Unlock()
	var rec *exitRecord
	for _, r := range v.exits {
		if r.entry.Addr == a.Addr && conflicts(a.Mode, r.entry.Mode) {
			rec = r
			break
		}
	}
	if rec == nil {
		return nil
	}
	fs := stack.Frames(pcs)
	at := siteFrame(held.Site{PC: pc, Static: siteRef(site)})
	if at == nil {
		at = stack.First(fs)
	}
	l := v.acqLock(a, at)
	w := &report.Goroutine{ID: gid, Waiting: &l, HeldLocks: v.locksOf(holding), Stack: fs}
	return Pending{&finding{exit: rec, waiter: w, mode: a.Mode, since: time.Now()}}
}

// dropExits forgets the records of addr that an acquisition in mode,
// which has the lock, shows were released: all of them for a write lock,
// the write holds for a read lock. Called with mu held.
func (v *Engine) dropExits(addr uintptr, mode graph.Mode) {
	keep := v.exits[:0]
	for _, r := range v.exits {
		if r.entry.Addr != addr || !conflicts(mode, r.entry.Mode) {
			keep = append(keep, r)
		}
	}
	if len(keep) == len(v.exits) {
		return
	}
	for i := len(keep); i < len(v.exits); i++ {
		v.exits[i] = nil
	}
	v.exits = keep
	v.exitsChanged()
}

// acquiredExits notes that the acquisition whose findings p are has its
// lock, of which p says a goroutine that ended left it held: whatever
// released it, the records it waited for are gone.
func (v *Engine) acquiredExits(p Pending) {
	for _, f := range p {
		if f.exit != nil {
			v.mu.Lock()
			v.dropExits(f.exit.entry.Addr, f.mode)
			v.mu.Unlock()
			return
		}
	}
}

// takeExit removes a record of the lock at addr held in mode, released
// by a hand-off, and reports whether there was one. Called with mu held.
func (v *Engine) takeExit(addr uintptr, mode graph.Mode) bool {
	for i, r := range v.exits {
		if r.entry.Addr == addr && r.entry.Mode == mode {
			v.exits = append(v.exits[:i], v.exits[i+1:]...)
			v.exitsChanged()
			return true
		}
	}
	return false
}

// hasExit reports whether r is still a record of a lock left held.
// Called with mu held.
func (v *Engine) hasExit(r *exitRecord) bool {
	for _, x := range v.exits {
		if x == r {
			return true
		}
	}
	return false
}

// recordExitWait records the finding of an acquisition that still waits
// for a lock left held by a goroutine that ended, if that lock was not
// handed off meanwhile; why is report.Settled, TestEnded or ProcessEnded.
// Called with mu held.
func (v *Engine) recordExitWait(f *finding, why string) {
	if !v.hasExit(f.exit) {
		return
	}
	w := *f.waiter
	if why == report.Settled {
		w.Waited = time.Since(f.since).Round(time.Millisecond).String()
	}
	v.record(v.exitReport(f.exit.exit, f.exit.entry, []report.Goroutine{w}, why))
}

// exitReport makes the report of the lock e left held by the goroutine
// that ended, ex, for which waiters wait; why says what made the report.
// Called with mu held.
func (v *Engine) exitReport(ex *exit, e held.Entry, waiters []report.Goroutine, why string) report.Report {
	rep := report.Report{
		Version:   report.Version,
		Kind:      report.ExitedHolding,
		Headline:  report.ExitedHolding.Headline(),
		Goroutine: ex.gid,
		Lock:      v.lockOf(e),
		Exit:      &report.GoroutineExit{Ended: ex.ended},
		Waiters:   waiters,
		HeldLocks: v.locksOf(ex.entries),
		Stack:     ex.frames,
		Advice:    "Unlock the lock on every path out of the function that locks it (a defer right after the Lock does), or, if the goroutine hands the lock over, make sure that the goroutine it hands it to unlocks it.",
	}
	if s := ex.started; s != nil {
		rep.Exit.Started = &Frame{Func: s.Func, File: s.File, Line: s.Line}
	}
	if len(waiters) > 0 {
		rep.InProgress = why
	}
	// (No goroutine number: the detail is part of the JSON form, which
	// golden files pin.)
	switch why {
	case report.Settled:
		rep.Detail = "No goroutine unlocked it since, and another has waited for it longer than the settle time."
	case report.TestEnded:
		rep.Detail = "No goroutine had unlocked it when the test ended."
	default:
		rep.Detail = "No goroutine had unlocked it when the process ended."
	}
	switch n := len(waiters); {
	case why == report.Settled:
	case n == 1:
		rep.Detail += " Another goroutine was waiting for it."
	case n > 1:
		rep.Detail += fmt.Sprintf(" %d other goroutines were waiting for it.", n)
	}
	return rep
}

// reportExits reports, as the process or a test ends (why), every lock
// left held by a goroutine that ended: those Exited recorded, and those
// of held stacks whose goroutines are gone, which one goroutine dump
// tells, taken only if some goroutine other than the caller holds a
// lock. The goroutines that wait for those locks are named.
func (v *Engine) reportExits(why string) {
	if v.dead.Load() {
		return // the held stacks stopped following the locks
	}
	me := v.table.ID()
	before := v.table.SnapshotAll()
	need := false
	v.mu.Lock()
	need = len(v.exits) > 0
	v.mu.Unlock()
	for _, s := range before {
		need = need || (s.Gid != me && len(s.Entries) > 0)
	}
	if !need {
		return
	}
	goroutines, complete := stack.Dump()
	after := v.table.SnapshotAll()
	sort.Slice(after, func(i, j int) bool { return after[i].Gid < after[j].Gid })

	// A goroutine is gone if it had a stack before the dump and is not in
	// the dump: what its stack holds after the dump is what it held when
	// it ended.
	existed := map[int64]bool{}
	for _, s := range before {
		existed[s.Gid] = true
	}
	var gone []held.Snap
	if complete {
		for _, s := range after {
			if _, alive := goroutines[s.Gid]; !alive && existed[s.Gid] && len(s.Entries) > 0 {
				gone = append(gone, s)
			}
		}
	}
	waitersOf := func(addr uintptr) []report.Goroutine {
		var ws []report.Goroutine
		for _, s := range after {
			g, alive := goroutines[s.Gid]
			if !alive {
				continue
			}
			for _, e := range s.Waits {
				if e.Addr == addr {
					l := v.lockOf(e)
					ws = append(ws, report.Goroutine{ID: s.Gid, State: g.State, Waiting: &l, HeldLocks: v.locksOf(s.Entries), Stack: g.Stack})
				}
			}
		}
		return ws
	}

	v.mu.Lock()
	defer v.mu.Unlock()
	for _, r := range v.exits {
		v.record(v.exitReport(r.exit, r.entry, waitersOf(r.entry.Addr), why))
	}
	for _, s := range gone {
		ex := &exit{gid: s.Gid, entries: s.Entries}
		for _, e := range s.Entries {
			if e.Addr == 0 || v.table.ReleasedAfter(&e) {
				continue // handed off after it ended, or unknown
			}
			v.record(v.exitReport(ex, e, waitersOf(e.Addr), why))
		}
	}
}
