// Package events is the record a validating process leaves for the
// lockdep command: one file of JSON lines per process in the directory
// named by LOCKDEP_EVENTS, written as classes, dependencies and findings
// appear (so a process that crashes or hangs still leaves what it saw).
// The command merges the files of all processes of a run.
package events

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/golockdep/lockdep/internal/report"
	"github.com/golockdep/lockdep/internal/stack"
)

// Version is the version of the record format, in every Process event.
const Version = 1

// Event is one line: exactly one field is set.
type Event struct {
	Process    *Process        `json:"process,omitempty"`
	Class      *Class          `json:"class,omitempty"`
	Dependency *Dependency     `json:"dependency,omitempty"`
	Written    *Written        `json:"written,omitempty"`
	Finding    json.RawMessage `json:"finding,omitempty"` // a report.Report
	// Stats is the process's lock statistics so far (LOCKDEP_STAT=1); the
	// last such event of a file is the process's.
	Stats []report.ClassStats `json:"stats,omitempty"`
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

// Dependency is a dependency created, or given a new mode ("W" or "R").
type Dependency struct {
	From      uint32        `json:"from"`
	To        uint32        `json:"to"`
	Mode      string        `json:"mode"`
	Goroutine int64         `json:"goroutine"`
	Stack     []stack.Frame `json:"stack"`
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

// File is the record of one process.
type File struct {
	Path    string
	Process Process
	Events  []Event
}

// ReadDir reads every record in dir, in name order.
func ReadDir(dir string) ([]File, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var files []File
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f := File{Path: name}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.TrimSpace(line) == "" {
				continue
			}
			var e Event
			if err := json.Unmarshal([]byte(line), &e); err != nil {
				// A process killed mid-write leaves a partial last line.
				break
			}
			if i == 0 && e.Process != nil {
				f.Process = *e.Process
				continue
			}
			f.Events = append(f.Events, e)
		}
		if f.Process.Version != Version {
			return nil, fmt.Errorf("%s: record version %d, want %d (mixed lockdep versions?)", name, f.Process.Version, Version)
		}
		files = append(files, f)
	}
	return files, nil
}
