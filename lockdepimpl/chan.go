package lockdepimpl

import (
	"unsafe"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/internal/validate"
)

// Channels. A channel's class is the declaration it is stored in (a
// field, a variable), and it has two event classes: its senders'
// ("send: X", what a blocked sender waits for: a receiver) and its
// receivers' ("receive: X", what a blocked receiver waits for: a send or
// a close). Rewritten code calls these functions just before the channel
// operation, on its line, with the sites of the two classes and the
// channel's len and cap evaluated there:
//
//	ch <- v     →  lockdepimpl_.Send(ch, &lockdepSites_N[i], &lockdepSites_N[j], len(ch), cap(ch)); ch <- v
//	v := <-ch   →  lockdepimpl_.Recv(ch, &lockdepSites_N[i], &lockdepSites_N[j], len(ch), cap(ch)); v := <-ch
//	close(ch)   →  lockdepimpl_.Close(ch, &lockdepSites_N[i]); close(ch)
//
// The channel itself is the instance of both event classes: a wait and
// a signal on two channels of one class make no cycle (see the
// validator's throughs).
//
// An operation that may block is a wait on its own side's event: every
// lock the goroutine holds comes before it. A send waits if the channel
// is unbuffered, or if a channel of its class was seen full (len == cap
// at a send); a receive waits if the channel is unbuffered, or if one of
// its class was seen empty (len == 0 at a receive). A buffered channel
// with room is no wait until its class is seen full. Every operation then
// makes the other side's event: a send or a close releases receivers, a
// receive releases senders. All of this unless channels are turned off
// (LOCKDEP_CHANNELS=0, validate.Channels): then each function returns at
// once.

// Send validates a send on channel ch, whose senders' event is s and
// receivers' event is r; n and c are its len and cap.
//
//go:noinline
func Send(ch any, s, r *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		pc := stack.Caller()
		sc := s.ClassOf()
		p := chanPtr(ch, s)
		if blocks(sc, c == 0 || n >= c) {
			v.Wait(p, sc, 0, pc, s)
		}
		v.Signal(p, nil, pc, r)
	}
}

// Recv validates a receive from channel ch, whose receivers' event is s
// and senders' event is r; n and c are its len and cap.
//
//go:noinline
func Recv(ch any, s, r *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		pc := stack.Caller()
		sc := s.ClassOf()
		p := chanPtr(ch, s)
		if blocks(sc, c == 0 || n == 0) {
			v.Wait(p, sc, 0, pc, s)
		}
		v.Signal(p, nil, pc, r)
	}
}

// Close validates closing channel ch, whose receivers' event is r: it
// releases them.
//
//go:noinline
func Close(ch any, r *Site) {
	if v := validate.Active(); v != nil && validate.Channels() {
		v.Signal(chanPtr(ch, r), nil, stack.Caller(), r)
	}
}

// SelectSend validates a send case of a select that waits (one with no
// default and no timer or context case), before the select: a wait on
// the senders' event s as Send's, but no event made, since the case may
// not be the one taken. ch is the channel, n and c its len and cap.
//
//go:noinline
func SelectSend(ch any, s *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		sc := s.ClassOf()
		if blocks(sc, c == 0 || n >= c) {
			v.Wait(chanPtr(ch, s), sc, 0, stack.Caller(), s)
		}
	}
}

// SelectRecv validates a receive case of a select that waits, like
// SelectSend: a wait on the receivers' event s as Recv's.
//
//go:noinline
func SelectRecv(ch any, s *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		sc := s.ClassOf()
		if blocks(sc, c == 0 || n == 0) {
			v.Wait(chanPtr(ch, s), sc, 0, stack.Caller(), s)
		}
	}
}

// SelectBoth validates a select, one that waits, with a send case and a
// receive case on channel ch, whose senders' event is s and receivers'
// event is r; c is its cap. On a buffered channel one of the two is
// always ready, and the select does not wait; on an unbuffered one it
// waits for both.
//
//go:noinline
func SelectBoth(ch any, s, r *Site, c int) {
	if c > 0 {
		return
	}
	if v := validate.Active(); v != nil && validate.Channels() {
		pc := stack.Caller()
		p := chanPtr(ch, s)
		v.Wait(p, nil, 0, pc, s)
		v.Wait(p, nil, 0, pc, r)
	}
}

// Made validates the event r made on channel ch by the case of a select
// that was taken, at the start of the case's body: a receive case makes
// its channel's senders' event, a send case its receivers'. ch is nil
// where the case's variables hide the channel's names.
//
//go:noinline
func Made(ch any, r *Site) {
	if v := validate.Active(); v != nil && validate.Channels() {
		v.Signal(chanPtr(ch, r), nil, stack.Caller(), r)
	}
}

// chanPtr returns the address of channel ch, of any channel type, or
// that of site s for a nil channel (or none): a wait and a signal meet
// on a channel only if both name it.
func chanPtr(ch any, s *Site) unsafe.Pointer {
	if p := (*[2]unsafe.Pointer)(unsafe.Pointer(&ch))[1]; p != nil {
		return p
	}
	return unsafe.Pointer(s)
}

// blocks reports whether an operation on a channel of event class c may
// block: it may now (now; a buffered channel full for a send, empty for a
// receive, which marks the class), or a channel of its class was seen so
// earlier in the run.
func blocks(c *validate.Class, now bool) bool {
	if now {
		c.See()
		return true
	}
	return c.Seen()
}
