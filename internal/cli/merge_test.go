package cli

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/report"
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

// TestMergeHeldRecords: the held locks that a process's record gives for
// a dependency reach the report of a cycle that only the union of two
// processes' records shows.
func TestMergeHeldRecords(t *testing.T) {
	dir := t.TempDir()
	at := func(line int) string {
		return fmt.Sprintf(`{"func":"example.com/m/locks.F","file":"locks/locks.go","line":%d}`, line)
	}
	files := map[string]string{
		"1-ab.jsonl": `{"process":{"version":1,"pid":1,"dir":"/m/ab","args":["ab.test"]}}
{"class":{"id":1,"name":"example.com/m/locks.L"}}
{"class":{"id":2,"name":"example.com/m/locks.A"}}
{"class":{"id":3,"name":"example.com/m/locks.B"}}
{"dependency":{"from":1,"to":2,"mode":"W","goroutine":5,"stack":[` + at(11) + `],"held":[{"class":"example.com/m/locks.L","mode":"R","at":` + at(10) + `}]}}
{"dependency":{"from":1,"to":3,"mode":"W","goroutine":5,"stack":[` + at(12) + `],"held":[{"class":"example.com/m/locks.L","mode":"R","at":` + at(10) + `},{"class":"example.com/m/locks.A","mode":"W","at":` + at(11) + `}]}}
{"dependency":{"from":2,"to":3,"mode":"W","goroutine":5,"stack":[` + at(12) + `],"held":[{"class":"example.com/m/locks.L","mode":"R","at":` + at(10) + `},{"class":"example.com/m/locks.A","mode":"W","at":` + at(11) + `}]}}
`,
		"2-ba.jsonl": `{"process":{"version":1,"pid":2,"dir":"/m/ba","args":["ba.test"]}}
{"class":{"id":1,"name":"example.com/m/locks.B"}}
{"class":{"id":2,"name":"example.com/m/locks.A"}}
{"dependency":{"from":1,"to":2,"mode":"W","goroutine":8,"stack":[` + at(21) + `],"held":[{"class":"example.com/m/locks.B","mode":"W","at":` + at(20) + `}]}}
`,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := newMerged(dir, "/m", nil)
	if err := m.finish(); err != nil {
		t.Fatal(err)
	}
	if len(m.findings) != 1 {
		t.Fatalf("%d findings, want 1", len(m.findings))
	}
	r := m.findings[0]
	want := []report.LockRef{{Class: "example.com/m/locks.B", Mode: "W", At: &report.Frame{Func: "example.com/m/locks.F", File: "locks/locks.go", Line: 20}}}
	if diff := cmp.Diff(want, r.HeldLocks); diff != "" {
		t.Errorf("held locks (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&want[0], r.Holding); diff != "" {
		t.Errorf("holding (-want +got):\n%s", diff)
	}
	if len(r.Unrecorded) != 0 || strings.Contains(r.String(), "not recorded") {
		t.Errorf("the report says facts are missing:\n%s", r.String())
	}
}
