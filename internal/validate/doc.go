// Package validate is the process's lock validator: one per process,
// called directly by the lock types of package lockdep and by package
// lockdepimpl for rewritten code.
//
// A Validator is an engine (package engine: the class graph, the held
// locks, hand-offs and the findings they confirm) in the process it
// validates. This package is that process's side: the configuration,
// read once from the environment and swapped as a whole by Configure;
// what findings are delivered to (the text output, the JSON file, the
// OnReport callback, the mode's action); the record of events for the
// lockdep command and the graph file; the watchdog and the statistics'
// writer; the signals and the held-lock dumps.
//
// The engine is embedded in the Validator by value, as its first field:
// the lock types call its methods on the Validator they load from
// Active, with no pointer between.
package validate
