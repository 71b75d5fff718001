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

# Exit codes

	0  tests passed (or the program exited 0) and there were no findings
	1  tests failed, as go test (for run: the program's exit status was not 0)
	2  usage, build or tool error
	3  tests passed but there were findings

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
  - Locks reached only through a pointer parameter are classed by that
    parameter (pkg/path.Func.param), not by where the mutex was declared.
  - Locks taken through a type parameter, through a value that escaped into
    an empty interface, or through a pointer to a struct that embeds a mutex
    and escaped as a sync.Locker are not validated.
*/
package main
