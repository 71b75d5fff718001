package lockdep

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Kind is the kind of a finding.
type Kind int

// The kinds of findings.
const (
	// Circular: a new dependency closes a cycle of lock classes.
	Circular Kind = iota + 1
	// Recursive: a goroutine acquires a class it already holds.
	Recursive
	// BadUnlock: a lock that is not held is unlocked.
	BadUnlock
	// Assertion: AssertHeld, AssertRHeld or AssertNotHeld failed.
	Assertion
)

var kindNames = [...]string{Circular: "circular", Recursive: "recursive", BadUnlock: "bad_unlock", Assertion: "assertion"}

var headlines = [...]string{
	Circular:  "possible circular locking dependency detected",
	Recursive: "possible recursive locking detected",
	BadUnlock: "bad unlock balance detected",
	Assertion: "lock assertion failed",
}

// String returns the kind's JSON name: circular, recursive, bad_unlock or
// assertion.
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

// MarshalText implements encoding.TextMarshaler.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if n != "" && n == string(b) {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("lockdep: unknown report kind %q", b)
}

// Frame is one call site of a stack.
type Frame struct {
	Func string `json:"func"` // package path-qualified function name
	File string `json:"file"` // relative to the module root where possible
	Line int    `json:"line"`
}

// Lock names a lock in a report.
type Lock struct {
	Class string `json:"class"`
	// Mode is "W" for Lock, "R" for RLock, "T" for TryLock and TryRLock;
	// the text form prints it as {W}, {R}, {T}.
	Mode string `json:"mode"`
	// At is where the lock was acquired (or released, for BadUnlock), if
	// known.
	At *Frame `json:"at,omitempty"`
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
	// processes, the package whose process recorded the dependency.
	Origin string `json:"origin,omitempty"`
}

// Report is one finding. Its text form (String) follows the layout of the
// Linux kernel's lockdep reports; it marshals to JSON with the field names
// shown, which are stable.
type Report struct {
	Kind     Kind   `json:"kind"`
	Headline string `json:"headline"`
	// Goroutine is the goroutine that made the operation reported.
	Goroutine int64 `json:"goroutine"`
	// Lock is the lock being acquired (Circular, Recursive), released
	// (BadUnlock) or asserted on (Assertion).
	Lock Lock `json:"lock"`
	// Holding is, for Circular, the held lock that the new one closes the
	// cycle with and, for Recursive, the held lock of the same class.
	Holding *Lock `json:"holding,omitempty"`
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
	// LastRelease is, for BadUnlock, the last release of the lock the
	// validator saw, if any: Goroutine released it; Stack is where it had
	// been acquired.
	LastRelease *Dependency `json:"last_release,omitempty"`
	// HeldLocks are the locks the goroutine held, oldest first.
	HeldLocks []Lock `json:"held_locks"`
	// Stack is the goroutine's stack at the operation.
	Stack []Frame `json:"stack"`
}

// JSON returns the report as one line of JSON, without a newline.
func (r *Report) JSON() []byte {
	b, err := json.Marshal(r)
	if err != nil { // cannot happen: all fields marshal
		return []byte(`{"kind":"error"}`)
	}
	return b
}

// key identifies the problem a report is about, for deduplication: its
// kind and the classes involved.
func (r *Report) key() string {
	k := r.Kind.String() + ":"
	if r.Kind == Circular {
		return k + strings.Join(sortedClasses(r.Chain), "|")
	}
	k += r.Lock.Class + "|" + r.Lock.Mode
	if r.Holding != nil {
		k += "|" + r.Holding.Class + "|" + r.Holding.Mode
	}
	return k + "|" + r.Detail
}
