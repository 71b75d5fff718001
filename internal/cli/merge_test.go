package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/google/go-cmp/cmp"
)

// TestMergeMatchesProcess: for the same run, the reports the command makes
// from a process's record are byte for byte the ones the process printed.
// A child process runs bug-shaped locking with LOCKDEP_EVENTS set (what
// lockdep test does) and its text output sent to a file.
func TestMergeMatchesProcess(t *testing.T) {
	if path := os.Getenv("LOCKDEP_MERGE_CHILD"); path != "" {
		mergeChild(t, path)
		return
	}
	graph, text := t.TempDir(), filepath.Join(t.TempDir(), "reports.txt")
	cmd := exec.Command(os.Args[0], "-test.run=^TestMergeMatchesProcess$")
	cmd.Env = append(os.Environ(), "LOCKDEP_EVENTS="+graph, "LOCKDEP_MERGE_CHILD="+text, "LOCKDEP=warn")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	printed, err := os.ReadFile(text)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.Abs("../..")
	m := newMerged(graph, root, nil)
	if err := m.finish(); err != nil {
		t.Fatal(err)
	}
	var merged bytes.Buffer
	for _, r := range m.findings {
		merged.WriteString(r.String())
	}
	if n := strings.Count(string(printed), "WARNING: "); n != 4 {
		t.Fatalf("the child printed %d reports, want 4:\n%s", n, printed)
	}
	if diff := cmp.Diff(string(printed), merged.String()); diff != "" {
		t.Errorf("merged reports differ from the printed ones (-printed +merged):\n%s", diff)
	}
}

func mergeChild(t *testing.T, path string) {
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lockdep.Configure(lockdep.Output(f))
	class := func(name string) *lockdep.RWMutex {
		m := new(lockdep.RWMutex)
		m.SetClass(lockdep.NewClass(name))
		return m
	}
	a, b, c := class("A"), class("B"), class("C")
	inOrder := func(ls ...*lockdep.RWMutex) {
		for _, l := range ls {
			l.Lock()
		}
		for i := len(ls) - 1; i >= 0; i-- {
			ls[i].Unlock()
		}
	}
	r := class("R")
	r.Lock()
	r.Unlock()
	r.RLock()
	r.MightRLock() // recursive read locking, reported first
	r.RUnlock()
	inOrder(a, b)
	inOrder(b, c)
	inOrder(c, a)  // circular, three classes
	inOrder(b, a)  // circular, two
	a.AssertHeld() // assertion
}
