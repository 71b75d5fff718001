package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/report"
)

// TestBaselineKinds: the manual's list of the kinds a baseline key
// starts with names every kind of finding.
func TestBaselineKinds(t *testing.T) {
	m := regexp.MustCompile(`(?s)Each entry is a finding's key: its kind \(([^)]*)\)`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("the manual does not list the kinds of a baseline key")
	}
	listed := strings.Fields(strings.NewReplacer(",", " ", " or ", " ").Replace(m[1]))
	for _, k := range report.Kinds() {
		found := false
		for _, l := range listed {
			found = found || l == k.String()
		}
		if !found {
			t.Errorf("the manual's kinds (%s) lack %s", m[1], k)
		}
	}
	if len(listed) != len(report.Kinds()) {
		t.Errorf("the manual lists %d kinds (%s), want %d", len(listed), m[1], len(report.Kinds()))
	}
}
