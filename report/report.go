package report

import (
	"encoding/json"
	"fmt"
)

// Version is the version of the JSON form of a Report, carried in its
// "version" field. It changes only when a field changes meaning: a field
// added later is optional, and a report without it means what it meant
// before.
const Version = 1

// Kind is the kind of a finding. It marshals to JSON as its name.
type Kind int

// The kinds of findings.
const (
	// Circular: a new dependency closes a cycle of lock classes.
	Circular Kind = iota + 1
	// Recursive: a goroutine acquires a class it already holds.
	Recursive
	// BadUnlock: a lock that is not held is unlocked, or unlocked in the
	// wrong mode.
	BadUnlock
	// Assertion: AssertHeld, AssertRHeld or AssertNotHeld failed.
	Assertion
	// BadSubclass: LockNested or RLockNested with a subclass out of range.
	BadSubclass
	// Timeout: a goroutine waited longer than the watchdog's timeout for
	// a lock.
	Timeout
	// ExitedHolding: a goroutine ended while it held a lock, and no
	// goroutine unlocked it after: another one waits for it for good, or
	// the test or the process ended with it still held.
	ExitedHolding
)

var kindNames = [...]string{Circular: "circular", Recursive: "recursive", BadUnlock: "bad_unlock", Assertion: "assertion", BadSubclass: "bad_subclass", Timeout: "timeout", ExitedHolding: "exited_holding"}

var headlines = [...]string{
	Circular:    "possible circular locking dependency detected",
	Recursive:   "possible recursive locking detected",
	BadUnlock:   "bad unlock balance detected",
	Assertion:   "lock assertion failed",
	BadSubclass: "invalid lock subclass",
	Timeout:     "lock wait timeout",
	// Like the kernel's "lock held when returning to user space!".
	ExitedHolding: "lock still held by a goroutine that exited",
}

// Kinds lists every kind, in order.
func Kinds() []Kind {
	return []Kind{Circular, Recursive, BadUnlock, Assertion, BadSubclass, Timeout, ExitedHolding}
}

// String returns the kind's JSON name: circular, recursive, bad_unlock,
// assertion, bad_subclass, timeout or exited_holding.
func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Headline returns the report headline for the kind, as printed after
// "WARNING: ".
func (k Kind) Headline() string {
	if k > 0 && int(k) < len(headlines) {
		return headlines[k]
	}
	return "lockdep finding"
}

// MarshalText implements encoding.TextMarshaler: the kind's name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler. A name it does not
// know is an error.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown report kind %q", b)
}

// Frame is one call site of a stack: the package path-qualified function
// and file:line, the file relative to the module root where possible.
type Frame struct {
	Func string `json:"func"`
	File string `json:"file"`
	Line int    `json:"line"`
}

// LockRef is a lock as a report names it: its class, the mode of the
// operation on it, and where that operation was.
type LockRef struct {
	Class string `json:"class"`
	// Mode is "W" for Lock, "R" for RLock, "T" for TryLock and TryRLock;
	// the text form prints it as {W}, {R}, {T}. It is empty where a
	// record did not say (see Report.Unrecorded).
	Mode string `json:"mode"`
	// At is where the lock was acquired (or released, for BadUnlock), if
	// known.
	At *Frame `json:"at,omitempty"`
	// FirstSeen is, for a held lock whose own acquisition site is not
	// known (see the package documentation of lockdep), where a goroutine
	// first took the same sequence of locks. It is never printed as the
	// acquisition site.
	FirstSeen *Frame `json:"chain_first_seen_at,omitempty"`
}

// Dependency is one link of a dependency chain: Class was acquired (in
// Mode) while After was held, first by Goroutine at Stack.
type Dependency struct {
	Class     string  `json:"class"`
	Mode      string  `json:"mode"`
	After     string  `json:"after,omitempty"`
	Goroutine int64   `json:"goroutine"`
	Stack     []Frame `json:"stack"`
	// Origin is, in reports the lockdep command merges from several
	// processes, the package (or job) whose process recorded the
	// dependency.
	Origin string `json:"origin,omitempty"`
}

// ReleaseSite is where a goroutine last released a lock, in a bad-unlock
// report.
type ReleaseSite struct {
	Goroutine int64 `json:"goroutine"`
	// At is where it was released; Acquired where it had been acquired.
	At       *Frame `json:"at,omitempty"`
	Acquired *Frame `json:"acquired_at,omitempty"`
}

// GoroutineExit is, in an ExitedHolding report, how the goroutine that
// held the lock ended.
type GoroutineExit struct {
	// Started is where the goroutine was started: its go statement, if
	// the lockdep command rewrote it.
	Started *Frame `json:"started_at,omitempty"`
	// Ended is where it ended: the return of the function it ran (the
	// function alone when only its name is known). It is nil when the
	// validator did not see the goroutine end, but found it gone when the
	// test or the process ended (a goroutine started by a go statement
	// that was not rewritten, or by code that is not).
	Ended *Frame `json:"ended_at,omitempty"`
}

// Report is one finding. Its text form (String) follows the layout of the
// Linux kernel's lockdep reports; it marshals to JSON with the field names
// shown, which are stable.
type Report struct {
	// Version is the version of this JSON form (Version).
	Version  int    `json:"version"`
	Kind     Kind   `json:"kind"`
	Headline string `json:"headline"`
	// Goroutine is the goroutine that made the operation reported; for
	// ExitedHolding, the goroutine that ended holding the lock.
	Goroutine int64 `json:"goroutine"`
	// Lock is the lock being acquired (Circular, Recursive, BadSubclass),
	// released (BadUnlock) or asserted on (Assertion); for ExitedHolding,
	// the lock left held, with where it was taken.
	Lock LockRef `json:"lock"`
	// Holding is, for Circular, the held lock that the new one closes the
	// cycle with and, for Recursive, the held lock of the same class.
	Holding *LockRef `json:"holding,omitempty"`
	// Chain is, for Circular, the dependency cycle in the order the text
	// prints it: Chain[0] is the held lock (#n), the last entry the new lock
	// (#0). Chain[i].After is the class held when Chain[i].Class was taken.
	Chain []Dependency `json:"chain,omitempty"`
	// Writers is, for a Circular report with read acquisitions, where each
	// read-acquired class of the cycle is write-locked: a waiting writer
	// is what makes those read acquisitions block.
	Writers []Dependency `json:"writers,omitempty"`
	// Detail is a sentence that completes the headline, such as why an
	// unlock is bad or what an assertion expected.
	Detail string `json:"detail,omitempty"`
	// Advice says how to fix the finding or, if it is deliberate, how to
	// tell the validator so.
	Advice string `json:"advice,omitempty"`
	// SameInstance is, for Recursive, set when the lock acquired is the
	// very one held: a certain self-deadlock, not a possible one.
	SameInstance bool `json:"same_instance,omitempty"`
	// Proven is set when the run took the very locks of the report (the
	// same instances, not only their classes) in an order that
	// deadlocks: the same lock twice, two locks of one class in both
	// orders, or a cycle whose dependencies chain through the same locks.
	Proven bool `json:"proven,omitempty"`
	// GuardedBy is, for a cycle every dependency of which was made while
	// its goroutine held the same exclusive lock below it (a gate, such as
	// a database's one-writer lock), that lock's class: two goroutines
	// cannot be inside the cycle at once, so it cannot deadlock on its
	// own. Such a cycle is reported once, and not counted as a finding.
	GuardedBy string `json:"guarded_by,omitempty"`
	// Opposite is, for recursive locking of two instances of one class,
	// where this run took the two in the opposite order (Class while
	// holding After), if it did.
	Opposite *Dependency `json:"opposite_order,omitempty"`
	// Holders are, for Timeout, the goroutines that hold the lock, and
	// Waiters the others that wait for it; for ExitedHolding, Waiters are
	// the goroutines that wait for the lock left held.
	Holders []Goroutine `json:"holders,omitempty"`
	Waiters []Goroutine `json:"waiters,omitempty"`
	// Exit is, for ExitedHolding, how the goroutine that held the lock
	// ended.
	Exit *GoroutineExit `json:"exit,omitempty"`
	// LastRelease is, for BadUnlock, the last release of the lock by the
	// same goroutine, if the validator still remembers it.
	LastRelease *ReleaseSite `json:"last_release,omitempty"`
	// InProgress is set when the goroutine was still waiting for the lock
	// when the finding was reported (for ExitedHolding, the first of
	// Waiters): a deadlock in progress, not a possible one. It says what
	// ended the wait for the report: Settled, TestEnded or ProcessEnded.
	InProgress string `json:"in_progress,omitempty"`
	// HeldLocks are the locks the goroutine held, oldest first; for
	// ExitedHolding, those it held when it ended.
	HeldLocks []LockRef `json:"held_locks"`
	// Unrecorded names, for a cycle that the command found in the union
	// of several processes' records, the facts that a process's own
	// report gives but those records lacked: "holding" (where the held
	// lock was acquired and in which mode; Holding has its class alone)
	// and "held_locks" (what else the goroutine held; HeldLocks has the
	// held lock alone). The text form says so. Empty when the report is
	// complete.
	Unrecorded []string `json:"unrecorded,omitempty"`
	// Stack is the goroutine's stack at the operation; for ExitedHolding,
	// where it ended, if the validator saw it end.
	Stack []Frame `json:"stack"`
	// Known is set by the lockdep command, run with -baseline, on a
	// finding that the baseline file lists. The validator never sets it.
	Known bool `json:"known,omitempty"`
}

// The values of Report.InProgress.
const (
	// Settled: the acquisition had waited for its lock for the settle time.
	Settled = "settle"
	// TestEnded: a test ended while the acquisition waited.
	TestEnded = "test_end"
	// ProcessEnded: the process ended while the acquisition waited.
	ProcessEnded = "exit"
)

// Counted reports whether the report counts as a finding: every one but a
// guarded cycle (GuardedBy), which is shown once and not counted.
func (r *Report) Counted() bool { return r.GuardedBy == "" }

// JSON returns the report as one line of JSON, without a newline.
func (r *Report) JSON() []byte {
	b, err := json.Marshal(r)
	if err != nil { // cannot happen: all fields marshal
		return []byte(`{"kind":"error"}`)
	}
	return b
}

// Classes returns the classes the report is about, each once, in the
// order the text names them.
func (r *Report) Classes() []string {
	var cs []string
	seen := map[string]bool{}
	add := func(c string) {
		if c != "" && !seen[c] {
			seen[c] = true
			cs = append(cs, c)
		}
	}
	if r.Kind == Circular {
		for i := len(r.Chain) - 1; i >= 0; i-- {
			add(r.Chain[i].Class)
		}
		return cs
	}
	if r.Holding != nil {
		add(r.Holding.Class)
	}
	add(r.Lock.Class)
	return cs
}
