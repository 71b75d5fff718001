package report

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golockdep/lockdep/internal/stack"
)

// SitesShown is how many contended sites the statistics of a class keep.
const SitesShown = 4

// TopSites sorts sites, most contended first (then by frame, for stable
// output), and returns the first SitesShown.
func TopSites(sites []SiteCount) []SiteCount {
	sort.Slice(sites, func(i, j int) bool {
		a, b := sites[i], sites[j]
		if a.Contentions != b.Contentions {
			return a.Contentions > b.Contentions
		}
		return stack.Less(a.At, b.At)
	})
	if len(sites) > SitesShown {
		sites = sites[:SitesShown]
	}
	return sites
}

// StatsTable renders statistics as a table of the first n classes (all if
// n <= 0), one line each, then each one's most contended site.
func StatsTable(stats []ClassStats, n int) string {
	if n > 0 && len(stats) > n {
		stats = stats[:n]
	}
	var b strings.Builder
	width := len("class")
	for _, s := range stats {
		if len(s.Class) > width {
			width = len(s.Class)
		}
	}
	fmt.Fprintf(&b, "%-*s %12s %11s %11s %11s %11s\n", width, "class", "acquisitions", "contentions", "wait total", "wait max", "hold max")
	for _, s := range stats {
		fmt.Fprintf(&b, "%-*s %12d %11d %11s %11s %11s\n", width, s.Class, s.Acquisitions, s.Contentions, Round(s.WaitTotal), Round(s.WaitMax), Round(s.HoldMax))
	}
	for _, s := range stats {
		for _, c := range s.Sites {
			fmt.Fprintf(&b, "  %s: %d contended at %s\n", s.Class, c.Contentions, c.At)
		}
	}
	return b.String()
}

// Round formats a duration of the statistics for reading: exact below a
// microsecond, to 10ns below a millisecond, to 10µs above.
func Round(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d < time.Microsecond:
		return d.String()
	case d < time.Millisecond:
		return d.Round(10 * time.Nanosecond).String()
	}
	return d.Round(10 * time.Microsecond).String()
}

// HeldDump renders the held locks of every goroutine, as the kernel's
// debug_show_all_locks does.
func HeldDump(gs []Goroutine) string {
	var b strings.Builder
	b.WriteString("\nShowing all locks held in the system:\n")
	if len(gs) == 0 {
		b.WriteString("no locks held\n")
	}
	for _, g := range gs {
		b.WriteString(g.String())
	}
	b.WriteString("\n=============================================\n\n")
	return b.String()
}

// BoundUsage is how much of one of the validator's bounds is used, as the
// kernel's lockdep_stats shows.
type BoundUsage struct {
	Bound   string `json:"bound"` // "lock classes"...
	Used    int    `json:"used"`
	Limit   int    `json:"limit"`
	Setting string `json:"setting"` // the variable that raises it
}
