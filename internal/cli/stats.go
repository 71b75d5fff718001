package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/golockdep/lockdep/internal/render"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// Lock statistics (-stat): each process with LOCKDEP_STAT=1 leaves
// snapshots of its statistics in its record, the last one a tenth of a
// second or so after its last counted acquisition; lockdep adds up the
// last snapshot of every process, class by class.

// statRows is how many classes the table shows.
const statRows = 10

// sumStats adds up the statistics of several processes, class by class
// (by name): counts and total wait add up, maxima take the largest, and
// so do the contended sites, of which the most contended stay, as a
// process keeps them (reporting.TopSites). The most contended classes come
// first, then the most acquired.
func sumStats(procs [][]report.ClassStats) []report.ClassStats {
	byClass := map[string]*report.ClassStats{}
	sites := map[string]map[report.Frame]uint64{}
	for _, ps := range procs {
		for _, s := range ps {
			t := byClass[s.Class]
			if t == nil {
				t = &report.ClassStats{Class: s.Class}
				byClass[s.Class] = t
				sites[s.Class] = map[report.Frame]uint64{}
			}
			t.Acquisitions += s.Acquisitions
			t.Contentions += s.Contentions
			t.WaitTotal += s.WaitTotal
			if s.WaitMax > t.WaitMax {
				t.WaitMax = s.WaitMax
			}
			if s.HoldMax > t.HoldMax {
				t.HoldMax = s.HoldMax
			}
			for _, c := range s.Sites {
				sites[s.Class][c.At] += c.Contentions
			}
		}
	}
	out := make([]report.ClassStats, 0, len(byClass))
	for name, t := range byClass {
		for at, n := range sites[name] {
			t.Sites = append(t.Sites, report.ContendedSite{At: at, Contentions: n})
		}
		t.Sites = reporting.TopSites(t.Sites)
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Contentions != b.Contentions {
			return a.Contentions > b.Contentions
		}
		if a.Acquisitions != b.Acquisitions {
			return a.Acquisitions > b.Acquisitions
		}
		return a.Class < b.Class
	})
	return out
}

// statsTable returns what -stat prints after the run: the processes'
// statistics, added up, as a table of the first rows classes, and how
// many processes took locks but ended before they wrote statistics.
func (m *merged) statsTable(rows int) string {
	var procs [][]report.ClassStats
	late := 0 // processes that registered classes, so took locks, without statistics
	for p, local := range m.local {
		if s, ok := m.stats[p]; ok {
			procs = append(procs, s)
		} else if len(local) > 0 {
			late++
		}
	}
	stats := sumStats(procs)
	var b strings.Builder
	switch {
	case len(stats) == 0 && late == 0:
		return "lockdep: no lock statistics: no process took a validated lock\n"
	case len(stats) == 0:
		fmt.Fprintf(&b, "lockdep: no lock statistics: %s took locks but ended without writing statistics (a test binary writes them as it exits; another process a tenth of a second after it takes locks)\n",
			reporting.Count(late, "process"))
		return b.String()
	}
	fmt.Fprintf(&b, "lockdep: lock statistics of %s, the most contended classes first:\n", reporting.Count(len(procs), "process"))
	b.WriteString(render.StatsTable(stats, rows))
	if n := len(stats) - rows; n > 0 {
		fmt.Fprintf(&b, "  (%s not shown)\n", reporting.Count(n, "more class"))
	}
	if late > 0 {
		fmt.Fprintf(&b, "  (%s that took locks ended without writing statistics)\n",
			reporting.Count(late, "more process"))
	}
	return b.String()
}
