package main

import "testing"

// TestStory plays the story; under lockdep test, it records the five
// dependencies and the circular report (checked by the command's own
// end-to-end test). Here it checks that every step ran, one after the
// other, without blocking.
func TestStory(t *testing.T) {
	got := run()
	want := state{cpus: 1, pmus: 1, faults: 1, resets: 1}
	if got != want {
		t.Errorf("run() = %+v, want %+v", got, want)
	}
}
