// Package events is the record a validating process leaves for the
// lockdep command: one file of JSON lines per process in the directory
// named by LOCKDEP_EVENTS, written as classes, dependencies and findings
// appear (so a process that crashes or hangs still leaves what it saw).
// The command merges the files of all processes of a run.
package events

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// Version is the version of the record format, in every Process event.
// It changes only when a field changes meaning: a field added later is
// optional, and a record without it means what it meant before (readers
// take its absence as "not recorded").
const Version = 1

// Event is one line: exactly one field is set.
type Event struct {
	Process    *Process        `json:"process,omitempty"`
	Class      *Class          `json:"class,omitempty"`
	Dependency *Dependency     `json:"dependency,omitempty"`
	Written    *Written        `json:"written,omitempty"`
	Finding    json.RawMessage `json:"finding,omitempty"` // a report.Report
	// Nesting is the classes a goroutine held from a lock of a class up
	// to another lock of that class it took (graph.AddNesting).
	Nesting []uint32 `json:"nesting,omitempty"`
	// Through is three classes (X, E, Y): one instance of event class E
	// was waited for under a lock of X and made after one of Y was taken
	// (graph.AddThrough).
	Through []uint32 `json:"through,omitempty"`
	// Stats is the process's lock statistics so far (LOCKDEP_STAT=1); the
	// last such event of a file is the process's.
	Stats []report.ClassStats `json:"stats,omitempty"`
	// Stopped says validation was turned off in the process, and why:
	// a bound was hit ("more than 48 locks held by one goroutine;
	// validation is off from here on (raise LOCKDEP_MAX_DEPTH)").
	Stopped string `json:"stopped,omitempty"`
}

// Process starts every file.
type Process struct {
	Version int      `json:"version"`
	PID     int      `json:"pid"`
	Dir     string   `json:"dir"` // the working directory: a test's package directory
	Args    []string `json:"args"`
}

// Class is a class registered by the process, with its per-process ID.
type Class struct {
	ID   uint32 `json:"id"`
	Name string `json:"name"`
	// Instance marks the class of a single lock (a lock used without a
	// Class): it is never merged with classes of other processes.
	Instance bool `json:"instance,omitempty"`
}

// Dependency is a dependency created, or given a new mode ("W" or "R"):
// goroutine Goroutine acquired To while it held From, at Stack.
type Dependency struct {
	From      uint32        `json:"from"`
	To        uint32        `json:"to"`
	Mode      string        `json:"mode"`
	Goroutine int64         `json:"goroutine"`
	Stack     []stack.Frame `json:"stack"`
	// Held is what the goroutine held then, oldest first (From among
	// them), each lock with its mode and where it was acquired, as a
	// process's own report lists them. A cycle the command finds across
	// processes is reported with the held locks of its last dependency;
	// a record without them makes a report that says it lacks them.
	Held []report.LockRef `json:"held,omitempty"`
	// Guards are the classes the goroutine held exclusively, below From,
	// every time it made the dependency so far; a dependency recorded
	// again says the guards it has left.
	Guards []uint32 `json:"guards,omitempty"`
}

// Written says a class was write-locked for the first time.
type Written struct {
	Class     uint32        `json:"class"`
	Goroutine int64         `json:"goroutine"`
	Stack     []stack.Frame `json:"stack"`
}

// Writer appends events to this process's file. It is not safe for
// concurrent use; the validator calls it under its lock.
type Writer struct {
	dir string
	f   *os.File
	w   *bufio.Writer
	err error
}

// NewWriter returns a writer for dir; the file is created on first use.
func NewWriter(dir string) *Writer { return &Writer{dir: dir} }

// Start creates the file, so that a process that records nothing is still
// counted.
func (w *Writer) Start() {
	if w.f == nil && w.err == nil {
		w.open()
	}
}

// Write appends e and flushes it to the file.
func (w *Writer) Write(e Event) {
	if w.f == nil && w.err == nil {
		w.open()
	}
	if w.err != nil {
		return
	}
	b, _ := json.Marshal(e)
	w.w.Write(append(b, '\n'))
	w.err = w.w.Flush()
}

func (w *Writer) open() {
	w.f, w.err = os.CreateTemp(w.dir, fmt.Sprintf("%d-*.jsonl", os.Getpid()))
	if w.err != nil {
		fmt.Fprintf(os.Stderr, "lockdep: LOCKDEP_EVENTS: %v\n", w.err)
		return
	}
	w.w = bufio.NewWriter(w.f)
	wd, _ := os.Getwd()
	w.Write(Event{Process: &Process{Version: Version, PID: os.Getpid(), Dir: wd, Args: os.Args}})
}

// A Tail reads the records of a directory as the processes write them:
// each Read returns the events appended since the previous one.
type Tail struct {
	dir   string
	files map[string]*tailFile
}

type tailFile struct {
	f       *os.File
	partial []byte // an unfinished last line
	process *Process
	bad     bool // not a record of this version: skipped
}

// NewTail returns a Tail of the records in dir.
func NewTail(dir string) *Tail { return &Tail{dir: dir, files: map[string]*tailFile{}} }

// Read calls fn for each complete event written since the last Read, in
// order for each file and files in name order, with the file's path and
// the process it belongs to; and once with a nil event when it reads a
// file's Process line, so that a process that records nothing is seen. A
// record of another version is an error, once.
func (t *Tail) Read(fn func(path string, p *Process, e *Event)) error {
	names, err := filepath.Glob(filepath.Join(t.dir, "*.jsonl"))
	if err != nil {
		return err
	}
	sort.Strings(names)
	var first error
	buf := make([]byte, 64<<10)
	for _, name := range names {
		tf := t.files[name]
		if tf == nil {
			f, err := os.Open(name)
			if err != nil {
				continue // written by a process that is just starting
			}
			tf = &tailFile{f: f}
			t.files[name] = tf
		}
		for !tf.bad {
			n, err := tf.f.Read(buf)
			tf.partial = append(tf.partial, buf[:n]...)
			for {
				i := bytes.IndexByte(tf.partial, '\n')
				if i < 0 {
					break
				}
				line := tf.partial[:i]
				tf.partial = tf.partial[i+1:]
				if len(bytes.TrimSpace(line)) == 0 {
					continue
				}
				var e Event
				if json.Unmarshal(line, &e) != nil {
					continue // cannot happen: each line is written whole
				}
				if tf.process == nil {
					if e.Process == nil || e.Process.Version != Version {
						tf.bad = true
						if first == nil {
							first = fmt.Errorf("%s: not a record of version %d (mixed lockdep versions?)", name, Version)
						}
						break
					}
					tf.process = e.Process
					fn(name, tf.process, nil)
					continue
				}
				fn(name, tf.process, &e)
			}
			if err != nil || n == 0 {
				break
			}
		}
	}
	return first
}

// Close closes the files.
func (t *Tail) Close() {
	for _, tf := range t.files {
		tf.f.Close()
	}
}
