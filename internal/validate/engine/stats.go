package engine

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// Lock statistics per class, as the kernel's lock_stat keeps them. They
// cost nothing while off: the fast path tests one flag. While on (the
// Statistics option, LOCKDEP_STAT=1) or while waits are watched, every
// blocking acquisition goes through Settle, which tries the lock first to
// tell whether it was free, and times the wait; holds are timed from the
// moment the lock is held to its release.

// classStat is one class's statistics. Counters are updated atomically by
// the goroutines that lock; sites, under mu, only on contention.
type classStat struct {
	acquisitions atomic.Uint64
	contentions  atomic.Uint64
	waitTotal    atomic.Int64 // nanoseconds
	waitMax      atomic.Int64
	holdMax      atomic.Int64

	mu    sync.Mutex
	sites map[held.Site]uint64 // contended acquisitions per site
}

// maxSites bounds the contention sites kept per class.
const maxSites = 64

// timed is the Pending of an acquisition that has no finding to wait for
// but must go through Settle, to be timed.
var timed = Pending{}

// statOf returns the statistics of class id, or nil.
func (v *Engine) statOf(id graph.ClassID) *classStat {
	if s := v.stats.Load(); s != nil && int(id) < len(*s) {
		return (*s)[id]
	}
	return nil
}

// addStat makes the statistics of a new class. Called with mu held.
func (v *Engine) addStat(id graph.ClassID) {
	var s []*classStat
	if p := v.stats.Load(); p != nil {
		s = *p
	}
	for len(s) <= int(id) {
		s = append(s, &classStat{})
	}
	v.stats.Store(&s)
}

// SetTiming turns lock statistics on or off, and the record of the waits
// for locks a watchdog looks at (ReportLongWaits).
func (v *Engine) SetTiming(stats, waits bool) {
	v.statsOn.Store(stats)
	v.watching.Store(waits)
	v.timing.Store(stats || waits)
	v.mu.Lock()
	v.setHitSlow()
	v.mu.Unlock()
}

// StatsOn reports whether lock statistics are being kept.
func (v *Engine) StatsOn() bool { return v.statsOn.Load() }

// timedLock acquires lk for the calling goroutine's acquisition on top of
// its stack st: it tries first, to count contention, then registers the
// wait if waits are watched, blocks and times it.
func (v *Engine) timedLock(st *held.Stack, lk Lock) {
	if st == nil || len(st.Entries) == 0 {
		lk.lock()
		return
	}
	e := &st.Entries[len(st.Entries)-1]
	s := v.statOf(e.Class)
	if lk.TryLock() {
		if v.statsOn.Load() {
			e.T = time.Now().UnixNano()
		}
		return
	}
	start := time.Now()
	w := v.watch(st.Gid, e, start)
	lk.lock()
	now := time.Now()
	v.unwatch(w)
	if s == nil || !v.statsOn.Load() {
		return
	}
	e.T = now.UnixNano()
	d := int64(now.Sub(start))
	s.contentions.Add(1)
	s.waitTotal.Add(d)
	storeMax(&s.waitMax, d)
	s.mu.Lock()
	if s.sites == nil {
		s.sites = map[held.Site]uint64{}
	}
	if _, ok := s.sites[e.At]; ok || len(s.sites) < maxSites {
		s.sites[e.At]++
	}
	s.mu.Unlock()
}

// heldNow starts timing the hold on top of the calling goroutine's stack.
func heldNow(st *held.Stack) {
	if st != nil && len(st.Entries) > 0 {
		st.Entries[len(st.Entries)-1].T = time.Now().UnixNano()
	}
}

// countAcquisition counts an acquisition of class id.
func (v *Engine) countAcquisition(id graph.ClassID) {
	if s := v.statOf(id); s != nil {
		s.acquisitions.Add(1)
	}
}

// countHold times a hold that is released.
func (v *Engine) countHold(e *held.Entry) {
	if e.T == 0 {
		return
	}
	if s := v.statOf(e.Class); s != nil {
		storeMax(&s.holdMax, time.Now().UnixNano()-e.T)
	}
}

func storeMax(x *atomic.Int64, v int64) {
	for {
		old := x.Load()
		if v <= old || x.CompareAndSwap(old, v) {
			return
		}
	}
}

// Stats returns the statistics of every class that was acquired, most
// contended first, then most acquired.
func (v *Engine) Stats() []report.ClassStats {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []report.ClassStats
	for id := 1; id <= v.g.NumClasses(); id++ {
		s := v.statOf(graph.ClassID(id))
		if s == nil || s.acquisitions.Load() == 0 {
			continue
		}
		cs := report.ClassStats{
			Class:        v.className(graph.ClassID(id)),
			Acquisitions: s.acquisitions.Load(),
			Contentions:  s.contentions.Load(),
			WaitTotal:    time.Duration(s.waitTotal.Load()),
			WaitMax:      time.Duration(s.waitMax.Load()),
			HoldMax:      time.Duration(s.holdMax.Load()),
		}
		s.mu.Lock()
		for at, n := range s.sites {
			if f := siteFrame(at); f != nil {
				cs.Sites = append(cs.Sites, report.ContendedSite{At: *f, Contentions: n})
			}
		}
		s.mu.Unlock()
		cs.Sites = reporting.TopSites(cs.Sites)
		out = append(out, cs)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Contentions != out[j].Contentions {
			return out[i].Contentions > out[j].Contentions
		}
		return out[i].Acquisitions > out[j].Acquisitions
	})
	return out
}

// Acquisitions returns how many acquisitions the statistics counted, of
// every class.
func (v *Engine) Acquisitions() uint64 {
	var n uint64
	if s := v.stats.Load(); s != nil {
		for _, c := range *s {
			n += c.acquisitions.Load()
		}
	}
	return n
}

// RecordStats writes the statistics to the record, if there is one.
func (v *Engine) RecordStats() {
	if v.rec == nil {
		return
	}
	stats := v.Stats()
	v.mu.Lock()
	v.rec.Write(events.Event{Stats: stats})
	v.mu.Unlock()
}
