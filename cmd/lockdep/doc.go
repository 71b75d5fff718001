/*
Lockdep runs Go tests or programs with every sync.Mutex and sync.RWMutex
operation validated: lock-order inversions, recursive locking and bad
unlocks are reported in the style of the Linux kernel's lockdep, from runs
that did not deadlock. The code under test is not modified: lockdep
rewrites it into a temporary directory and builds it with go's -overlay.

# Usage

	lockdep test [flags] [packages] [go test flags]
	lockdep run [flags] package [arguments]
	lockdep version
	lockdep help [command]

Lock classes are named after the declarations of the locks: a struct field
is pkg/path.Type.field, an embedded mutex pkg/path.Type, a package variable
pkg/path.name, a local pkg/path.Func.name. Two instances of one field locked
in opposite orders are therefore an inversion.

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

By default every package of the main module, tests included, is
instrumented; -pkg adds other module path patterns. The packages of lockdep
itself never are.

Examples:

	lockdep test ./...
	lockdep test -json ./... > findings.jsonl
	lockdep test -sarif lockdep.sarif -o graph.json ./... -race -count=1
	lockdep run ./cmd/server -listen :8080

Flags (before the packages; everything after them goes to go test or the
program unchanged):

	-C dir        change to dir first
	-tags list    build tags, as for go build
	-pkg list     comma-separated module path patterns to instrument as well,
	              such as example.com/dep/...
	-json         print findings as JSON lines on stdout (go test's own
	              output then goes to stderr)
	-sarif file   write findings as SARIF 2.1.0 to file
	-o file       write the merged dependency graph as JSON to file
	-baseline file
	              known findings: they do not make the exit status 3
	              (see Baselines)
	-write-baseline
	              write this run's findings to the -baseline file
	-work         keep the temporary directory and print its name

# Output

Each finding is printed once, however many packages' tests found it, then a
summary line on stderr:

	lockdep: 2 findings (circular 1, recursive 1, bad unlock 0) in 3 packages; 14 classes, 9 dependencies

go test runs one process per package. Each records its dependencies; lockdep
merges them and also reports cycles that no single process saw, naming the
package that recorded each dependency.

# The graph file

-o writes the merged dependency graph as one JSON object:

	{
	  "version": 1,
	  "classes": [{"name": "example.com/pkg.Server.mu", "written": true}, ...],
	  "dependencies": [{"from": "example.com/pkg.Server.mu", "to": "example.com/pkg.cache",
	                    "mode": "W", "origin": "./pkg", "stack": [{"func": ..., "file": ..., "line": ...}]}, ...],
	  "findings": [ ... the reports, as -json prints them ... ]
	}

A dependency says that "from" was held while "to" was acquired, for writing
(W) or reading (R), first by the tests of package "origin" at "stack";
"written" says a class was ever write-locked. Field names are stable.

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

# Baselines

A team adopting lockdep on code that already has findings can fail CI on
new findings only:

	lockdep test -baseline lockdep.baseline -write-baseline ./...   # once, and after fixes
	lockdep test -baseline lockdep.baseline ./...                   # in CI

A finding the baseline lists is still printed, its headline marked
"(known: listed in lockdep.baseline)" ("known": true with -json), but does
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
assertion, bad_subclass), a colon, then for a cycle its classes, sorted,
joined by |; for the others the lock's class and mode, the held lock's, and
the report's detail sentence. It holds no line number or goroutine, so the
baseline survives edits around the locks; renaming a lock's declaration
makes its findings new. Review the file like code.

# Exit codes

	0  tests passed (or the program exited 0) and there were no findings
	1  tests failed, as go test (for run: the program's exit status was not 0)
	2  usage, build or tool error
	3  tests passed but there were findings (with -baseline, findings it
	   does not list)

# Environment

LOCKDEP (warn, panic, exit, off) and the LOCKDEP_MAX_* bounds are passed to
the processes under test; see the documentation of package
github.com/golockdep/lockdep. GOFLAGS and the rest of the go command's
environment apply as usual.

# Limitations

  - Workspaces (go.work) are not supported: run with GOWORK=off.
  - Vendored dependencies (-mod=vendor) cannot be instrumented; lockdep
    builds with -mod=mod, which needs the module cache.
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
*/
package main
