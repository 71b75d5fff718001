package abba

import "testing"

func TestPutThenFlush(t *testing.T) {
	c := New()
	done := make(chan struct{})
	go func() { c.Put("a", "1"); close(done) }()
	<-done
	done = make(chan struct{})
	go func() {
		if n := c.Flush(); n != 1 {
			t.Errorf("flushed %d items, want 1", n)
		}
		close(done)
	}()
	<-done
}
