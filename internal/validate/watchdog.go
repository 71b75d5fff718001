package validate

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// The watchdog (LOCKDEP_TIMEOUT, off by default) reports a goroutine that
// waits longer than the timeout for one lock: the lock, how long, the
// goroutines that hold it with what they hold and their stacks, and the
// other waiters. It costs nothing while off; while on, a blocking
// acquisition that finds its lock taken registers its wait.

// waiter is a goroutine waiting for a lock.
type waiter struct {
	gid   int64
	entry held.Entry
	since time.Time
}

type watchdog struct {
	once    sync.Once
	mu      sync.Mutex
	waiters map[*waiter]struct{}
}

func (v *Validator) watch(gid int64, e *held.Entry, start time.Time) *waiter {
	if v.timeout.Load() <= 0 {
		return nil
	}
	w := &waiter{gid: gid, entry: *e, since: start}
	v.dog.mu.Lock()
	if v.dog.waiters == nil {
		v.dog.waiters = map[*waiter]struct{}{}
	}
	v.dog.waiters[w] = struct{}{}
	v.dog.mu.Unlock()
	return w
}

func (v *Validator) unwatch(w *waiter) {
	if w == nil {
		return
	}
	v.dog.mu.Lock()
	delete(v.dog.waiters, w)
	v.dog.mu.Unlock()
}

func (v *Validator) startWatchdog() {
	v.dog.once.Do(func() { go v.watchdog() })
}

// watchdog checks the waiters a few times per timeout, for as long as v is
// the process's validator.
func (v *Validator) watchdog() {
	for {
		d := time.Duration(v.timeout.Load())
		tick := d / 4
		switch {
		case d <= 0:
			tick = time.Second
		case tick < 10*time.Millisecond:
			tick = 10 * time.Millisecond
		case tick > time.Second:
			tick = time.Second
		}
		time.Sleep(tick)
		if v.dead.Load() || Current() != v {
			return
		}
		if d > 0 {
			v.stuck(d)
			v.deliver()
		}
	}
}

// stuck records a report for each lock class some goroutine has waited
// longer than timeout for, not reported before.
func (v *Validator) stuck(timeout time.Duration) {
	now := time.Now()
	v.dog.mu.Lock()
	var ws []*waiter
	for w := range v.dog.waiters {
		ws = append(ws, w)
	}
	v.dog.mu.Unlock()
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
func (v *Validator) goroutine(s held.Snap, g stack.Goroutine, w *waiter) report.Goroutine {
	r := report.Goroutine{ID: s.Gid, State: g.State, HeldLocks: v.locksOf(s.Entries), Stack: g.Stack}
	if w != nil {
		l := v.lockOf(w.entry)
		r.Waiting, r.Waited = &l, time.Since(w.since).Round(time.Millisecond).String()
	}
	return r
}

// HeldLocks returns every goroutine's held locks, for the held-lock dump.
func (v *Validator) HeldLocks() []report.Goroutine {
	goroutines := stack.All()
	snaps := v.table.Snapshot()
	sort.Slice(snaps, func(i, j int) bool { return snaps[i].Gid < snaps[j].Gid })
	v.mu.Lock()
	defer v.mu.Unlock()
	var gs []report.Goroutine
	for _, s := range snaps {
		if _, alive := goroutines[s.Gid]; alive {
			gs = append(gs, v.goroutine(s, goroutines[s.Gid], nil))
		}
	}
	return gs
}

// DumpHeld writes every goroutine's held locks to w.
func (v *Validator) DumpHeld(w io.Writer) {
	io.WriteString(w, reporting.HeldDump(v.HeldLocks()))
}
