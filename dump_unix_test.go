//go:build unix

package lockdep_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golockdep/lockdep/internal/graphfile"
)

// started is about when the process started, for the "after" child.
var started = time.Now()

// TestGraphFileAndDumps runs child processes: one keeps its graph file up
// to date (LOCKDEP_GRAPH), one dumps its held locks on SIGQUIT, one after
// LOCKDEP_DUMP_AFTER.
func TestGraphFileAndDumps(t *testing.T) {
	switch os.Getenv("LOCKDEP_TEST_CHILD") {
	case "graph":
		abba(classed("A"), classed("B"))
		for range 500 { // the file is written within a tenth of a second
			if b, _ := os.ReadFile(os.Getenv("LOCKDEP_GRAPH")); bytes.Contains(b, []byte(`"kind": "circular"`)) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("the graph file never showed the finding")
	case "quit":
		m := classed("quit.held")
		m.Lock()
		syscall.Kill(os.Getpid(), syscall.SIGQUIT)
		time.Sleep(time.Minute)
		return
	case "after":
		// The dump comes a second after start-up, however slowly a race
		// build on a loaded machine gets to the lock: it is held until
		// well past that.
		m := classed("after.held")
		m.Lock()
		time.Sleep(time.Until(started.Add(2500 * time.Millisecond)))
		m.Unlock()
		return
	case "":
	default:
		return
	}
	path := filepath.Join(t.TempDir(), "graph.json")
	for _, tc := range []struct {
		name     string
		env      []string
		wantCode int
		stderr   []string
	}{
		{"graph", []string{"LOCKDEP_GRAPH=" + path}, 0, nil},
		{"quit", []string{"LOCKDEP_SIGQUIT=1"}, 2, []string{"Showing all locks held in the system:", "(quit.held){W}, at: github.com/golockdep/lockdep_test.TestGraphFileAndDumps dump_unix_test.go:", "SIGQUIT: quit"}},
		{"after", []string{"LOCKDEP_DUMP_AFTER=1s"}, 0, []string{"lockdep: 1s since start-up (LOCKDEP_DUMP_AFTER):", "(after.held){W}"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stderr := runChild(t, "TestGraphFileAndDumps", tc.name, tc.env...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
	gr, err := graphfile.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gr.Classes) != 2 || len(gr.Dependencies) != 2 || len(gr.Findings) != 1 {
		t.Errorf("graph file: %d classes, %d dependencies, %d findings; want 2, 2, 1", len(gr.Classes), len(gr.Dependencies), len(gr.Findings))
	}
}
