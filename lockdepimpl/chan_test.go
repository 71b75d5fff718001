package lockdepimpl_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/lockdepimpl"
)

// chanCase is what rewritten code declares for one channel field ch and
// one mutex field mu: the sites of ch's two events and of mu's calls.
type chanCase struct {
	send, recv lockdepimpl.Site // "send: X", "receive: X"
	mu         lockdepimpl.Site
	m, m2      sync.Mutex // two mutexes of the class mu
	ch, other  chan int   // two channels of the class: its instances
}

// newChanCase names the classes after name: the seen-full and seen-empty
// marks live in the classes, which are the process's, so that each case
// needs classes of its own.
func newChanCase(name string) *chanCase {
	x := "example.com/m." + name
	return &chanCase{
		send:  lockdepimpl.Site{Class: "send: " + x + ".ch", File: "x.go", Line: 1},
		recv:  lockdepimpl.Site{Class: "receive: " + x + ".ch", File: "x.go", Line: 2},
		mu:    lockdepimpl.Site{Class: x + ".mu", File: "x.go", Line: 3},
		ch:    make(chan int),
		other: make(chan int),
	}
}

func (c *chanCase) lock()    { lockdepimpl.Lock(&c.m, &c.mu) }
func (c *chanCase) unlock()  { lockdepimpl.Unlock(&c.m, &c.mu) }
func (c *chanCase) lock2()   { lockdepimpl.Lock(&c.m2, &c.mu) }
func (c *chanCase) unlock2() { lockdepimpl.Unlock(&c.m2, &c.mu) }

// Each case runs first, then second, each in a goroutine of its own that
// ends before the next starts, calling what rewritten code calls before
// a channel operation with the len and cap it would see: the
// dependencies come from the calls, not from a schedule.
func TestChannelEvents(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second func(c *chanCase)
		want          []string // summaries, with the case's name dropped
	}{
		{"send-under-lock", func(c *chanCase) {
			c.lock() // the receiver takes mu, then receives
			c.unlock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
		}, func(c *chanCase) {
			c.lock() // the sender sends with mu held
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
			c.unlock()
		}, []string{"circular send: ch mu"}},
		{"receive-under-lock/close", func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Close(c.ch, &c.recv)
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
			c.unlock()
		}, []string{"circular receive: ch mu"}},
		{"buffered-room", func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 1, 1)
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 1)
			c.unlock()
		}, nil},
		{"buffered-seen-full", func(c *chanCase) {
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 1, 1) // full: marks the class
			c.lock()
			c.unlock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 1, 1)
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 1) // room now, but seen full
			c.unlock()
		}, []string{"circular send: ch mu"}},
		{"buffered-receive-not-empty", func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 2)
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 1, 2)
			c.unlock()
		}, nil},
		{"own-close-then-receive", nil, func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Close(c.ch, &c.recv)
			c.lock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
			c.unlock()
		}, nil},
		{"sender-holds-nothing", func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
		}, func(c *chanCase) {
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
			c.lock()
			c.unlock()
		}, nil},
		{"select-under-lock", func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Made(c.ch, &c.send) // a receive case taken
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.SelectSend(c.ch, &c.send, 0, 0)
			lockdepimpl.SelectRecv(c.ch, &c.recv, 0, 0)
			c.unlock()
		}, []string{"circular send: ch mu"}},
		{"two-channels", func(c *chanCase) {
			c.lock() // mu, then a receive from one channel
			c.unlock()
			lockdepimpl.Recv(c.other, &c.recv, &c.send, 0, 0)
		}, func(c *chanCase) {
			c.lock() // a send under mu, on another channel of the class
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
			c.unlock()
		}, nil},
		// A parent waits under its lock for a child's goroutine, which
		// takes the child's lock of the same class first: a nesting,
		// as a tree's, on one channel.
		{"nesting", func(c *chanCase) {
			c.lock2()
			c.unlock2()
			lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
			c.unlock()
		}, nil},
		{"select-buffered-room", func(c *chanCase) {
			c.lock()
			c.unlock()
			lockdepimpl.Made(c.ch, &c.send)
		}, func(c *chanCase) {
			c.lock()
			lockdepimpl.SelectSend(c.ch, &c.send, 0, 4)
			c.unlock()
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			defer validate.SetChannels(validate.SetChannels(true))
			c := newChanCase(strings.ReplaceAll(tc.name, "/", "_"))
			for _, f := range []func(*chanCase){tc.first, tc.second} {
				if f == nil {
					continue
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					f(c)
				}()
				<-done
			}
			var got []string
			for _, s := range summaries(findings()) {
				got = append(got, strings.ReplaceAll(s, "example.com/m."+strings.ReplaceAll(tc.name, "/", "_")+".", ""))
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

// TestChannelInstancesMeet: a wait under mu on one channel and a signal
// after mu on another make no cycle; the class is then watched, and the
// signal after mu on the channel waited for, its chain cached, makes it.
func TestChannelInstancesMeet(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	defer validate.SetChannels(validate.SetChannels(true))
	c := newChanCase("meet")
	inGoroutine(func() {
		c.lock()
		c.unlock()
		lockdepimpl.Recv(c.other, &c.recv, &c.send, 0, 0)
	})
	inGoroutine(func() {
		c.lock()
		lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
		c.unlock()
	})
	if fs := findings(); len(fs) != 0 {
		t.Fatalf("findings on two channels: %q", summaries(fs))
	}
	inGoroutine(func() {
		c.lock()
		c.unlock()
		lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
	})
	if got, want := strings.Join(summaries(findings()), "\n"), "circular send: example.com/m.meet.ch example.com/m.meet.mu"; got != want {
		t.Errorf("findings %q, want %q", got, want)
	}
}

// TestChannelNestingBothWays: a parent waits under its lock for a
// child's goroutine, which takes the child's lock (of the class) before
// it sends: a nesting, silent. Then the two swap roles on the other
// channel: each may wait for the other, reported.
func TestChannelNestingBothWays(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	defer validate.SetChannels(validate.SetChannels(true))
	c := newChanCase("bothways")
	inGoroutine(func() {
		c.lock2()
		c.unlock2()
		lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
	})
	inGoroutine(func() {
		c.lock()
		lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
		c.unlock()
	})
	if fs := findings(); len(fs) != 0 {
		t.Fatalf("findings on a nesting: %q", summaries(fs))
	}
	inGoroutine(func() {
		c.lock()
		c.unlock()
		lockdepimpl.Send(c.other, &c.send, &c.recv, 0, 0)
	})
	inGoroutine(func() {
		c.lock2()
		lockdepimpl.Recv(c.other, &c.recv, &c.send, 0, 0)
		c.unlock2()
	})
	if got, want := strings.Join(summaries(findings()), "\n"), "circular receive: example.com/m.bothways.ch example.com/m.bothways.mu"; got != want {
		t.Errorf("findings %q, want %q", got, want)
	}
}

// TestChannelsTurnedOff: with validation on but channels turned off
// (LOCKDEP_CHANNELS=0, the command's -channels=false), the channel
// functions do nothing: the hazard of send-under-lock goes unseen.
func TestChannelsTurnedOff(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	defer validate.SetChannels(validate.SetChannels(false))
	c := newChanCase("turned-off")
	c.lock()
	c.unlock()
	lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
	c.lock()
	lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
	c.unlock()
	if fs := findings(); len(fs) != 0 {
		t.Errorf("findings %q", summaries(fs))
	}
}

// With validation off, the channel functions do nothing: the hazard of
// send-under-lock goes unseen.
func TestChannelEventsOff(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	lockdep.Configure(lockdep.Off)
	c := newChanCase("off")
	c.lock()
	c.unlock()
	lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
	c.lock()
	lockdepimpl.Send(c.ch, &c.send, &c.recv, 0, 0)
	c.unlock()
	lockdepimpl.Recv(c.ch, &c.recv, &c.send, 0, 0)
	lockdepimpl.SelectSend(c.ch, &c.send, 0, 0)
	lockdepimpl.SelectRecv(c.ch, &c.recv, 0, 0)
	lockdepimpl.Made(c.ch, &c.send)
	lockdepimpl.Close(c.ch, &c.recv)
	if fs := findings(); len(fs) != 0 {
		t.Errorf("findings %q", summaries(fs))
	}
}
