package shutdown

import (
	"runtime"
	"testing"
)

func TestHandleThenStop(t *testing.T) {
	var s Server
	s.Handle()
	s.Handle()
	for s.Handled() < 2 { // the handlers are done before Stop: no hang
		runtime.Gosched()
	}
	if n := s.Stop(); n != 2 {
		t.Errorf("Stop after %d requests, want 2", n)
	}
}
