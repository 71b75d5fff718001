/*
Lockdep runs Go tests or programs with every sync.Mutex and sync.RWMutex
operation validated: lock-order inversions, recursive locking and bad
unlocks are reported in the style of the Linux kernel's lockdep, from runs
that did not deadlock. The code under test is not modified: lockdep
rewrites it into a temporary directory and builds it with go's -overlay.
Everything else is go test's or go run's: the same build, flags, output
and exit status, plus lockdep's reports. lockdep graph draws the lock
graph such runs record, and lockdep merge finds the cycles that the
graphs of separate CI jobs make together.

# Usage

	lockdep test [flags] [packages] [flags]
	lockdep run [flags] package|files... [arguments...]
	lockdep graph [-format text|dot|svg|json] [-focus class] [-o file] graph.json...
	lockdep merge [-format text|json|sarif] [-all] [-o graph.json] [-sarif file] graph.json...
	lockdep help [test|run|graph|merge]
	lockdep version

Lock classes are named after the declarations of the locks: a struct field
is pkg/path.Type.field, an embedded mutex pkg/path.Type, a package variable
pkg/path.name, a local pkg/path.Func.name. Two instances of one field locked
in opposite orders are therefore an inversion.

The packages named and those of the main module (of every module of a
go.work workspace) they import are instrumented, tests included; -pkg adds
other modules' packages (their vendored copies, with a vendor directory).
Only what the named packages need is type-checked; a package that does not
type-check is left alone, and go reports why.

A lock keeps the class of its declaration however it is reached: through a
pointer parameter (a withLock(m *sync.Mutex, ...) helper), a getter's
result, an element of a slice or map of pointers, a sync.Locker, an any
asserted back to *sync.Mutex, or a type parameter. Where the declaration is
in view, lockdep records the class of the mutex's address (&x.mu, or a new
mutex stored in a variable or field, x.mu = new(sync.Mutex)); sites that see
only a pointer look the address up. A mutex whose declaration was never in
view gets a class of its own, named after the pointer it was first locked
through and where (pkg/path.withLock.m@file.go:12), never one shared by
every lock passed through that pointer.

Waits are validated as pseudo-locks, events named after the declarations
of what is waited for. A sync.WaitGroup's Wait, attempted while a lock L
is held, orders L before the event "wait: pkg/path.Type.wg", and its Done
(deferred, or the implicit one of WaitGroup.Go) orders the event before
the locks the goroutine took since it started or last signalled: a Wait
under L for goroutines that take L is reported as the cycle L → (wait:
pkg/path.Type.wg) → L, from a run in which Wait returned at once.
sync.Once's Do is a lock around its function ("once: pkg/path.Type.once"):
Do under L, whose function takes L, is a cycle, and Do inside its own
function is recursive locking. A sync.Cond's Wait waits for the event
"cond: pkg/path.Type.c" for every lock held but its own L (which Wait
releases), and Signal and Broadcast make it. A WaitGroup reached through a
pointer (a worker's wg *sync.WaitGroup parameter) has the class of its
declaration when its address was taken where that is in view (go
work(&s.wg)), as a mutex has; a Once or Cond reached through a pointer
is named after the pointer. The functions of
sync.OnceFunc, OnceValue and OnceValues, and the Waits of a Cond whose L
is not a sync mutex, are not validated.

Channels are validated too, unless -channels=false: a send, a receive (in a
statement, an assignment, a return, an if's or switch's init, each
iteration of a range over a channel), a close (deferred or not) and a select are waits and
events of the channel's two event classes, "send: p.T.ch" and
"receive: p.T.ch", named after the channel's declaration. A lock held
while sending on an unbuffered channel whose receiver takes that lock
before it receives is reported as a cycle through (send: p.T.ch). A
buffered channel is a wait only once its class was seen full (a send) or
empty (a receive); a select with a default, a timer case (a channel of
time.Time) or a ctx.Done() case is never a wait. See "Waits that are not
locks" in the package documentation (go doc github.com/golockdep/lockdep).
A cycle through an event is reported only once one instance (one
WaitGroup, channel, Cond or Once) was both waited for under the lock
before it and made after the lock after it: a wait under L on one
channel and a close after L of another channel of the same field make
no report. Two locks of one class on the two sides of one event, a
resolver that waits under its lock for an answer sent after an inner
resolver's lock, are a nesting: reported only if the run also nests two
of them the other way round. A select with a send case and a receive
case on one buffered channel is no wait: one of them is always ready.
-channels=false turns channel validation off, for a run that wants the
locks and sync waits alone.

# Test: lockdep test

	lockdep test [flags] [packages] [flags]

Runs go test on the packages (default: the current directory's), with
go test's flags, in any position, as go test reads them: those it does not
know, and everything after -args, go to the test binary. lockdep's own
flags (see Flags) are recognised by name wherever they are, and -tags,
-overlay, -mod and -modfile are read wherever they are, and honoured.
Tests always run (-count=1 is added unless -count is given): cached
results record nothing.

go test's output goes to stdout, and so does each report, as soon as a
test process records it. With go test's -json, stdout is go test's
test2json stream alone and the reports go to stderr; with -format=json or
sarif, stdout carries lockdep's JSON or SARIF and go test's output goes to
stderr. A summary line ends the run, on stderr:

	lockdep: 2 findings (circular 1, recursive 1, bad unlock 0) in 3 packages; 14 classes, 9 dependencies

A process that hits one of the validator's bounds (LOCKDEP_MAX_DEPTH and
the like) says so in one line and goes on without validation; the
summary then adds "(1 stopped validating at a bound, above)" after the
packages, since its counts are of a run that did not validate to its end.

go test runs one process per package. Each records its dependencies;
lockdep merges them and also reports cycles that no single process saw, as
soon as the processes' records show them, naming the package that
recorded each dependency. Each problem is reported once. Such a report
gives what the goroutine of the cycle's last dependency held, with modes
and sites, as its process recorded it; where the records lack it, the
report says so ("not recorded", and "unrecorded" in JSON) rather than
guess.

A package that fails to build is reported by go test
("FAIL pkg [build failed]", with the compiler's errors); the others still
run, and their findings and the summary are printed; lockdep then exits 1,
as go test does.

Coverage (-cover, -covermode, -coverpkg, -coverprofile, on the command
line or in GOFLAGS) is go test's, of your files and lines, and the code is
validated as without it. go's cover tool reads the source files from
disk, not through -overlay, so lockdep runs the go command with a
-toolexec of its own (lockdep cover-toolexec, which runs yours, if you
give one, for every tool): it has the cover tool read lockdep's rewritten
files, then names your files again in its output; what lockdep adds is
not counted, and columns stay yours, so the percentages and the profile
are go test's, and go tool cover -html shows them on your files. Two
limits: -coverpkg=all also counts the standard library's statements
that lockdep's own run-time code runs (not its packages themselves);
and coverage of .go files named on the command line stops lockdep with
exit status 2 before anything runs, since the cover tool would record
the paths of lockdep's copies (name their package instead).

The go command compiles the files lockdep rewrote from lockdep's temporary
directory, but its messages (the compiler's, vet's) name your file, at
your line and column; one that points into what lockdep inserted says so
("in code lockdep inserted here"). A message about the TestMain file that
lockdep adds names it as if it were in the package's directory, and
lockdep then prints what it holds (-work keeps the file).

With -stat, the processes keep lock statistics per class, as the
kernel's lock_stat does (LOCKDEP_STAT=1), and lockdep adds them up and
prints the ten most contended classes (then the most acquired) after the
run: acquisitions, contentions (acquisitions that found the lock taken
and waited), total and longest wait, longest hold, and the sites of the
most contended acquisitions. The table goes to stdout, or to stderr
when stdout carries JSON (-json, -format=json or sarif) or is the
program's (lockdep run). A test binary writes its statistics as it exits
(lockdep gives it a TestMain that runs the package's own, if it has one),
and any process writes them when the instrumented code calls os.Exit;
otherwise a program run with lockdep run writes them a tenth of a second
after it counts acquisitions, so its last moments may be missing. A line
says how many processes took locks but left no statistics.

A goroutine that deadlocks waits in its real Lock, as it does under go
test. A finding whose acquisition still waits five seconds later
(LOCKDEP_SETTLE) is reported then, as a deadlock in progress; so is one
whose acquisition still waits when its process ends, however soon that
is: a test binary that finishes while a goroutine it did not join is
stuck, a program whose main returns, panics or calls os.Exit. The report
says "was still waiting for this lock when the process ended", its JSON
has "in_progress", and the summary counts such findings:

	lockdep: 1 finding (circular 0, recursive 1, bad unlock 0; 1 deadlock in progress) in 1 package; 1 class, 0 dependencies

A goroutine may end with a lock held, for another goroutine to unlock (a
hand-off); that is never reported when it happens. lockdep rewrites go
statements so that the validator knows when their goroutines end, and
reports "lock still held by a goroutine that exited" when another
goroutine then waits for such a lock longer than the settle time, or when
the process or a test (lockdeptest.VerifyNone) ends with it still held.
The report names where the lock was taken, where the goroutine was
started and where it ended, and the goroutines that wait for the lock. A
goroutine whose go statement lockdep leaves alone (one that passes
arguments, or one in code that is not instrumented) is found gone when
its process ends.

A test that hangs until go test's -timeout (10 minutes unless -timeout,
-test.timeout after -args, or GOFLAGS says otherwise) ends in a panic
with every goroutine's stack, which says nothing of who holds which lock.
So lockdep has each test process print the locks every goroutine holds,
with the stack of each goroutine that holds one, a tenth of the timeout
(at most ten seconds) before it panics:

	lockdep: 2.7s since start-up (LOCKDEP_DUMP_AFTER):

	Showing all locks held in the system:
	1 lock held by goroutine 13 [sync.Mutex.Lock]:
	 #0: (example.com/hang.a){W}, at: example.com/hang.TestHang.func1 hang_test.go:16
	       example.com/hang.TestHang.func1 hang_test.go:19
	       example.com/hang.TestHang hang_test.go:14
	...

A test process still running then prints it even if it would have ended
in time. -timeout 0 turns it off; a LOCKDEP_DUMP_AFTER of your own (a
duration, from the start of each process) replaces lockdep's.

Examples:

	lockdep test ./...
	lockdep test -race -count=1 ./... -run TestTransfer
	lockdep test -sarif lockdep.sarif -graph graph.json ./...
	gotestsum --raw-command -- lockdep test -json ./...
	lockdep test -format=json ./... > findings.jsonl
	lockdep test -modfile=go_test.mod -pkg example.com/dep/... ./...
	lockdep test -stat -run TestLoad ./cache
	lockdep test -timeout 30s ./...
	lockdep test -race -covermode=atomic -coverprofile=coverage.out ./...

# Run: lockdep run

	lockdep run [flags] package|files... [arguments...]

Runs go run: build flags and lockdep's flags come before the package (or
the .go files); everything after it is the program's. The program gets
lockdep's stdin, stdout and stderr; lockdep's reports go to stderr, each as
soon as the program records it, and the summary when it exits. lockdep run
exits with the program's exit status when it is not 0, as go run reports
it ("exit status N"); a program that fails is not a build failure.

Named .go files (lockdep run main.go util.go arguments..., or lockdep test
x.go x_test.go) are validated as their package is: the files and the
main module's packages they import, with the classes named after the
files' directory (example.com/app.mu, not command-line-arguments.mu).

Examples:

	lockdep run ./cmd/server -listen :8080
	lockdep run -race ./cmd/tool < input.txt > output.txt

# Graph: lockdep graph

	lockdep graph [-format text|dot|svg|json] [-focus class] [-o file] graph.json...

Renders the class graph of graph files (see The graph file): each class,
and each dependency with the site that first made it; the dependencies
of reported cycles, and the classes locked recursively, are highlighted
(in red in pictures; in text, a * marks a dependency of a cycle). Several files are the graphs of several
jobs: lockdep merges them as lockdep merge does, each named after its
file, and highlights the cycles only their union shows too. "-" reads a
graph file from standard input.

	-format f     text (default), dot (Graphviz's language), svg (a
	              picture that lockdep lays out itself: nothing to
	              install), or json (the graph file, merged);
	              without -format, an -o file ending in .txt, .dot, .gv,
	              .svg or .json chooses it
	-focus class  keep only what reaches the class, or is reached from it,
	              and the findings among those classes; the class's full
	              name, or the end of it after a dot or a slash (Store.mu,
	              store.Store.mu) if only one class ends so
	-o file       write to file instead of stdout
	-C dir        change to dir first

Classes are grouped by package, each labelled with its path after the
prefix all share (named in the legend); dashed dependencies were made by
read acquisitions; classes that are write-locked have a bold outline; in
SVG, a class's or a dependency's tooltip gives its full name, the site
and who recorded it.

Examples:

	lockdep test -graph graph.json ./...
	lockdep graph graph.json | less
	lockdep graph -format svg -o graph.svg graph.json
	lockdep graph -focus Server.mu -o server.svg graph.json
	lockdep graph -format dot graph.json | dot -Tpng > graph.png

# Merge: lockdep merge

	lockdep merge [-format text|json|sarif] [-all] [-o graph.json] [-sarif file] graph.json...

Merges the graph files of separate jobs (the shards of a CI matrix, or
per-service jobs, each running lockdep test -graph) and reports the cycles
that no single job saw: a dependency one job recorded and the reverse
another recorded. Each dependency of a report is named after the job
(its graph file's name without the extension: graph-2 for
shards/graph-2.json; its path, where two files have the same name) and
the package that recorded it: "recorded by graph-2 ./cache". The jobs'
own findings were reported by the jobs: they are not repeated, and a
line on stderr counts them; -all reports them too (for a SARIF file
that holds every finding). Reports, the summary line, -format, the output
files and the exit status are as for lockdep test: the -o and -sarif files
are created before the graph files are read, and written whatever happens
(if a graph file cannot be read, the SARIF log says so, and the graph file
is empty).

	-format f     text (default), json or sarif, as for lockdep test
	-all          report the jobs' own findings as well
	-o file       write the merged graph file, every finding included
	-sarif file   also write the findings reported as SARIF 2.1.0
	-C dir        change to dir first

SARIF locations are relative to the repository root: the files of a
graph file are relative to the root of the module that recorded them,
which lockdep merge takes to be the module it runs in (or the current
directory, outside any module); files it does not find there are not
locations. Run it in a checkout of the code the jobs tested.

Example, the last job of a CI matrix whose jobs each ran
lockdep test -graph graph-N.json on part of the packages:

	lockdep merge -all -sarif lockdep.sarif -o graph.json graph-*.json

# Flags

lockdep's own flags, recognised by name before the test binary's or the
program's arguments:

	-C dir        change to dir first (relative paths below are then in dir)
	-tags list    build tags, as for go build (go gets them too)
	-pkg list     comma-separated package path patterns to instrument as
	              well, such as example.com/dep/... (repeatable)
	-format f     how reports are printed: text (default), json (one JSON
	              object per line: the -graph file's "findings"), or sarif (one
	              SARIF 2.1.0 log, at the end)
	-sarif file   also write the findings to file as SARIF 2.1.0
	-graph file   write the merged dependency graph as JSON to file
	-baseline file
	              known findings: they do not make the exit status 3
	              (see Baselines)
	-write-baseline
	              write this run's findings to the -baseline file
	-stat         keep lock statistics and print the top classes after
	              the run (see Test)
	-channels=false
	              do not validate channel sends, receives, closes and
	              selects as waits (they are by default: see the start)
	-work         keep the temporary directories, lockdep's and go's, and
	              print their names
	-version      print lockdep's version and exit
	-h            print this command's part of the manual

None of these means something else to go test or go run: -C, -tags, -h
and -work mean what they mean to go, and -o is go test's (with -c, where
the test binary goes). -graph was called -o: for one release, -o with a
.json file and without -c still means -graph, with a note that says so
(with lockdep run, which go run gives no -o, any -o file does).

The -sarif and -graph files are created before anything is built, so
that a path that cannot be written fails at once; they are written whatever
happens next, and so is the log -format=sarif prints (with
executionSuccessful false if the run did not complete: a build failure,
an interrupt), so a CI upload step with if: always() has a file to upload. Its locations are relative to the repository root
(uriBaseId %SRCROOT%: the directory holding .git, or the module root).
Every result has a location, as GitHub code scanning requires: a finding
none of whose frames is in the repository (a cycle inside a dependency, a
merge run away from the sources) is located at its first frame's file, by
absolute file:// URI where lockdep finds it (a replace directory, the
module cache, GOROOT), else as the frame names it.

# The graph file

-graph writes the merged dependency graph as one JSON object (and lockdep
merge -o the graph of several jobs):

	{
	  "version": 1,
	  "classes": [{"name": "example.com/pkg.Server.mu", "written": true}, ...],
	  "dependencies": [{"from": "example.com/pkg.Server.mu", "to": "example.com/pkg.cache",
	                    "mode": "W", "origin": "./pkg", "goroutine": 7,
	                    "stack": [{"func": ..., "file": ..., "line": ...}],
	                    "held": [{"class": ..., "mode": "W", "at": {...}}, ...]}, ...],
	  "findings": [ ... the reports, as -format=json prints them ... ]
	}

A dependency says that "from" was held while "to" was acquired, for writing
(W) or reading (R), first by the tests of package "origin" at "stack",
holding the locks "held" (when the record has them);
"written" says a class was ever write-locked, "instance" (when true) that
a class is a single lock's. Every report has a "version" field. Field
names are stable. A program writes the same file with LOCKDEP_GRAPH
(see package github.com/golockdep/lockdep); lockdep graph renders graph
files, and lockdep merge merges those of several jobs. docs/formats.md in
the repository describes every format lockdep reads and writes, with its
version and what may change.

# Interrupts

Ctrl-C and SIGTERM stop go and the tests or the program as Ctrl-C in a
terminal would; so does a closed stdout (lockdep test ./... | head). lockdep
then prints the findings recorded so far (to stderr if stdout is closed)
and the summary, removes its temporary directory (go removes its own), and
exits 1, as go test does.

# Nesting

Taking two locks of one class, one inside the other, is reported as
possible recursive locking: two goroutines taking two of them in opposite
orders deadlock. Where the order is deliberate and fixed (parent then
child, accounts by ID), say so with a directive on the line of the inner
Lock or the line above it:

	parent.mu.Lock()
	child.mu.Lock() //lockdep:nested

	//lockdep:nested 2
	grandchild.mu.RLock()

//lockdep:nested takes the lock in subclass 1, as LockNested(1) does in the
library; //lockdep:nested N (1 to 7) in subclass N, for deeper levels. A
directive applies to the Lock, RLock, TryLock and TryRLock calls on its
line or, if there are none, on the next line. A directive that does
nothing is reported as a note (lockdep: file.go:12: ...): no such call on
its line or the next, a bad level, an unknown //lockdep: name, or
"// lockdep:nested" written with a space.

Locks that nest parent to child at any depth (the nodes of a tree, a list
walked hand over hand, wrappers of wrappers) cannot be told apart by a
line: one line locks a node and then, recursively, its child. Declare the
tree once, with //lockdep:tree on the mutex field's declaration, or on
the struct type's (for all its sync.Mutex and sync.RWMutex fields,
embedded ones too):

	type node struct {
		mu       sync.Mutex //lockdep:tree
		children []*node
	}

Taking one of those locks while holding another is then no recursive
locking; lockdep checks the order of the two locks themselves and reports
two of them taken both ways round (see "Trees" in the package
documentation, which also says how cycles walked within one goroutine and
cycles under one guard lock are reported).

# Baselines

A team adopting lockdep on code that already has findings can fail CI on
new findings only:

	lockdep test -baseline lockdep.baseline -write-baseline ./...   # once, and after fixes
	lockdep test -baseline lockdep.baseline ./...                   # in CI

A finding the baseline lists is still printed, its headline marked
"(known: listed in lockdep.baseline)" ("known": true with -format=json), but does
not make the exit status 3; a line on stderr counts the new findings, the
known ones, and the listed ones that did not occur (fixed, or in packages
not run). A baseline that cannot be read or parsed stops lockdep with exit
status 2, naming the file and what is wrong, before anything is built.

The file is JSON, sorted, one line per finding:

	{
		"version": 1,
		"known": [
			"circular:example.com/pkg.Log.mu|example.com/pkg.Store.mu",
			"recursive:example.com/pkg.Node.mu{W}|example.com/pkg.Node.mu{W}|Both locks are of the same class: two goroutines taking two of them in opposite orders deadlock."
		]
	}

Each entry is a finding's key: its kind (circular, recursive, bad_unlock,
assertion, bad_subclass, timeout, exited_holding), a colon, then for a
cycle its classes, sorted, joined by |; for a timeout the class of the
lock waited for; for a lock left held by a goroutine that exited its class
and mode; for the others the lock's class and mode, the held lock's, and
the report's detail sentence. It holds no line number or goroutine, so the
baseline survives edits around the locks; renaming a lock's declaration
makes its findings new. Review the file like code.

# Exit codes

	0  tests passed (or the program exited 0) and there were no findings
	1  tests failed, or a package failed to build (the findings of the
	   packages that built are still printed), as for go test and go run;
	   interrupted
	2  usage or tool error: lockdep could not run go test or go run as
	   asked, or a combination it cannot validate (it says why)
	3  tests passed (or the program exited 0) but there were findings
	   (with -baseline, findings it does not list)
	N  for run: the program's exit status N, when it is not 0

lockdep graph exits 0, or 2 for a usage error, a graph file that cannot
be read, or a -focus class that is not in the graph. lockdep merge exits
0 when it reports nothing, 3 when it reports findings, and 2 for a usage
error or a graph file that cannot be read.

# Environment

LOCKDEP (warn, panic, exit, off), LOCKDEP_SETTLE and the LOCKDEP_MAX_*
bounds are passed to the processes under test; see the documentation of package
github.com/golockdep/lockdep. lockdep sets LOCKDEP_EVENTS for them (where
they record what they see), LOCKDEP_STAT=1 with -stat,
LOCKDEP_CHANNELS=1 (0 with -channels=false), and for test,
unless it is set already, LOCKDEP_DUMP_AFTER (see Test). GOFLAGS (its
-mod and -modfile included), GOWORK and the rest of the go command's
environment apply as usual.

lockdep needs a go command of Go 1.21 or later on PATH; the module under
test may have any go line the go command accepts (none means go 1.16):
what lockdep writes into the module's files and the TestMain it adds are
Go 1.16, without type parameters. The code lockdep adds is a module of its own
(github.com/golockdep/lockdep, embedded in the lockdep binary, so no
lockdep source is needed on disk) whose go line, 1.18, is below any that
would raise the module's: the module keeps its language version (loop
variables, vet's checks) and GODEBUG defaults, as under go test. It holds
every public package of lockdep: code that imports the library,
lockdeptest or lockdephttp builds with it, in place of the version of
lockdep the module requires. It is
written once into the user's cache directory (lockdep/runtime-* under
os.UserCacheDir: $XDG_CACHE_HOME or ~/.cache on Linux), so that the go
command's build cache can keep it compiled. With a vendor directory, the
one lockdep builds from (links to your vendored Go files, copies of the
others) is kept there too (lockdep/vendor-*), for the same reason: it is
used again while your vendor directory, go.mod and go.work are
unchanged, and removed once your vendor directory is gone or a day after
its last use. The rewrite of your packages is kept there as well
(lockdep/rewrite, the 64 used last, 128 MB at most), and used again
while no source file of your modules (or of the directories their go.mod
and go.work replace modules with) has changed name, size or time, and the
flags and the go command's environment are the same: a run of unchanged
code then skips loading and type-checking. LOCKDEP_CACHE=off turns this
off. It needs
github.com/petermattis/goid from the module cache or proxy; with a vendor
directory that lacks it, run go mod download github.com/petermattis/goid
once.
# Limitations

  - A vendor directory is used through a go.work of lockdep's own, whose
    go line is the module's (at least 1.18): a module older than go 1.18
    with a vendor directory gets go 1.18's GODEBUG defaults. Relative
    replace directories (in go.mod, go.work and vendor/modules.txt) stay
    relative to your module or workspace.
  - -modfile cannot be used in a workspace (nor can it with go).
  - Files an -overlay deletes are still type-checked from disk.
  - cgo files are not instrumented (a note says which).
  - A mutex whose address was never taken where its declaration is in
    view (one reached through pointers made outside the instrumented
    packages, or an element of a []sync.Mutex passed as a parameter) has a
    class of its own where it is reached that way; if it is also locked
    where its declaration is in view, it has two classes, and cycles
    through it can be missed.
  - A struct type that embeds a mutex is given the mutex's methods (for
    locks taken through a sync.Locker it went into) only where that changes
    no method set of its package; a mutex embedded by pointer is locked
    through a sync.Locker unvalidated.
  - A dependency made while holding a lock that another goroutine then
    unlocks is not recorded (the hand-over may have come first), and a
    finding that rests on a lock held until the process ends, by a
    goroutine that does not wait, is not reported: see "Hand-offs" in the
    package documentation.
  - A channel operation is validated only where its channel expression
    can be evaluated again without side effects (a variable, a field, a
    dereference, an index of those with such indexes): a channel that a
    call returns (ctx.Done(), s.events()) is not, nor a send in a for's
    post statement or an if's init. A receive inside the right operand
    of && or ||, a function literal's call or a var declaration is not
    validated. A channel passed as a parameter or held in a local is
    classed by that parameter or local, not by the field it came from:
    cycles through it can be missed. A channel field of a utility type
    used for unrelated purposes (a test's event channel wrapper) shares
    one class across them; a cycle through it is reported only when one
    channel meets both sides.
  - go statements whose call passes arguments, or calls a function with
    results, are not rewritten: their goroutines' ends are not seen, and
    a lock such a goroutine left held is reported only when the process
    or a test ends, not when another goroutine has waited for it the
    settle time.
  - The end of a process is seen where code lockdep rewrote ends it: main
    returning or panicking, os.Exit in the instrumented packages, the end
    of a test binary. A process ended by os.Exit in a package that is not
    instrumented (log.Fatal, a dependency), or by a panic in another
    goroutine, reports its deadlocks in progress only if they have waited
    the settle time.
*/
package main
