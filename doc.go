// Package lockdep validates lock ordering at run time, in the way of the
// Linux kernel's lockdep: it reports a lock-order inversion as soon as the
// second order is first taken, on a run that did not deadlock, with the
// whole chain of dependencies and the stack that created each one.
//
// [Mutex] and [RWMutex] are drop-ins for [sync.Mutex] and [sync.RWMutex]:
// the zero value works, the method sets are complete (Lock, Unlock,
// TryLock; RLock, RUnlock, TryRLock, RLocker), both satisfy [sync.Locker]
// and serve as a [sync.Cond]'s L, and go vet's copylocks check applies.
//
//	type Account struct {
//		mu      lockdep.Mutex
//		balance int
//	}
//
//	var accountMu = lockdep.NewClass("bank.Account.mu")
//
//	func NewAccount() *Account {
//		a := new(Account)
//		a.mu.SetClass(accountMu)
//		return a
//	}
//
// # Classes
//
// The validator orders lock classes, not lock instances. All locks given
// the same [Class] are one class, so two transfers that lock two Accounts
// in opposite orders are reported even though no two goroutines ever
// contended for the same pair. A lock without a class is a class of its
// own, named after where it is first locked ("lockdep.Mutex@bank/bank.go:42"):
// safe, but it cannot catch inversions across instances, and every lock
// made costs a class. Give locks created in numbers a shared class. Two
// classes made with the same name are distinct; reports call the second
// one "name#2".
//
// # What is checked
//
// Each goroutine has a stack of the locks it holds. Acquiring lock B while
// holding A records the dependency A → B ("A was held while B was taken"),
// from every lock held: a path through a read lock that can never block
// does not stand in for the direct dependency. Then:
//
//   - Circular dependency: when a dependency is new, a search from B for a
//     path back to A; if there is one, the cycle is reported, whatever its
//     length and however many goroutines made its edges.
//   - Recursive locking: acquiring a class the goroutine already holds. The
//     same instance is a self-deadlock, unless another goroutine unlocks
//     the lock meanwhile (a hand-off, below); another instance of the class
//     is a possible deadlock unless the nesting is declared with
//     [Mutex.LockNested]. A subclass out of range is reported too.
//   - Read locks follow Go's rules. Go's RWMutex prefers writers: once a
//     writer waits, new readers block. So RLock is not recursive-safe (an
//     RLock of a held class is recursive locking), and a read acquisition
//     blocks only if some goroutine write-locks that class with Lock (a
//     writer that only TryLocks never waits, so it never blocks a reader).
//     A cycle is reported only when each of its read acquisitions is of a
//     class that is write-locked somewhere; when such a class is first
//     write-locked later, the cycles that makes possible are reported then.
//   - A successful TryLock cannot block: it adds no dependency on the locks
//     held before it, but locks taken while it is held depend on it.
//   - Bad unlock: unlocking a lock that is not locked, RUnlock of a lock
//     not read-locked, or unlocking in the other mode than the lock is held
//     in (by this goroutine or any other) is reported, and then Go's own
//     fatal error follows as usual. The report shows where this goroutine
//     last released the lock, if it still remembers.
//   - [Mutex.AssertHeld], [RWMutex.AssertRHeld] and AssertNotHeld report
//     when their condition is false; [Mutex.MightLock] records what a lock
//     would, for paths that take it only sometimes.
//   - A lock left held by a goroutine that ended, which no goroutine
//     unlocked after: see "Goroutines that end holding locks".
//
// Each problem is reported once per process, identified by its kind and the
// classes involved.
//
// # Hand-offs
//
// Unlocking from another goroutine than the one that locked is legal Go and
// is never reported; unlock order does not matter either. Releases are
// exact: once any goroutine unlocks a lock, no later check treats it as
// held. A lock may be handed over before it is unlocked, though: metrics
// code locks, starts a goroutine that unlocks when its flush is done, and
// carries on. What the first goroutine takes after that point does not
// depend on the lock. So a dependency counts once the hold it comes from
// ends by its own goroutine's unlock; if another goroutine unlocks it, the
// dependencies only that hold made are withdrawn.
//
// # Goroutines that end holding locks
//
// A goroutine may end with a lock held: legal when another goroutine
// unlocks it later (a hand-off), a bug when none does, and the goroutine
// that needs the lock next blocks for good. The end itself is therefore
// never reported. The lock is reported as "lock still held by a goroutine
// that exited" ([ExitedHolding]) when a goroutine then waits for it
// longer than the settle time, or when the process or a test ends with it
// still held (with the goroutines that wait for it), as a deadlock in
// progress is (see below).
//
// The validator learns that a goroutine ended from the go statements the
// lockdep command rewrites: a function literal's, or one that calls a
// function or a method value without arguments. The report then says
// where the goroutine was started and where it ended. Any other goroutine
// (a go statement with arguments, one in code that is not rewritten,
// those of this package's users) is found gone when the process or a test
// ends: at that moment, and only if some goroutine holds a lock, one
// goroutine dump tells which goroutines that held locks no longer exist.
// Checking an acquisition against the locks left held adds nothing to
// the fast path while there are none: it shares the flag that statistics
// and the watchdog already set.
//
// # When a finding is reported
//
// A finding is reported, and listed by [Findings], at one of four moments:
//
//   - At once, at the operation that makes it, when everything it rests on
//     is confirmed already: a bad unlock, a failed assertion, a bad
//     subclass, and a cycle whose dependencies were all made by holds that
//     have ended.
//   - When the hold it rests on ends by its own goroutine's unlock: a cycle
//     closed while the locks that made its dependencies are still held, or
//     recursive locking. This is normally a moment later, at the Unlock of
//     the outer lock.
//   - After the settle time (five seconds; LOCKDEP_SETTLE), if the
//     acquisition that made it still waits for its lock: a deadlock in
//     progress. The acquisition waits in the real Lock or RLock, as it
//     would without the validator, so goroutine dumps show it in
//     sync.Mutex.Lock, and Go's goroutine leak profile and its "all
//     goroutines are asleep" check see it as they would (the latter once
//     the report is out). The report says the goroutine is stuck, and its
//     JSON form has "in_progress": "settle".
//   - When the process or a test ends while the acquisition still waits:
//     a deadlock in progress too ("in_progress": "exit" or "test_end").
//     The end of a process is seen in code the lockdep command rewrote
//     (main returning or panicking, os.Exit, the end of a test binary, go
//     test's -timeout) and by [lockdeptest.VerifyNone] and
//     [lockdeptest.VerifyTestMain].
//
// With Panic, the panic therefore usually comes from an Unlock, after
// the real unlock; a deadlock in progress panics in a goroutine of the
// validator, which ends the process as an unrecovered panic does. A
// finding that rests on a lock held until the program ends, by a
// goroutine that does not wait, is not reported: it may be a hand-off
// that the end of the program cut short.
//
// # Trees
//
// Classes shared by instances are what make the validator see
// inversions no run hit. But code is full of trees of one type (balancer
// groups inside balancer groups, label trees, writers wrapping writers,
// lists walked hand over hand), where a class hides the one fact that
// makes the code safe: which lock is the parent.
//
//   - A tree class ([NewTreeClass]; in unmodified code a //lockdep:tree
//     comment on the mutex field's declaration, or on the struct type's)
//     declares that its locks nest parent to child. Taking one while
//     holding another of the class is not recursive locking: the
//     validator remembers the order in which it saw the two locks taken,
//     and reports two of them taken in both orders. A walk down a tree on
//     one line, and lock coupling (next.mu.Lock(); cur.mu.Unlock()), are
//     silent; a child locked, then its parent, after the parent, then the
//     child, is reported, on the fast path too.
//   - A cycle of classes that one goroutine walked on its own between two
//     locks of one class (a child Switch, its Group, then the parent
//     Switch: Switch → Group → Switch) is that nesting, and nothing more:
//     it is reported once, as recursive locking of two instances (or, for
//     a tree class, checked as above), never as a circular dependency.
//     For a tree class the walk may be in halves: a cycle whose locks
//     chain from one lock of the class to another (child T1 then G1, in
//     one goroutine; G1 then the parent T2, in another, as when a group
//     holds back a child's update while its parent updates it) is that
//     nesting too, and orders T1 before T2 as a direct nesting would: the
//     two taken the other way round are reported. Undeclared, such a
//     cycle is reported, with advice to declare the tree (Report.Advice).
//     The classic AB-BA between two classes is still reported, whatever
//     the instances, and so is any cycle the run took on the very same
//     locks.
//   - A cycle every dependency of which was made while its goroutine held
//     the same exclusive lock below it (a guard, such as a database's
//     one-writer lock) cannot deadlock on its own: two goroutines cannot
//     be inside it at once. It is shown once, saying "guarded by", and not
//     counted as a finding (Report.GuardedBy; the lockdep command does not
//     exit 3 for it). Made once without that lock, it is reported as usual.
//   - Every circular and recursive report says whether the run took the
//     very same locks in the orders that deadlock (Report.Proven: "This
//     run took these very locks"), or only locks of their classes.
//
// The trade: instance facts are gathered on the slow path, where a new
// sequence of classes is validated, and a chain of classes seen before is
// not validated again. So "the same locks" is said only when the run is
// known to have taken them (it may have without the validator seeing
// it), and a cycle is taken for a nesting only when a goroutine was seen
// to walk it, before or while the cycle waits for confirmation; a cycle
// reported before any such walk stays reported. What a tree class can
// miss: an inversion of two of its locks through locks of other classes,
// and one of more than two of its locks (a, b, c taken as a → b, b → c,
// c → a). Instances are told apart by address, the lock taken second by a
// weak pointer too, so that a new lock at a freed one's address is not
// mistaken for it. These keep the common tree shapes quiet without
// hiding the inversions that deadlock for real.
//
// # Waits that are not locks
//
// A goroutine that holds a lock while it waits for a job, a flush or a
// semaphore, where the code that finishes the job takes that lock, is a
// deadlock no lock order shows. Such a wait is validated as a
// pseudo-lock, as the Linux kernel's lockdep_map is: an event, with a
// class named "kind: name" after what is waited for, and two sides.
//
//   - A wait for the event, attempted (before it blocks, so that a wait
//     that returns at once counts too), orders every lock the goroutine
//     holds before the event: L → (wait: example.com/p.Server.wg).
//   - Making the event at one point (a Done, a send, a Signal) orders it
//     before the locks the goroutine took since its start or its previous
//     event, and those it holds; a region that makes it (an Event's Begin
//     to End, the function of WaitGroup.Go) orders it before every lock
//     taken inside, when it is taken.
//
// A wait under L for an event whose maker takes L first closes the cycle
// L → E → L, reported as any circular dependency on a run in which the
// wait returned at once, with the wait and the event's sites in the
// chain and a scenario in their words ("wg.Wait(...)", "wg.Done(...)").
// A goroutine does not wait for an event it made itself (a Wait after its
// own Done, a receive after its own close), nor, inside a region of an
// event, for another event of that class (a parallel walk's levels):
// nothing is recorded then. An event's region excludes nothing, so it
// guards no cycle.
//
// An event class stands for many events (every WaitGroup of one field),
// and a cycle through it can hang only where one of them is waited for
// under the lock before it and made after the lock after it. So the
// validator notes, per WaitGroup, channel, Cond, Once or Event, the
// classes held by its waits and those taken before it was made; a
// cycle through an event class is reported only once one instance has
// both (a "through", kept in the graph file with its classes). A wait
// under L for one channel and a close after L of another channel of
// the same class make no report. Until a cycle's event meets on one
// instance, its class is watched: each wait and signal of it notes its
// instance, not only the first of each chain.
//
// The locks on the two sides of an instance are noted by address too.
// Two locks of one class there, a parent that waits under its lock for
// a child's goroutine which takes the child's lock first, are a
// nesting, as a tree's, and cannot hang on their own: they make the
// cycle L → E → L only if they may be one lock, or if the run also
// nested two locks of the class the other way round (through another
// event, or one goroutine holding both).
//
// An [Event] declares such an event in code of one's own (a worker pool,
// a semaphore, a flush): Wait before the real wait, Begin and End around
// the code that makes it, or Signal where it is made. In code the lockdep
// command rewrites, the sync primitives are events of their own:
//
//   - sync.WaitGroup, class "wait: " and the WaitGroup's declaration: Wait
//     waits; Done makes the event; the function of WaitGroup.Go, and a
//     function from its `defer wg.Done()` to its return, run inside a
//     region of it, so that one blocked on a lock a Wait holds makes the
//     cycle before it blocks (a deadlock in progress, reported as such).
//     A WaitGroup handed over as a pointer (go work(&s.wg)) keeps the
//     class of its declaration, as a mutex does (see "Classes").
//   - sync.Once, class "once: ": a lock around its function, at the Once's
//     address. Do under L, whose function takes L, is a cycle (a Do
//     already done counts too: in another run it would have waited); Do
//     inside the function of the same Once is recursive locking, a
//     certain self-deadlock, reported while the goroutine hangs.
//   - sync.Cond, class "cond: ": Wait waits, for every lock held but its
//     own L, which Wait releases; Signal and Broadcast make the event.
//   - Channels, unless turned off (the command's -channels=false,
//     LOCKDEP_CHANNELS=0): a channel is classed by the declaration it is stored in and has two
//     events, its senders' ("send: p.T.ch", what a blocked sender waits
//     for) and its receivers' ("receive: p.T.ch"). A send or a receive
//     waits for its side's event if the channel is unbuffered, or if a
//     channel of its class was seen full (a send) or empty (a receive)
//     earlier in the run; every send, receive and close makes the other
//     side's event. A select with a default, or with a case on a timer or
//     a context's Done, is no wait; a receive of a done channel beside
//     other cases is a select's way out, not what it waits for.
//
// What a goroutine took since its last event is read from its stack of
// held locks, at no extra cost to its acquisitions but a comparison: the
// last lock released at each depth, the last eight of other classes that
// it released and took another in place of, and its last releases from
// below the top. A lock taken and released more than eight classes
// before the event is not counted.
//
// # Cost
//
// The sequence of classes a goroutine holds, plus the one it acquires, is
// a lock chain; its hash is kept incrementally. A chain seen before needs
// no validation at all: the steady state costs a few loads and stores per
// operation, takes no lock, writes no memory shared between goroutines and
// allocates nothing (2.2 to 3 times a sync.Mutex Lock+Unlock called
// directly; see the benchmarks in the repository README). Only a chain not
// seen before takes the validator's lock, captures a stack and searches
// the graph.
//
// Every lock operation records its call site: the return address into the
// caller, read through the frame pointer (checked against
// runtime.Callers at start-up; where it cannot be, as on architectures
// other than amd64 and arm64, a held lock's line says "chain first seen
// at" and shows where a goroutine first took the same classes).
//
// # Reports
//
// A finding is a [Report]. Its text form, written to standard error by
// default, follows the kernel's layout:
//
//	======================================================
//	WARNING: possible circular locking dependency detected
//	------------------------------------------------------
//	goroutine 18 is trying to acquire lock:
//	 (bank.Account.mu){W}, at: bank.transfer bank/bank.go:31
//
//	but goroutine 18 is already holding lock:
//	 (bank.Ledger.mu){W}, at: bank.audit bank/bank.go:52
//	...
//	the existing dependency chain (in reverse order) is:
//
//	-> #1 (bank.Ledger.mu){W}:
//	       bank.transfer bank/bank.go:33
//	...
//	 Possible unsafe locking scenario:
//
//	       G1                      G2
//	       ----                    ----
//	  lock(bank.Ledger.mu);
//	                               lock(bank.Account.mu);
//	                               lock(bank.Ledger.mu);
//	  lock(bank.Account.mu);
//
//	 *** DEADLOCK ***
//
// {W}, {R} and {T} mark Lock, RLock and TryLock; "at:" is where that lock
// was taken. Stack frames are function and file:line, relative to the
// module root where possible, with inlined calls expanded and the
// validator's own frames left out. The JSON form ([report.Report.JSON])
// carries the same content with stable field names; package [report]
// documents every field of a Report, and the JSON form is the contract
// tools read.
//
// # Configuration
//
// The environment is read once, at start-up:
//
//	LOCKDEP=warn|panic|exit|off   the Action on a finding: print and go on
//	                              (warn, the default), print and panic with
//	                              the Report, print and exit with status 66,
//	                              or do not validate at all (off: each
//	                              operation costs one extra branch)
//	LOCKDEP_JSON=path             also append each finding to path, one JSON
//	                              object per line
//	LOCKDEP_STAT=1                keep lock statistics per class (see Statistics)
//	LOCKDEP_TIMEOUT=duration      report a goroutine that waits longer than
//	                              that for a lock (see WaitTimeout)
//	LOCKDEP_SETTLE=duration       report a deadlock in progress once its
//	                              goroutine has waited that long (default 5s;
//	                              see "When a finding is reported")
//	LOCKDEP_GRAPH=path            keep the graph file at path up to date (see
//	                              WriteGraph), and write it on the signal
//	LOCKDEP_GRAPH_SIGNAL=name     (USR1, HUP...)
//	LOCKDEP_SIGQUIT=1             print every goroutine's held locks on
//	                              SIGQUIT, before Go's own goroutine dump
//	LOCKDEP_DUMP_AFTER=duration   print them once, that long after start-up
//	                              (the lockdep command sets it just short of
//	                              go test's -timeout)
//	LOCKDEP_MAX_CLASSES=n         bounds, see below
//	LOCKDEP_MAX_DEPENDENCIES=n
//	LOCKDEP_MAX_CHAINS=n
//	LOCKDEP_MAX_DEPTH=n
//	LOCKDEP_MAX_GOROUTINES=n
//
// [Configure] changes the [Action] on a finding, the report destination
// ([Output]), the callback ([OnReport]), [Statistics] and the watchdog
// ([WaitTimeout]) at run time; [Findings] lists the findings so far,
// [Stats] the statistics, [DumpHeld] every goroutine's held locks, and
// [WriteGraph] writes the graph file for lockdep graph and lockdep merge.
// Package lockdephttp
// serves all of it on a live page. There is one validator per process.
// Package lockdeptest fails tests that made findings.
//
// # Bounds
//
// The validator never deadlocks, never panics on its own account and never
// exits the process unless asked to. Its memory is bounded: at most
// LOCKDEP_MAX_CLASSES classes (default 65536), LOCKDEP_MAX_DEPENDENCIES
// dependencies (1048576), LOCKDEP_MAX_CHAINS chains (1048576), and
// LOCKDEP_MAX_DEPTH locks held by one goroutine (48). Reaching a bound
// prints one line that names it and the variable that raises it (the
// lockdep command prints it too, since go test hides a passing package's
// output), turns validation off, and the program carries on with plain
// locking. A finding that still waits for a hold to end is dropped then.
// LOCKDEP_MAX_GOROUTINES (16384) sizes the table of goroutines' held
// stacks; it is not a hard bound, but when many more goroutines hold locks
// at once some of them lose track of what they hold: findings in them can
// be missed, never invented.
//
// # Limitations
//
//   - Findings in a goroutine are about the locks it took through this
//     package; plain sync locks are invisible. The lockdep command
//     instruments unmodified code.
//   - A dependency made while holding a lock that another goroutine then
//     unlocks is not recorded, even if the hand-over came later: the
//     validator cannot see when it happened. It misses such inversions; it
//     never invents one.
//   - An RUnlock by a goroutine that did not RLock releases the read hold
//     of some goroutine that read-holds that lock; with several such
//     readers at once the validator cannot know whose hold was handed over.
//   - A bad-unlock report shows the earlier release only if the same
//     goroutine made it: recording every release where other goroutines
//     could see it would cost every Unlock.
//   - The validator keeps no reference to user memory, only addresses of
//     held locks.
//   - A wait is seen where the lockdep command rewrites a WaitGroup,
//     Once, Cond or channel operation (unless -channels=false), or where
//     the code declares it with an [Event]; elsewhere (a semaphore, a
//     WaitGroup whose address was taken only in code not rewritten) a
//     lock held while waiting for a goroutine that needs it is missed.
//     A Once, Cond or channel reached through a pointer or parameter is
//     classed by that pointer (a WaitGroup follows the class its address
//     was registered with where its declaration was in view), so a Cond
//     signalled through a parameter and waited for through its field are
//     two events, and a cycle through both is missed.
//   - What a goroutine took since its last event is counted whether or
//     not the wait could follow it: a wait that only happens once its
//     maker has passed a lock (a stream's second closer, which waits for
//     the first) can be reported as a cycle it cannot close. A cycle
//     through an event and locks of two or more classes is judged by
//     class on each side of the event: in tree-shaped code (a parent
//     that waits for its children under its lock, the children taking a
//     lock of another class that the parent takes after its own) it is
//     reported as the same cycle of locks would be.
//   - A goroutine whose end the validator does not see (see "Goroutines
//     that end holding locks") is found gone only when the process or a
//     test ends: a goroutine that waits for its lock before then is not
//     reported after the settle time. A lock it held that another
//     goroutine unlocked through code that is not validated is still
//     taken as held.
package lockdep
