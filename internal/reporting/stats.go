package reporting

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// SitesShown is how many contended sites the statistics of a class keep.
const SitesShown = 4

// TopSites sorts sites, most contended first (then by frame, for stable
// output), and returns the first SitesShown.
func TopSites(sites []report.ContendedSite) []report.ContendedSite {
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
func HeldDump(gs []report.Goroutine) string {
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

// Count says n things: "1 class", "2 classes", "0 dependencies".
func Count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	switch {
	case strings.HasSuffix(thing, "ss"):
		thing += "es"
	case strings.HasSuffix(thing, "y"):
		thing = thing[:len(thing)-1] + "ies"
	default:
		thing += "s"
	}
	return fmt.Sprintf("%d %s", n, thing)
}
