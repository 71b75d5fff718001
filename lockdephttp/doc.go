// Package lockdephttp serves the state of the lock validator of package
// [github.com/golockdep/lockdep] over HTTP, for a running process: the
// findings, the lock classes and their statistics, the lock chains, the
// use of each bound and the dependency graph, as the kernel's
// /proc/lockdep, lockdep_chains, lockdep_stats and lock_stat show them.
//
// # Mounting
//
// Importing the package for its side effect registers its handlers on
// [http.DefaultServeMux], as net/http/pprof does:
//
//	import _ "github.com/golockdep/lockdep/lockdephttp"
//
//	go http.ListenAndServe("localhost:6060", nil)
//
// The page is then at /debug/lockdep (and /debug/lockdep/), the Prometheus
// metrics at /debug/lockdep/metrics. To serve them on a mux of one's own,
// import the package by name and mount the handlers wherever wanted:
//
//	mux := http.NewServeMux()
//	mux.Handle("/debug/lockdep", lockdephttp.Handler())
//	mux.Handle("/debug/lockdep/metrics", lockdephttp.MetricsHandler())
//
// Any import of the package, by name too, registers those three paths on
// the default mux; the default mux serves nothing unless the program
// serves it.
//
// # The page
//
// [Handler] serves a plain HTML page that needs nothing but itself (no
// script, no style sheet, no font from elsewhere), readable in a browser
// and with curl. It shows, from the top:
//
//   - whether validation and statistics are on, and how to turn
//     statistics on when they are off;
//   - the findings, each with its full text report, as the validator
//     printed it;
//   - the dependency graph as an SVG picture, laid out in process by a
//     small layered layout in pure Go (no Graphviz): dependencies point
//     left to right where the cycles allow, each package is a lane with
//     a box around its classes, the dependencies of reported cycles are
//     red; long class names wrap inside their boxes. A graph of more than
//     2,500 classes and dependencies together is not drawn (the page says
//     so, and shows the rest); focus on a class instead;
//   - each class, whether it is write-locked, and its statistics:
//     acquisitions, contentions, total and longest wait, longest hold and
//     the most contended sites;
//   - the use of each bound, and the setting that raises it;
//   - the lock chains validated;
//   - every goroutine's held locks, as lockdep.DumpHeld prints them.
//
// The query parameter focus=CLASS keeps, in the picture and in the graph
// and dot formats, only the classes that reach that class or are reached
// from it; the class names on the page link to it.
//
// # Formats
//
// The query parameter format chooses another form of the same data:
//
//   - format=json: one JSON object, described below;
//   - format=graph: the graph file, as lockdep test -graph and
//     lockdep.WriteGraph write it, served as lockdep-graph.json;
//   - format=dot: the graph in Graphviz's DOT language.
//
// Any other format is answered with status 400. The JSON object has these
// fields, whose names are stable:
//
//	version       the version of this form (1)
//	validating    whether validation is on
//	statistics    whether lock statistics are kept
//	findings      the findings, oldest first, as a report.Report marshals
//	classes       the classes of the graph: name, written, instance,
//	              write_stack (as in the graph file)
//	dependencies  the graph's dependencies: from, to, mode, goroutine,
//	              stack (as in the graph file)
//	stats         the statistics of each class acquired while they were
//	              kept, most contended first: class, acquisitions,
//	              contentions, wait_total_ns, wait_max_ns, hold_max_ns,
//	              sites (at, contentions)
//	chains        the lock chains: each a list of locks (class, mode),
//	              the held ones oldest first, then the one acquired
//	usage         each bound: bound, used, limit, setting
//	held          each goroutine that holds locks: goroutine, state,
//	              held_locks, stack
//
// Lists are empty, never null.
//
// # Metrics
//
// [MetricsHandler] serves the statistics in the Prometheus text
// exposition format (version 0.0.4), so that a fleet already scraped by
// Prometheus can keep them:
//
//	lockdep_acquisitions_total{class}   counter
//	lockdep_contentions_total{class}    counter
//	lockdep_wait_seconds_total{class}   counter
//	lockdep_wait_seconds_max{class}     gauge
//	lockdep_hold_seconds_max{class}     gauge
//	lockdep_findings{kind}              gauge, one for every kind
//	lockdep_bound_used{bound}           gauge
//	lockdep_bound_limit{bound}          gauge
//	lockdep_validating                  gauge, 1 while validation is on
//	lockdep_statistics_enabled          gauge, 1 while statistics are kept
//
// The per-class series exist only while statistics are on (the
// lockdep.Statistics option, or LOCKDEP_STAT=1).
//
// # Validation off
//
// If validation has been off since start-up (LOCKDEP=off), the page says
// so, and every format and the metrics carry empty data. If it was turned
// off later, or stopped at a bound, they show what was recorded until
// then.
//
// # Security
//
// The page shows stacks, function names and file paths of the program,
// and the graph file carries them too. Serve it on a loopback or internal
// address only, never to the public, as for net/http/pprof.
//
// # Cost
//
// Each request takes a snapshot of the validator under its lock, as a
// chain-cache miss does; locks whose chains are cached go on unhindered.
// The page and format=json also read every goroutine's stack for the held
// locks, as a goroutine dump does.
// The picture is laid out again only when the graph has changed. For a
// graph of 300 classes and 400 dependencies, the page takes about 10ms to
// serve, and 25ms when the graph has changed (go test -bench Serve).
// The package needs only the standard library and the validator, and
// writes its page without html/template (whose reflection keeps every
// exported method of a program in its binary): a minimal server that
// imports it is smaller than one that imports package lockdep and
// net/http/pprof (9.2 MB against 10.0 MB with Go 1.26 on linux/amd64),
// and nothing starts before the first request.
package lockdephttp
