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
//	ch <- v     →  lockdepimpl_.Send(&lockdepSites_N[i], &lockdepSites_N[j], len(ch), cap(ch)); ch <- v
//	v := <-ch   →  lockdepimpl_.Recv(&lockdepSites_N[i], &lockdepSites_N[j], len(ch), cap(ch)); v := <-ch
//	close(ch)   →  lockdepimpl_.Close(&lockdepSites_N[i]); close(ch)
//
// An operation that may block is a wait on its own side's event: every
// lock the goroutine holds comes before it. A send waits if the channel
// is unbuffered, or if a channel of its class was seen full (len == cap
// at a send); a receive waits if the channel is unbuffered, or if one of
// its class was seen empty (len == 0 at a receive). A buffered channel
// with room is no wait until its class is seen full. Every operation then
// makes the other side's event: a send or a close releases receivers, a
// receive releases senders. All of this only with LOCKDEP_CHANNELS=1
// (validate.Channels): otherwise each function returns at once.

// Send validates a send on a channel whose senders' event is s and
// receivers' event is r; n and c are its len and cap.
//
//go:noinline
func Send(s, r *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		pc := stack.Caller()
		sc := s.ClassOf()
		if blocks(sc, c == 0 || n >= c) {
			v.Wait(unsafe.Pointer(s), sc, 0, pc, s)
		}
		v.Signal(r.ClassOf(), pc, r)
	}
}

// Recv validates a receive from a channel whose receivers' event is s
// and senders' event is r; n and c are its len and cap.
//
//go:noinline
func Recv(s, r *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		pc := stack.Caller()
		sc := s.ClassOf()
		if blocks(sc, c == 0 || n == 0) {
			v.Wait(unsafe.Pointer(s), sc, 0, pc, s)
		}
		v.Signal(r.ClassOf(), pc, r)
	}
}

// Close validates closing a channel whose receivers' event is r: it
// releases them.
//
//go:noinline
func Close(r *Site) {
	if v := validate.Active(); v != nil && validate.Channels() {
		v.Signal(r.ClassOf(), stack.Caller(), r)
	}
}

// SelectSend validates a send case of a select that waits (one with no
// default and no timer or context case), before the select: a wait on
// the senders' event s as Send's, but no event made, since the case may
// not be the one taken. n and c are the channel's len and cap.
//
//go:noinline
func SelectSend(s *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		sc := s.ClassOf()
		if blocks(sc, c == 0 || n >= c) {
			v.Wait(unsafe.Pointer(s), sc, 0, stack.Caller(), s)
		}
	}
}

// SelectRecv validates a receive case of a select that waits, like
// SelectSend: a wait on the receivers' event s as Recv's.
//
//go:noinline
func SelectRecv(s *Site, n, c int) {
	if v := validate.Active(); v != nil && validate.Channels() {
		sc := s.ClassOf()
		if blocks(sc, c == 0 || n == 0) {
			v.Wait(unsafe.Pointer(s), sc, 0, stack.Caller(), s)
		}
	}
}

// Made validates the event r made by the case of a select that was
// taken, at the start of the case's body: a receive case makes its
// channel's senders' event, a send case its receivers'.
//
//go:noinline
func Made(r *Site) {
	if v := validate.Active(); v != nil && validate.Channels() {
		v.Signal(r.ClassOf(), stack.Caller(), r)
	}
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
