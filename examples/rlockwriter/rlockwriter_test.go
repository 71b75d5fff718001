package rlockwriter

import "testing"

func TestSnapshot(t *testing.T) {
	tb := New()
	tb.Set("a", 1)
	if s := tb.Snapshot(); s["a"] != 1 || len(s) != 1 {
		t.Errorf("Snapshot() = %v", s)
	}
}
