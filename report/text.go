package report

import (
	"fmt"
	"strings"
)

// String returns the report's text form: a block that starts with a line of
// '=' characters and "WARNING: <headline>", laid out like the Linux
// kernel's lockdep reports, and ends with a blank line.
func (r Report) String() string {
	var b strings.Builder
	r.header(&b)
	switch r.Kind {
	case Circular:
		r.circular(&b)
	case Recursive:
		r.recursive(&b)
	case Timeout:
		r.timeout(&b)
	case BadUnlock:
		r.badUnlock(&b)
	case ExitedHolding:
		r.exited(&b)
	default:
		r.operation(&b)
	}
	r.footer(&b)
	return b.String()
}

// header writes the headline between its rules, then says whether the
// report is of a deadlock in progress, or of a guarded cycle.
func (r *Report) header(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	headline := r.Headline
	if headline == "" {
		headline = r.Kind.Headline()
	}
	rule := strings.Repeat("=", 54)
	p("%s\nWARNING: %s\n%s\n", rule, headline, strings.Repeat("-", 54))
	if s := r.inProgress(); s != "" {
		p("goroutine %d %s: a deadlock in progress, not a possible one.\n\n", r.waiter(), s)
	}
	if r.GuardedBy != "" {
		p("This cycle cannot deadlock on its own: each of its dependencies was made while\n")
		p("its goroutine held %s, which lets one goroutine into it at a time.\n", r.GuardedBy)
		p("It is shown once, and not counted as a finding.\n\n")
	}
}

// footer writes the locks the goroutine holds, then its stack: every
// kind of report ends so.
func (r *Report) footer(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	switch {
	case r.unrecorded("held_locks"):
		p("locks held by goroutine %d: not recorded; among them:\n", r.Goroutine)
	case len(r.HeldLocks) == 0:
		p("%s.\n", heldBy(0, r.Goroutine))
	default:
		p("%s:\n", heldBy(len(r.HeldLocks), r.Goroutine))
	}
	for i, l := range r.HeldLocks {
		p(" #%d: %s\n", i, l)
	}
	p("\nstack backtrace:\ngoroutine %d:\n", r.Goroutine)
	frames(b, r.Stack)
	p("\n")
}

// waiter returns the goroutine that waits for the lock of a deadlock in
// progress: the one that made the operation, or for ExitedHolding the
// first that waits for the lock left held.
func (r *Report) waiter() int64 {
	if r.Kind == ExitedHolding && len(r.Waiters) > 0 {
		return r.Waiters[0].ID
	}
	return r.Goroutine
}

// inProgress says how long the goroutine of a deadlock in progress
// waited, or "" if the report is not of one.
func (r *Report) inProgress() string {
	switch r.InProgress {
	case "":
		return ""
	case Settled:
		return "has waited for this lock longer than the settle time"
	case TestEnded:
		return "was still waiting for this lock when the test ended"
	}
	return "was still waiting for this lock when the process ended"
}

// circular writes the body of a Circular report: the acquisition, the
// dependency chain, and the scenario of two goroutines.
func (r *Report) circular(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	if r.Holding != nil {
		switch {
		case IsEvent(r.Holding.Class):
			p("goroutine %d makes an event:\n %s\n\n", r.Goroutine, r.Holding)
			p("after it took lock:\n %s\n\n", r.Lock)
			p("and a wait for the event already depends on that lock.\n\n")
		case IsEvent(r.Lock.Class):
			p("goroutine %d is about to wait:\n %s\n\n", r.Goroutine, r.Lock)
			p("but goroutine %d is already holding lock:\n %s\n\n", r.Goroutine, r.Holding)
			p("which lock the event already depends on.\n\n")
		default:
			p("goroutine %d is trying to acquire lock:\n %s\n\n", r.Goroutine, r.Lock)
			p("but goroutine %d is already holding lock:\n %s\n\n", r.Goroutine, r.Holding)
			p("which lock already depends on the new lock.\n\n")
		}
		if r.Proven {
			p("This run took these very locks, not only their classes, in the orders below.\n\n")
		} else {
			p("This run took locks of these classes in the orders below, not necessarily the same locks.\n\n")
		}
		if r.Detail != "" {
			p("%s\n", r.Detail)
		}
		if s := r.unrecordedText(); s != "" {
			p("%s\n", s)
		}
		if r.Detail != "" || len(r.Unrecorded) > 0 {
			p("\n")
		}
	} else {
		// The cycle was closed by the first write lock of a class that
		// was only read-locked along it until now.
		p("goroutine %d is write-locking for the first time:\n %s\n\n", r.Goroutine, r.Lock)
		p("which makes read acquisitions of it block while the writer waits,\n")
		p("and so closes an existing cycle.\n\n")
	}
	p("\nthe existing dependency chain (in reverse order) is:\n")
	n := len(r.Chain)
	for i, d := range r.Chain {
		p("\n-> #%d (%s){%s}", n-1-i, d.Class, d.Mode)
		if IsEvent(d.After) && !IsEvent(d.Class) {
			// A lock taken before the event was made: its stack is
			// where it was taken, then where the event was made.
			made, _ := holdOp(d.After, "")
			p(", taken before %s", made)
		}
		p(":")
		if d.Origin != "" {
			p(" recorded by %s", d.Origin)
		}
		p("\n")
		frames(b, d.Stack)
	}
	p("\nother info that might help us debug this:\n\n")
	// The scenario: G1 holds target and takes source; G2 holds parent,
	// the lock taken just before target along the existing chain.
	if n < 2 {
		return
	}
	target, source := r.Chain[0], r.Chain[n-1]
	parent := r.Chain[n-1]
	if n > 2 {
		parent = r.Chain[1]
		p("Chain exists of:\n  ")
		for i := n - 1; i >= 0; i-- {
			p("%s", r.Chain[i].Class)
			if i > 0 {
				p(" --> ")
			}
		}
		p("\n\n")
	}
	heldMode := target.Mode
	if r.Holding != nil && r.Holding.Mode != "" {
		heldMode = r.Holding.Mode
	}
	p(" Possible unsafe locking scenario:\n\n")
	p("       G1                      G2\n")
	p("       ----                    ----\n")
	scenario(b, target.Class, heldMode, source, parent, target)
	for _, w := range r.Writers {
		p("\n rlock(%s) blocks as soon as a writer waits for it, and it is write-locked at:\n", w.Class)
		frames(b, w.Stack)
	}
	p("\n *** DEADLOCK ***\n\n")
	if r.Advice != "" {
		p(" %s\n\n", r.Advice)
	}
}

// recursive writes the body of a Recursive report: the acquisition, the
// lock of its class held, and the scenario of one goroutine.
func (r *Report) recursive(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("goroutine %d is trying to acquire lock:\n %s\n\n", r.Goroutine, r.Lock)
	if r.Holding != nil {
		p("but goroutine %d is already holding lock:\n %s\n\n", r.Goroutine, r.Holding)
	}
	if r.Detail != "" {
		p("%s\n\n", r.Detail)
	}
	if o := r.Opposite; o != nil {
		p("the opposite order was taken by goroutine %d at:\n", o.Goroutine)
		frames(b, o.Stack)
		p("\n")
	}
	p("other info that might help us debug this:\n")
	p(" Possible unsafe locking scenario:\n\n")
	p("       G1\n")
	p("       ----\n")
	if r.Holding != nil {
		p("  %s(%s);\n", verb(r.Holding.Mode), r.Holding.Class)
	}
	p("  %s(%s);\n", verb(r.Lock.Mode), r.Lock.Class)
	p("\n *** DEADLOCK ***\n\n")
	if r.Advice != "" {
		p(" %s\n\n", r.Advice)
	}
}

// timeout writes the body of a Timeout report: the lock waited for, how
// long, its holders and the other goroutines waiting for it.
func (r *Report) timeout(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("goroutine %d is waiting to acquire lock:\n %s\n", r.Goroutine, r.Lock)
	p("%s\n", r.Detail)
	if len(r.Holders) == 0 {
		p("\nno goroutine holds it as far as the validator knows (a plain sync lock, or an RUnlock by another goroutine?)\n")
	}
	for _, h := range r.Holders {
		p("\nwhich is held by:\n")
		h.write(b)
	}
	if len(r.Waiters) > 0 {
		p("\nother goroutines waiting for it:\n")
		for _, w := range r.Waiters {
			w.write(b)
		}
	}
	p("\nother info that might help us debug this:\n")
}

// exited writes the body of an ExitedHolding report: the lock left held,
// how its goroutine ended, why that is reported, and the goroutines that
// wait for the lock. The footer then lists what the goroutine held when
// it ended, and where it ended.
func (r *Report) exited(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("goroutine %d ended while holding lock:\n %s\n\n", r.Goroutine, r.Lock)
	var started, ended *Frame
	if r.Exit != nil {
		started, ended = r.Exit.Started, r.Exit.Ended
	}
	if started != nil {
		p("it was started at:\n       %s\n", started)
	}
	switch {
	case ended != nil && ended.File == "":
		p("it ended when %s returned\n", ended.Func)
	case ended != nil:
		p("it ended at:\n       %s\n", ended)
	default:
		p("the validator did not see it end (its go statement has arguments, or is in\n")
		p("code lockdep does not rewrite), and found it gone\n")
	}
	if r.Detail != "" {
		p("\n%s\n", r.Detail)
	}
	if len(r.Waiters) > 0 {
		p("\ngoroutines waiting for it:\n")
		for _, w := range r.Waiters {
			w.write(b)
		}
	}
	if r.Advice != "" {
		p("\n%s\n", r.Advice)
	}
	p("\nother info that might help us debug this:\n")
}

// badUnlock writes the body of a BadUnlock report: the lock, why its
// unlock is bad, and where it was last released.
func (r *Report) badUnlock(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("goroutine %d is trying to release lock:\n %s\n", r.Goroutine, r.Lock)
	p("but there are no more locks to release!\n")
	if r.Detail != "" {
		p("%s\n", r.Detail)
	}
	if lr := r.LastRelease; lr != nil {
		p("\nit was last released by goroutine %d at:\n", lr.Goroutine)
		frames(b, frameList(lr.At))
		if lr.Acquired != nil {
			p("after it was acquired at:\n")
			frames(b, frameList(lr.Acquired))
		}
	}
	if r.Advice != "" {
		p("%s\n", r.Advice)
	}
	p("\nother info that might help us debug this:\n")
}

// operation writes the body of a report on one operation on a lock, of
// any other kind (Assertion, BadSubclass).
func (r *Report) operation(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("goroutine %d: %s\n %s\n", r.Goroutine, r.Detail, r.Lock)
	if r.Advice != "" {
		p("%s\n", r.Advice)
	}
	p("\nother info that might help us debug this:\n")
}

// scenario writes the two goroutines' lines: G1 holds target (in
// heldMode) and takes source; G2 holds parent and takes target. A
// goroutine that makes an event makes it after the lock it takes, so its
// line for the event comes last in its column.
func scenario(b *strings.Builder, targetClass, heldMode string, source, parent, target Dependency) {
	type line struct {
		g2   bool
		text string
	}
	g1Hold, g1After := holdOp(targetClass, heldMode)
	g2Hold, g2After := holdOp(parent.Class, parent.Mode)
	lines := []line{{false, g1Hold}, {true, g2Hold}, {true, waitOp(target.Class, target.Mode)}, {false, waitOp(source.Class, source.Mode)}}
	if g2After {
		lines[1], lines[2] = lines[2], lines[1]
	}
	if g1After {
		lines = append(lines[1:], lines[0])
	}
	pad := strings.Repeat(" ", 31)
	for _, l := range lines {
		if l.g2 {
			fmt.Fprintf(b, "%s%s;\n", pad, l.text)
		} else {
			fmt.Fprintf(b, "  %s;\n", l.text)
		}
	}
}

func verb(mode string) string {
	switch mode {
	case "R":
		return "rlock"
	case "T":
		return "trylock"
	}
	return "lock"
}

// unrecorded reports whether the report lacks fact (see Unrecorded).
func (r *Report) unrecorded(fact string) bool {
	for _, f := range r.Unrecorded {
		if f == fact {
			return true
		}
	}
	return false
}

// unrecordedText says which facts the report lacks, or is empty.
func (r *Report) unrecordedText() string {
	var missing []string
	for _, f := range r.Unrecorded {
		switch f {
		case "holding":
			missing = append(missing, "where and in which mode the held lock was acquired")
		case "held_locks":
			missing = append(missing, "what else the goroutine held")
		default:
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "The records do not say " + strings.Join(missing, ", nor ") + "."
}

// String returns the lock as reports print it: "(class){W}, at: " and
// the frame where it was taken, or ", chain first seen at: " and the frame
// of FirstSeen. A mode that was not recorded prints as {?}.
func (l LockRef) String() string {
	mode := l.Mode
	if mode == "" {
		mode = "?" // not recorded (see Report.Unrecorded)
	}
	s := fmt.Sprintf("(%s){%s}", l.Class, mode)
	switch {
	case l.At != nil:
		s += ", at: " + l.At.String()
	case l.FirstSeen != nil:
		s += ", chain first seen at: " + l.FirstSeen.String()
	}
	return s
}

// String returns the frame as reports print it: the function, a space,
// then file:line; the function alone if the file is not known, file:line
// alone if the function is not.
func (f Frame) String() string {
	switch {
	case f.File == "":
		return f.Func
	case f.Func == "":
		return fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s %s:%d", f.Func, f.File, f.Line)
}

// String returns the goroutine as a held-lock dump prints it: how many
// locks it holds and what it is doing, each held lock, the lock it waits
// for, then its stack.
func (g Goroutine) String() string {
	var b strings.Builder
	g.write(&b)
	return b.String()
}

func (g Goroutine) write(b *strings.Builder) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	p("%s", heldBy(len(g.HeldLocks), g.ID))
	if g.State != "" {
		p(" [%s]", g.State)
	}
	p(":\n")
	for i, l := range g.HeldLocks {
		p(" #%d: %s\n", i, l)
	}
	switch {
	case g.Waiting != nil && g.Waited != "":
		p(" waiting %s for: %s\n", g.Waited, g.Waiting)
	case g.Waiting != nil:
		p(" waiting for: %s\n", g.Waiting)
	}
	frames(b, g.Stack)
}

// heldBy says how many locks goroutine g holds, as the kernel does.
func heldBy(n int, g int64) string {
	switch n {
	case 0:
		return fmt.Sprintf("no locks held by goroutine %d", g)
	case 1:
		return fmt.Sprintf("1 lock held by goroutine %d", g)
	}
	return fmt.Sprintf("%d locks held by goroutine %d", n, g)
}

func frameList(f *Frame) []Frame {
	if f == nil {
		return nil
	}
	return []Frame{*f}
}

func frames(b *strings.Builder, fs []Frame) {
	if len(fs) == 0 {
		b.WriteString("       (no stack recorded)\n")
	}
	for _, f := range fs {
		b.WriteString("       " + f.String() + "\n")
	}
}
