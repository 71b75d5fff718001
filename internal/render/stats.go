package render

import (
	"fmt"
	"strings"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// StatsTable renders statistics as a table of the first n classes (all if
// n <= 0), one line each, then each one's most contended site.
func StatsTable(stats []report.ClassStats, n int) string {
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
		fmt.Fprintf(&b, "%-*s %12d %11d %11s %11s %11s\n", width, s.Class, s.Acquisitions, s.Contentions, reporting.Round(s.WaitTotal), reporting.Round(s.WaitMax), reporting.Round(s.HoldMax))
	}
	for _, s := range stats {
		for _, c := range s.Sites {
			fmt.Fprintf(&b, "  %s: %d contended at %s\n", s.Class, c.Contentions, c.At)
		}
	}
	return b.String()
}
