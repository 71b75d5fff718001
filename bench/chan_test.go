package bench

import (
	"testing"

	"github.com/golockdep/lockdep/lockdepimpl"
)

// Channels, as rewritten code validates them: the lockdepimpl call that
// the lockdep command puts before each send and receive, called
// directly, against the plain operation (impl=sync). There is no
// go-deadlock counterpart.

// chanSites are what a rewritten file declares for a channel field's
// two events, per operation.
var chanSites = [...]lockdepimpl.Site{
	{Class: "send: example.com/m.conn.out", File: "x.go", Line: 1},    // send waits
	{Class: "receive: example.com/m.conn.out", File: "x.go", Line: 1}, // send makes
	{Class: "receive: example.com/m.conn.out", File: "x.go", Line: 2}, // receive waits
	{Class: "send: example.com/m.conn.out", File: "x.go", Line: 2},    // receive makes
	{Class: "send: example.com/m.conn.buf", File: "x.go", Line: 3},
	{Class: "receive: example.com/m.conn.buf", File: "x.go", Line: 3},
	{Class: "receive: example.com/m.conn.buf", File: "x.go", Line: 4},
	{Class: "send: example.com/m.conn.buf", File: "x.go", Line: 4},
}

// BenchmarkChanUnbuffered is a send on an unbuffered channel and its
// receive by another goroutine: one pair per iteration.
func BenchmarkChanUnbuffered(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int)
		done := make(chan struct{})
		go func() {
			for range ch {
			}
			close(done)
		}()
		for b.Loop() {
			ch <- 1
		}
		close(ch)
		<-done
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int)
		done := make(chan struct{})
		go func() {
			for {
				lockdepimpl.Recv(ch, &chanSites[2], &chanSites[3], len(ch), cap(ch))
				if _, ok := <-ch; !ok {
					break
				}
			}
			close(done)
		}()
		for b.Loop() {
			lockdepimpl.Send(ch, &chanSites[0], &chanSites[1], len(ch), cap(ch))
			ch <- 1
		}
		close(ch)
		<-done
	})
}

// BenchmarkChanBuffered is a send on a buffered channel with room and a
// receive of it by the same goroutine.
func BenchmarkChanBuffered(b *testing.B) {
	b.Run("impl=sync", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, 1)
		for b.Loop() {
			ch <- 1
			<-ch
		}
	})
	b.Run("impl=lockdep", func(b *testing.B) {
		b.ReportAllocs()
		ch := make(chan int, 1)
		for b.Loop() {
			lockdepimpl.Send(ch, &chanSites[4], &chanSites[5], len(ch), cap(ch))
			ch <- 1
			lockdepimpl.Recv(ch, &chanSites[6], &chanSites[7], len(ch), cap(ch))
			<-ch
		}
	})
}
