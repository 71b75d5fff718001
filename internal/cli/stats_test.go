package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/report"
	"github.com/google/go-cmp/cmp"
)

// TestSumStats: the statistics of several processes add up by class:
// counts and total wait add, maxima take the largest, contended sites add
// up and the most contended four stay; most contended classes first.
func TestSumStats(t *testing.T) {
	site := func(line int, n uint64) report.ContendedSite {
		return report.ContendedSite{At: report.Frame{Func: "m.f", File: "m.go", Line: line}, Contentions: n}
	}
	p1 := []report.ClassStats{
		{Class: "m.A", Acquisitions: 10, Contentions: 2, WaitTotal: 5 * time.Millisecond, WaitMax: 4 * time.Millisecond, HoldMax: time.Millisecond,
			Sites: []report.ContendedSite{site(1, 1), site(2, 1)}},
		{Class: "m.B", Acquisitions: 100},
	}
	p2 := []report.ClassStats{
		{Class: "m.A", Acquisitions: 5, Contentions: 4, WaitTotal: 3 * time.Millisecond, WaitMax: 2 * time.Millisecond, HoldMax: 7 * time.Millisecond,
			Sites: []report.ContendedSite{site(2, 1), site(3, 1), site(4, 1), site(5, 1)}},
		{Class: "m.C", Acquisitions: 100},
	}
	want := []report.ClassStats{
		{Class: "m.A", Acquisitions: 15, Contentions: 6, WaitTotal: 8 * time.Millisecond, WaitMax: 4 * time.Millisecond, HoldMax: 7 * time.Millisecond,
			Sites: []report.ContendedSite{site(2, 2), site(1, 1), site(3, 1), site(4, 1)}},
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

// TestStatsTable: the table says how many processes it adds up, and how
// many took locks (registered classes) but ended before writing their
// statistics.
func TestStatsTable(t *testing.T) {
	m := newMerged("", "", nil)
	if got, want := m.statsTable(10), "lockdep: no lock statistics: no process took a validated lock\n"; got != want {
		t.Errorf("no process: %q, want %q", got, want)
	}
	quick, slow, idle := new(events.Process), new(events.Process), new(events.Process)
	m.local[quick] = map[uint32]graph.ClassID{1: 1}
	m.local[idle] = map[uint32]graph.ClassID{}
	want := "lockdep: no lock statistics: 1 process took locks but ended without writing statistics (a test binary writes them as it exits; another process a tenth of a second after it takes locks)\n"
	if got := m.statsTable(10); got != want {
		t.Errorf("a quick process: %q, want %q", got, want)
	}
	m.local[slow] = map[uint32]graph.ClassID{1: 1}
	m.stats[slow] = []report.ClassStats{{Class: "m.A", Acquisitions: 3}, {Class: "m.B", Acquisitions: 2}}
	got := m.statsTable(1)
	for _, want := range []string{
		"lockdep: lock statistics of 1 process, the most contended classes first:\n",
		"\nm.A ",
		"  (1 more class not shown)\n",
		"  (1 more process that took locks ended without writing statistics)\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the table lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "m.B") {
		t.Errorf("the table shows more than 1 class:\n%s", got)
	}
}
