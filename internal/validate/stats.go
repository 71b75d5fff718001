package validate

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
// Statistics option, LOCKDEP_STAT=1) or while the watchdog is, every
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
func (v *Validator) statOf(id graph.ClassID) *classStat {
	if s := v.stats.Load(); s != nil && int(id) < len(*s) {
		return (*s)[id]
	}
	return nil
}

// addStat makes the statistics of a new class. Called with mu held.
func (v *Validator) addStat(id graph.ClassID) {
	var s []*classStat
	if p := v.stats.Load(); p != nil {
		s = *p
	}
	for len(s) <= int(id) {
		s = append(s, &classStat{})
	}
	v.stats.Store(&s)
}

// SetTiming turns statistics and the watchdog on or off.
func (v *Validator) SetTiming(stats bool, timeout time.Duration) {
	v.statsOn.Store(stats)
	v.timeout.Store(int64(timeout))
	v.timing.Store(stats || timeout > 0)
	if timeout > 0 {
		v.startWatchdog()
	}
	if stats && v.events != nil {
		v.startStatsWriter()
	}
}

// StatsOn reports whether lock statistics are being kept.
func (v *Validator) StatsOn() bool { return v.statsOn.Load() }

// timedLock acquires lk for the calling goroutine's acquisition on top of
// its stack st: it tries first, to count contention, then registers the
// wait with the watchdog, blocks and times it.
func (v *Validator) timedLock(st *held.Stack, lk Lock) {
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
func (v *Validator) countAcquisition(id graph.ClassID) {
	if s := v.statOf(id); s != nil {
		s.acquisitions.Add(1)
	}
}

// countHold times a hold that is released.
func (v *Validator) countHold(e *held.Entry) {
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
func (v *Validator) Stats() []report.ClassStats {
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

// The lockdep command reads each process's statistics from its event
// record (lockdep test -stat): while statistics are on, a snapshot is
// written a tenth of a second after acquisitions were counted, and by
// Flush.

// statsDelay is how often the statistics are written, at most.
const statsDelay = 100 * time.Millisecond

// startStatsWriter writes statistics snapshots to the event record for as
// long as v is the process's validator.
func (v *Validator) startStatsWriter() {
	v.statsWriter.Do(func() {
		go func() {
			var last uint64
			for {
				time.Sleep(statsDelay)
				if Current() != v || v.dead.Load() {
					return
				}
				if n := v.totalAcquisitions(); n != last {
					last = n
					v.Flush()
				}
			}
		}()
	})
}

func (v *Validator) totalAcquisitions() uint64 {
	var n uint64
	if s := v.stats.Load(); s != nil {
		for _, c := range *s {
			n += c.acquisitions.Load()
		}
	}
	return n
}

// Flush writes what a process leaves for others now: its statistics to
// the lockdep command's record, and its graph file (LOCKDEP_GRAPH).
func (v *Validator) Flush() {
	if v.events != nil && v.statsOn.Load() {
		stats := v.Stats()
		v.mu.Lock()
		v.events.Write(events.Event{Stats: stats})
		v.mu.Unlock()
	}
	if graphPath != "" {
		v.WriteGraph(graphPath)
	}
}
