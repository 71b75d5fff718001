package validate

import (
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/golockdep/lockdep/internal/graphfile"
)

// A program writes its graph file (LOCKDEP_GRAPH=path) for lockdep graph
// and lockdep merge. Go runs nothing when a program exits, so the file is
// kept up to date instead: rewritten a moment (graphDelay) after each
// change to the graph, at once on the signal LOCKDEP_GRAPH_SIGNAL names,
// and on demand by WriteGraph. Each write replaces the file whole.

// graphDelay is how long after a change the graph file is rewritten;
// changes meanwhile are written together.
const graphDelay = 100 * time.Millisecond

// startGraphWriter starts keeping the graph file at path up to date.
func (v *Validator) startGraphWriter(path, sig string) {
	v.graphDirty = make(chan struct{}, 1)
	ch := make(chan os.Signal, 1)
	if sig != "" {
		s, ok := signalNamed(sig)
		if !ok {
			fmt.Fprintf(os.Stderr, "lockdep: LOCKDEP_GRAPH_SIGNAL=%q is not a signal name such as USR1; the graph file is written on changes only\n", sig)
		} else {
			signal.Notify(ch, s)
		}
	}
	go func() {
		for {
			select {
			case <-v.graphDirty:
				time.Sleep(graphDelay)
				select {
				case <-v.graphDirty:
				default:
				}
			case <-ch:
			}
			if err := v.WriteGraph(path); err != nil {
				fmt.Fprintf(os.Stderr, "lockdep: LOCKDEP_GRAPH: %v\n", err)
			}
		}
	}()
}

// changed notes that the graph changed. The engine calls it with its
// lock held.
func (v *Validator) changed() {
	if v.graphDirty != nil {
		select {
		case v.graphDirty <- struct{}{}:
		default:
		}
	}
}

// WriteGraph writes the graph file to path now.
func (v *Validator) WriteGraph(path string) error {
	gr := v.Graph()
	if err := graphfile.WriteFile(path, &gr); err != nil {
		return fmt.Errorf("writing the graph file: %w", err)
	}
	return nil
}
