package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/merge"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// merged is the union of the graphs that the processes of a run record
// (a merge.Merger), read while they run: each finding is passed to emit
// once, as soon as a process records it or the union of the graphs shows
// it.
type merged struct {
	*merge.Merger
	root string // the module root, against which processes name their packages
	tail *events.Tail
	emit func(report.Report)
	// stopped, if set, is told when a process turned validation off
	// (a bound): go test shows a passing package's output only with -v.
	stopped  func(pkg, why string)
	findings []report.Report // emitted, in order
	emitted  map[string]bool
	packages map[string]bool
	halted   map[string]bool                              // the packages whose processes turned validation off
	local    map[*events.Process]map[uint32]graph.ClassID // a process's class IDs → union class
	stats    map[*events.Process][]report.ClassStats      // each process's last statistics (LOCKDEP_STAT=1)
}

// newMerged returns the merge of the records in dir. root is the module
// root, against which the processes' directories name their packages.
func newMerged(dir, root string, emit func(report.Report)) *merged {
	return &merged{
		Merger:   merge.New(),
		root:     root,
		tail:     events.NewTail(dir),
		emit:     emit,
		emitted:  map[string]bool{},
		packages: map[string]bool{},
		halted:   map[string]bool{},
		local:    map[*events.Process]map[uint32]graph.ClassID{},
		stats:    map[*events.Process][]report.ClassStats{},
	}
}

// poll merges what the processes recorded since the last poll, and emits
// the new findings.
func (m *merged) poll() error {
	var err error
	rerr := m.tail.Read(func(_ string, p *events.Process, e *events.Event) {
		if err == nil {
			err = m.event(p, e)
		}
	})
	m.flush(false)
	if err != nil {
		return err
	}
	return rerr
}

// finish merges the rest, emits every finding not emitted yet, and
// closes the records.
func (m *merged) finish() error {
	err := m.poll()
	m.flush(true)
	m.tail.Close()
	return err
}

func (m *merged) event(p *events.Process, e *events.Event) error {
	origin := packageOf(p.Dir, m.root)
	m.packages[origin] = true
	local := m.local[p]
	if local == nil {
		local = map[uint32]graph.ClassID{}
		m.local[p] = local
	}
	switch {
	case e == nil: // the process started
	case e.Class != nil:
		id, err := m.Class(e.Class.Name, e.Class.Instance)
		if err != nil {
			return err
		}
		local[e.Class.ID] = id
	case e.Dependency != nil:
		d := e.Dependency
		if from, to := local[d.From], local[d.To]; from != 0 && to != 0 {
			var guards []graph.ClassID
			for _, c := range d.Guards {
				guards = append(guards, local[c])
			}
			return m.Dependency(from, to, d.Mode, d.Goroutine, origin, d.Stack, d.Held, guards)
		}
	case e.Nesting != nil:
		var chain []graph.ClassID
		for _, c := range e.Nesting {
			chain = append(chain, local[c])
		}
		m.Nesting(chain)
	case len(e.Through) == 3:
		if x, ev, y := local[e.Through[0]], local[e.Through[1]], local[e.Through[2]]; x != 0 && ev != 0 && y != 0 {
			m.Through(x, ev, y)
		}
	case e.Written != nil:
		if c := local[e.Written.Class]; c != 0 {
			m.Written(c, e.Written.Goroutine, origin, e.Written.Stack)
		}
	case e.Finding != nil:
		var r report.Report
		if err := json.Unmarshal(e.Finding, &r); err != nil {
			return fmt.Errorf("a finding of %s: %w", origin, err)
		}
		m.Finding(r)
	case e.Stats != nil:
		m.stats[p] = e.Stats // the last one is the process's
	case e.Stopped != "":
		m.halted[origin] = true
		if m.stopped != nil {
			m.stopped(origin, e.Stopped)
		}
	}
	return nil
}

// flush emits the merger's findings not emitted yet: those the processes
// reported, and the cycles of the union graph that dependencies of several
// packages make. A cycle whose dependencies one package's processes
// recorded waits for the end (final): that process reports it itself,
// with more to say (held locks, the full stack), unless it hit a bound.
func (m *merged) flush(final bool) {
	for _, r := range m.Findings() {
		k := reporting.Key(&r)
		if m.emitted[k] || !final && onePackagesCycle(&r) {
			continue
		}
		m.emitted[k] = true
		m.findings = append(m.findings, r)
		if m.emit != nil {
			m.emit(r)
		}
	}
}

// onePackagesCycle reports whether r is a cycle the merge found whose
// dependencies one package's processes recorded. (A process's own
// reports name no origin.)
func onePackagesCycle(r *report.Report) bool {
	if r.Kind != report.Circular || len(r.Chain) == 0 || r.Chain[0].Origin == "" {
		return false
	}
	for _, d := range r.Chain[1:] {
		if d.Origin != r.Chain[0].Origin {
			return false
		}
	}
	return true
}

// packageOf names a process's package by its directory relative to root.
func packageOf(dir, root string) string {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return dir
	}
	if rel == "." {
		return "."
	}
	return "./" + filepath.ToSlash(rel)
}

// summary returns the line that ends every run.
func (m *merged) summary() string {
	classes, deps := m.Counts()
	halted := ""
	if n := len(m.halted); n > 0 {
		// The counts are of a run that did not validate to its end.
		halted = fmt.Sprintf(" (%d stopped validating at a bound, above)", n)
	}
	return fmt.Sprintf("%s in %s%s; %s", findingCounts(m.findings), reporting.Count(len(m.packages), "package"), halted, graphSize(classes, deps))
}

// findingCounts says how many findings there are, of the main kinds, how
// many of them are deadlocks in progress, and how many guarded cycles
// were shown besides, if any: "2 findings (circular 1, recursive 1, bad
// unlock 0; 1 deadlock in progress; 1 guarded cycle, not counted)".
func findingCounts(findings []report.Report) string {
	var n, c, r, b, stuck, guarded int
	for _, f := range findings {
		if !f.Counted() {
			guarded++
			continue
		}
		n++
		switch f.Kind {
		case report.Circular:
			c++
		case report.Recursive:
			r++
		case report.BadUnlock:
			b++
		}
		if f.InProgress != "" {
			stuck++
		}
	}
	s := fmt.Sprintf("%s (circular %d, recursive %d, bad unlock %d", reporting.Count(n, "finding"), c, r, b)
	if stuck > 0 {
		s += "; " + reporting.Count(stuck, "deadlock") + " in progress"
	}
	if guarded > 0 {
		s += "; " + reporting.Count(guarded, "guarded cycle") + ", not counted"
	}
	return s + ")"
}

// graphSize says how big a graph is: "3 classes, 2 dependencies".
func graphSize(classes, deps int) string {
	return reporting.Count(classes, "class") + ", " + reporting.Count(deps, "dependency")
}
