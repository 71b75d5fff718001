package engine

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// The waits for locks, for a watchdog (package validate's, with
// LOCKDEP_TIMEOUT): while they are watched (SetTiming), a blocking
// acquisition that finds its lock taken registers its wait, and
// ReportLongWaits reports those that last: the lock, how long, the
// goroutines that hold it with what they hold and their stacks, and the
// other waiters. Watching costs nothing while off.

// waiter is a goroutine waiting for a lock.
type waiter struct {
	gid   int64
	entry held.Entry
	since time.Time
}

// waits are the goroutines waiting for locks, while waits are watched.
type waits struct {
	mu      sync.Mutex
	waiters map[*waiter]struct{}
}

func (v *Engine) watch(gid int64, e *held.Entry, start time.Time) *waiter {
	if !v.watching.Load() {
		return nil
	}
	w := &waiter{gid: gid, entry: *e, since: start}
	v.waits.mu.Lock()
	if v.waits.waiters == nil {
		v.waits.waiters = map[*waiter]struct{}{}
	}
	v.waits.waiters[w] = struct{}{}
	v.waits.mu.Unlock()
	return w
}

func (v *Engine) unwatch(w *waiter) {
	if w == nil {
		return
	}
	v.waits.mu.Lock()
	delete(v.waits.waiters, w)
	v.waits.mu.Unlock()
}

// ReportLongWaits reports each lock class some goroutine has waited
// longer than timeout for, not reported before.
func (v *Engine) ReportLongWaits(timeout time.Duration) {
	v.stuck(timeout)
	v.deliver()
}

// stuck records a report for each lock class some goroutine has waited
// longer than timeout for, not reported before.
func (v *Engine) stuck(timeout time.Duration) {
	now := time.Now()
	v.waits.mu.Lock()
	var ws []*waiter
	for w := range v.waits.waiters {
		ws = append(ws, w)
	}
	v.waits.mu.Unlock()
	sort.Slice(ws, func(i, j int) bool { return ws[i].since.Before(ws[j].since) })
	var long []*waiter
	for _, w := range ws {
		if now.Sub(w.since) >= timeout {
			long = append(long, w)
		}
	}
	if len(long) == 0 {
		return
	}
	goroutines := stack.All()
	snaps := v.table.Snapshot()
	v.mu.Lock()
	defer v.mu.Unlock()
	done := map[uintptr]bool{}
	for _, w := range long {
		if done[w.entry.Addr] {
			continue
		}
		done[w.entry.Addr] = true
		rep := report.Report{
			Version:   report.Version,
			Kind:      report.Timeout,
			Headline:  report.Timeout.Headline(),
			Goroutine: w.gid,
			Lock:      v.lockOf(w.entry),
			Detail:    fmt.Sprintf("It has waited %s, longer than the watchdog's timeout of %s.", now.Sub(w.since).Round(time.Millisecond), timeout),
			Stack:     goroutines[w.gid].Stack,
		}
		for _, s := range snaps {
			holds := false
			for _, e := range s.Entries {
				holds = holds || e.Addr == w.entry.Addr
			}
			if holds {
				rep.Holders = append(rep.Holders, v.goroutine(s, goroutines[s.Gid], nil))
			}
		}
		for _, o := range ws {
			if o != w && o.entry.Addr == w.entry.Addr {
				rep.Waiters = append(rep.Waiters, v.goroutine(held.Snap{Gid: o.gid}, goroutines[o.gid], o))
			}
		}
		var mine []held.Entry
		for _, s := range snaps {
			if s.Gid == w.gid {
				mine = s.Entries
			}
		}
		rep.HeldLocks = v.locksOf(mine)
		v.record(rep)
	}
}

// goroutine describes goroutine s.Gid for a report. Called with mu held.
func (v *Engine) goroutine(s held.Snap, g stack.Goroutine, w *waiter) report.Goroutine {
	r := report.Goroutine{ID: s.Gid, State: g.State, HeldLocks: v.locksOf(s.Entries), Stack: g.Stack}
	if w != nil {
		l := v.lockOf(w.entry)
		r.Waiting, r.Waited = &l, time.Since(w.since).Round(time.Millisecond).String()
	}
	return r
}

// HeldLocks returns every goroutine's held locks, for the held-lock dump.
func (v *Engine) HeldLocks() []report.Goroutine {
	goroutines := stack.All()
	snaps := v.table.Snapshot()
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Gid < snaps[j].Gid })
	v.mu.Lock()
	defer v.mu.Unlock()
	var gs []report.Goroutine
	for _, s := range snaps {
		g, alive := goroutines[s.Gid]
		if !alive {
			continue
		}
		r := v.goroutine(s, g, nil)
		switch {
		case len(s.Waits) > 0 && strings.HasPrefix(g.State, "sync."):
			l := v.lockOf(s.Waits[len(s.Waits)-1])
			r.Waiting = &l
		case s.Event.Class != 0 && waitsFor(v.className(s.Event.Class), g.State):
			l := report.LockRef{Class: v.className(s.Event.Class), Mode: "W", At: stack.First(stack.Frames([]uintptr{s.Event.PC}))}
			r.Waiting = &l
		}
		if len(r.HeldLocks) > 0 || r.Waiting != nil {
			gs = append(gs, r)
		}
	}
	return gs
}

// waitsFor reports whether a goroutine in runtime state state can be
// blocked in a wait for the event of class name: the event a goroutine
// waited for last is shown only while it is blocked in a wait of that
// kind.
func waitsFor(name, state string) bool {
	kind, _, ok := report.EventOf(name)
	if !ok {
		return false
	}
	switch kind {
	case "wait":
		return state == "sync.WaitGroup.Wait" || state == "semacquire"
	case "send":
		return strings.HasPrefix(state, "chan send") || state == "select"
	case "receive":
		return strings.HasPrefix(state, "chan receive") || state == "select"
	case "cond":
		return state == "sync.Cond.Wait"
	case "once":
		return state == "sync.Mutex.Lock" || state == "semacquire"
	}
	return state != "running" && state != "runnable" && state != ""
}
