// Package engine is the lock validator's engine: the class graph, the
// goroutines' held locks, the pending findings of hand-offs and their
// settling, what it knows of instances (nestings, guards), and the
// findings it records. It reads no environment, opens no file and
// handles no signal: package validate wraps it in the process's
// validator, which configures it and owns what leaves the process (the
// text and JSON outputs, the callback, the events record's file, the
// graph file, the watchdog, the dumps). An Engine made with New runs on
// its own, as its tests do, several at once.
//
// Data flows one way: an acquisition looks up the goroutine's held stack
// (package held), then the chain cache (package graph); a hit is done.
// Only a miss takes the engine's lock, records dependencies in the
// class graph and searches it, and makes findings (package report), which
// are delivered to the host with no lock held.
//
// # Hand-offs
//
// Go lets one goroutine unlock a lock another one locked. The hold may
// pass to the unlocking goroutine at any moment before it unlocks (a
// go statement, a channel send), so what the locking goroutine acquires
// while the lock is still locked need not depend on it. The engine
// therefore treats every dependency as pending until the hold it comes
// from ends: released by the goroutine that took it, the dependency is
// confirmed; released by another goroutine, it is withdrawn, unless
// another hold confirmed it meanwhile. A finding that rests on pending
// dependencies (or, for recursive locking, on a hold) is reported when
// they are confirmed and dropped when one is withdrawn. The acquisition
// that made such a finding waits in the real lock (Settle); if it still
// waits after the settle time, or when the process or a test ends
// (ReportWaiting), the finding is reported then, as a deadlock in
// progress. Releases are exact: once any goroutine unlocks a lock, no
// later check of any goroutine treats it as held.
//
// # Delivery
//
// Every path that confirms a finding (an acquisition, a release, a
// hand-off and the search again it may cause, the settle timer, the end of
// the process, a report of a long wait) records it with record, which
// queues it; deliver empties the queue with no lock held, and every such
// path calls it. A finding recorded is delivered once, to the host's
// Emit.
package engine
