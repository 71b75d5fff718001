package cli

import (
	"testing"
	"time"

	"github.com/golockdep/lockdep/internal/report"
	"github.com/google/go-cmp/cmp"
)

// TestSumStats: the statistics of several processes add up by class:
// counts and total wait add, maxima take the largest, contended sites add
// up and the most contended four stay; most contended classes first.
func TestSumStats(t *testing.T) {
	site := func(line int, n uint64) report.SiteCount {
		return report.SiteCount{At: report.Frame{Func: "m.f", File: "m.go", Line: line}, Contentions: n}
	}
	p1 := []report.ClassStats{
		{Class: "m.A", Acquisitions: 10, Contentions: 2, WaitTotal: 5 * time.Millisecond, WaitMax: 4 * time.Millisecond, HoldMax: time.Millisecond,
			Sites: []report.SiteCount{site(1, 1), site(2, 1)}},
		{Class: "m.B", Acquisitions: 100},
	}
	p2 := []report.ClassStats{
		{Class: "m.A", Acquisitions: 5, Contentions: 4, WaitTotal: 3 * time.Millisecond, WaitMax: 2 * time.Millisecond, HoldMax: 7 * time.Millisecond,
			Sites: []report.SiteCount{site(2, 1), site(3, 1), site(4, 1), site(5, 1)}},
		{Class: "m.C", Acquisitions: 100},
	}
	want := []report.ClassStats{
		{Class: "m.A", Acquisitions: 15, Contentions: 6, WaitTotal: 8 * time.Millisecond, WaitMax: 4 * time.Millisecond, HoldMax: 7 * time.Millisecond,
			Sites: []report.SiteCount{site(2, 2), site(1, 1), site(3, 1), site(4, 1)}},
		{Class: "m.B", Acquisitions: 100},
		{Class: "m.C", Acquisitions: 100},
	}
	if diff := cmp.Diff(want, sumStats([][]report.ClassStats{p1, p2})); diff != "" {
		t.Errorf("sumStats (-want +got):\n%s", diff)
	}
	if got := sumStats(nil); len(got) != 0 {
		t.Errorf("sumStats(nil) = %v", got)
	}
}
