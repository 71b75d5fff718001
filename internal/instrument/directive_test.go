package instrument

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/golockdep/lockdep/internal/validate"
)

// TestMaxNested ties the deepest //lockdep:nested level to the
// validator's subclasses.
func TestMaxNested(t *testing.T) {
	if maxNested != validate.MaxSubclasses-1 {
		t.Errorf("maxNested = %d, want validate.MaxSubclasses-1 = %d", maxNested, validate.MaxSubclasses-1)
	}
}

// TestNotesOrder: notes come by file, then line in numeric order; those
// without a line first.
func TestNotesOrder(t *testing.T) {
	notes := []string{
		"b.go:3: //lockdep:bogus: unknown lockdep directive",
		"a.go:101: //lockdep:nested: no Lock or RLock on this line or the next",
		"a.go:13: //lockdep:nested 9: the level must be from 1 to 7",
		"skipped c.go: cgo file",
		"a.go:9: //lockdep:nestd: unknown lockdep directive",
		"a.go:13: //lockdep:nested: no Lock or RLock on this line or the next",
	}
	want := []string{
		"skipped c.go: cgo file",
		"a.go:9: //lockdep:nestd: unknown lockdep directive",
		"a.go:13: //lockdep:nested 9: the level must be from 1 to 7",
		"a.go:13: //lockdep:nested: no Lock or RLock on this line or the next",
		"a.go:101: //lockdep:nested: no Lock or RLock on this line or the next",
		"b.go:3: //lockdep:bogus: unknown lockdep directive",
	}
	slices.SortFunc(notes, compareNotes)
	if diff := cmp.Diff(want, notes); diff != "" {
		t.Errorf("sorted notes (-want +got):\n%s", diff)
	}
}
