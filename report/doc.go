// Package report defines lockdep's findings: the [Report] every check
// makes, the kinds of findings ([Kind]), and the values a report is made of
// ([LockRef], [Dependency], [ReleaseSite], [Goroutine], [GoroutineExit],
// [Frame]), with the lock statistics of a class ([ClassStats]).
//
// Package lockdep delivers findings as Reports (lockdep.Report is this
// Report): to its output, to the callback set with lockdep.OnReport, and
// in lockdep.Findings. The lockdep command prints the same reports, from
// each process it runs and from the union of their records.
//
// # Text form
//
// [Report.String] lays a report out as the Linux kernel's lockdep does: a
// line of '=' characters, "WARNING: " and the headline, the operation,
// the dependency chain with the stack that made each dependency, the
// locks held, the possible unsafe locking scenario, and the goroutine's
// stack; a blank line ends it. {W}, {R} and {T} mark Lock, RLock and
// TryLock. The text is for people: its layout may change between
// versions.
//
// # JSON form
//
// [Report.JSON] gives one line of JSON, the same content with stable
// field names. It is the contract: a field is never renamed or given
// another meaning without a new [Version], and fields added later are
// optional. The field names:
//
//	version        the version of this form (1)
//	kind           circular, recursive, bad_unlock, assertion,
//	               bad_subclass, timeout or exited_holding
//	headline       what follows "WARNING: " in the text
//	goroutine      the goroutine that made the operation (for
//	               exited_holding, the one that ended holding the lock)
//	lock           the lock acquired, released, asserted on or left held:
//	               class, mode (W, R or T), at (where, if known),
//	               chain_first_seen_at
//	holding        the held lock the finding is about (circular, recursive)
//	chain          a cycle's dependencies, held lock first: class, mode,
//	               after (the class held), goroutine, stack, origin
//	writers        for a cycle through read locks, where those classes are
//	               write-locked
//	detail         a sentence completing the headline
//	advice         how to fix it, or how to declare it deliberate
//	proven         set if the run took these very locks (not only their
//	               classes) in the orders that deadlock
//	guarded_by     for a cycle shown only because every dependency of it
//	               was made under one exclusive lock, that lock's class:
//	               not counted as a finding (see the lockdep package's
//	               "Trees")
//	same_instance  for recursive locking, set if the lock is the one held
//	opposite_order for recursive locking of two instances of a class, where
//	               this run took them the other way round
//	holders        for a timeout, the goroutines that hold the lock:
//	waiters        goroutine, state, waiting, waited, held_locks, stack;
//	               and the other goroutines that wait for it (for
//	               exited_holding, those that wait for the lock left held)
//	exit           for exited_holding, how the goroutine ended: started_at
//	               (its go statement), ended_at (where it ended; absent if
//	               the validator found it gone without seeing it end)
//	last_release   for a bad unlock, where this goroutine last released the
//	               lock (at) after acquiring it (acquired_at)
//	in_progress    set for a deadlock in progress: what ended the wait for
//	               the report (settle, test_end or exit)
//	held_locks     the locks the goroutine held, oldest first
//	unrecorded     for a cycle the lockdep command found across processes,
//	               the facts their records lacked: "holding" (where and in
//	               which mode the held lock was taken), "held_locks" (what
//	               else the goroutine held)
//	stack          the goroutine's stack at the operation
//	known          true in the lockdep command's output for a finding its
//	               -baseline file lists
//
// Frames are {"func", "file", "line"}, files relative to the module root
// where possible. The repository's docs/formats.md describes this form
// among every format lockdep reads and writes, and docs/report.schema.json
// is its JSON Schema.
package report
