package instrument

import (
	"testing"

	"github.com/golockdep/lockdep/internal/validate"
)

// TestMaxNested ties the deepest //lockdep:nested level to the
// validator's subclasses.
func TestMaxNested(t *testing.T) {
	if maxNested != validate.MaxSubclasses-1 {
		t.Errorf("maxNested = %d, want validate.MaxSubclasses-1 = %d", maxNested, validate.MaxSubclasses-1)
	}
}
