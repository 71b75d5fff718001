package report

import "strings"

// Waits that are not locks are ordered as pseudo-locks (see the lockdep
// package documentation, "Waits and events"): their classes are named
// "kind: name", after what is waited for, and a report shows them as
// (wait: example.com/p.Server.wg). The kinds are:
//
//	wait     a sync.WaitGroup: Wait waits, Done makes the event
//	send     a channel's senders: a send waits for a receiver
//	receive  a channel's receivers: a receive waits for a send or a close
//	cond     a sync.Cond: Wait waits, Signal and Broadcast make the event
//	once     a sync.Once: Do is a lock around its function
//	event    a lockdep.Event
var eventKinds = map[string]eventWords{
	"wait":    {wait: "wg.Wait", make: "wg.Done"},
	"send":    {wait: "send", make: "receive"},
	"receive": {wait: "receive", make: "send"},
	"cond":    {wait: "cond.Wait", make: "cond.Signal"},
	"once":    {wait: "once.Do", make: "once.Do", region: true},
	"event":   {wait: "wait", make: "signal"},
}

// eventWords are what a scenario says of an event: the operation that
// waits for it, the one that makes it, and whether making it is a region
// (Once.Do runs its function inside) rather than one point.
type eventWords struct {
	wait, make string
	region     bool
}

// EventOf splits the class name of an event, "kind: name", into its kind
// and the name of what is waited for; ok is false for a lock's class.
func EventOf(class string) (kind, name string, ok bool) {
	kind, name, ok = strings.Cut(class, ": ")
	if !ok {
		return "", "", false
	}
	if _, known := eventKinds[kind]; !known {
		return "", "", false
	}
	return kind, name, true
}

// IsEvent reports whether class names an event rather than a lock.
func IsEvent(class string) bool {
	_, _, ok := EventOf(class)
	return ok
}

// waitOp is the scenario's line for acquiring class in mode: taking a
// lock, or waiting for an event.
func waitOp(class, mode string) string {
	if kind, name, ok := EventOf(class); ok {
		return eventKinds[kind].wait + "(" + name + ")"
	}
	return verb(mode) + "(" + class + ")"
}

// holdOp is the scenario's line for holding class: a lock taken, or an
// event made (after what the goroutine took), and whether the line comes
// after the goroutine's other one (an event made at one point is made
// after the locks it depends on).
func holdOp(class, mode string) (line string, after bool) {
	if kind, name, ok := EventOf(class); ok {
		w := eventKinds[kind]
		return w.make + "(" + name + ")", !w.region
	}
	return verb(mode) + "(" + class + ")", false
}
