package lockdep_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The golden scenarios: each runs a small bug-shaped program and yields its
// reports. testdata/NAME.json holds the reports as JSON lines (goroutine
// numbers renumbered 1, 2, ... in order of appearance, the only thing that
// changes between runs); testdata/NAME.txt.golden their text form.
var scenarios = []struct {
	name string
	run  func()
}{
	{"abba", scenarioABBA},
	{"abbcca", scenarioABBCCA},
	{"recursive-same-class", scenarioRecursive},
	{"recursive-rlock", scenarioRecursiveRLock},
	{"read-cycle", scenarioReadCycle},
	{"read-cycle-writer-later", scenarioWriterLater},
	{"bad-unlock", scenarioBadUnlock},
	{"assertion", scenarioAssertion},
	{"wait-under-lock", scenarioWaitUnderLock},
	{"signal-after-lock", scenarioSignalAfterLock},
}

type account struct{ mu lockdep.Mutex }

var accountMu, ledgerMu, auditMu = lockdep.NewClass("bank.Account.mu"), lockdep.NewClass("bank.Ledger.mu"), lockdep.NewClass("bank.Audit.mu")

func newAccount(c *lockdep.Class) *account {
	a := new(account)
	a.mu.SetClass(c)
	return a
}

func inGoroutine(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}

func lockPair(first, second *account) {
	first.mu.Lock()
	second.mu.Lock()
	second.mu.Unlock()
	first.mu.Unlock()
}

func scenarioABBA() {
	acct, ledger := newAccount(accountMu), newAccount(ledgerMu)
	inGoroutine(func() { lockPair(acct, ledger) })
	inGoroutine(func() { lockPair(ledger, acct) })
}

func scenarioABBCCA() {
	acct, ledger, audit := newAccount(accountMu), newAccount(ledgerMu), newAccount(auditMu)
	inGoroutine(func() { lockPair(acct, ledger) })
	inGoroutine(func() { lockPair(ledger, audit) })
	inGoroutine(func() { lockPair(audit, acct) })
}

func scenarioRecursive() {
	from, to := newAccount(accountMu), newAccount(accountMu)
	inGoroutine(func() { lockPair(from, to) })
}

var tableMu = lockdep.NewClass("cache.Table.mu")

type table struct{ mu lockdep.RWMutex }

func (t *table) get() { t.mu.RLock(); t.mu.RUnlock() }

func (t *table) getAll() {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.mu.MightRLock() // t.get() here would read-lock twice
}

func scenarioRecursiveRLock() {
	t := new(table)
	t.mu.SetClass(tableMu)
	inGoroutine(t.getAll)
}

var indexMu = lockdep.NewClass("cache.Index.mu")

func scenarioReadCycle() {
	t, ix := new(table), new(table)
	t.mu.SetClass(tableMu)
	ix.mu.SetClass(indexMu)
	inGoroutine(func() { t.mu.Lock(); t.mu.Unlock() }) // a writer of the table exists
	inGoroutine(func() {
		t.mu.RLock()
		ix.mu.Lock()
		ix.mu.Unlock()
		t.mu.RUnlock()
	})
	inGoroutine(func() {
		ix.mu.Lock()
		t.mu.RLock()
		t.mu.RUnlock()
		ix.mu.Unlock()
	})
}

func scenarioWriterLater() {
	t, ix := new(table), new(table)
	t.mu.SetClass(tableMu)
	ix.mu.SetClass(indexMu)
	inGoroutine(func() {
		t.mu.RLock()
		ix.mu.Lock()
		ix.mu.Unlock()
		t.mu.RUnlock()
	})
	inGoroutine(func() {
		ix.mu.Lock()
		t.mu.RLock()
		t.mu.RUnlock()
		ix.mu.Unlock()
	})
	inGoroutine(func() { t.mu.Lock(); t.mu.Unlock() }) // the first writer closes the cycle
}

func scenarioBadUnlock() {
	a := newAccount(accountMu)
	lockdep.Configure(lockdep.Panic) // stop before Go's fatal error
	inGoroutine(func() {
		defer func() { recover() }()
		a.mu.Lock()
		a.mu.Unlock()
		a.mu.Unlock()
	})
}

func scenarioAssertion() {
	a := newAccount(accountMu)
	inGoroutine(func() { a.mu.AssertHeld() })
}

// renumber maps goroutine numbers to 1, 2, ... in order of appearance.
func renumber(reps []lockdep.Report) {
	ids := map[int64]int64{}
	n := func(g int64) int64 {
		if _, ok := ids[g]; !ok {
			ids[g] = int64(len(ids) + 1)
		}
		return ids[g]
	}
	for i := range reps {
		r := &reps[i]
		r.Goroutine = n(r.Goroutine)
		for j := range r.Chain {
			r.Chain[j].Goroutine = n(r.Chain[j].Goroutine)
		}
		for j := range r.Writers {
			r.Writers[j].Goroutine = n(r.Writers[j].Goroutine)
		}
		if r.LastRelease != nil {
			r.LastRelease.Goroutine = n(r.LastRelease.Goroutine)
		}
		for j := range r.Holders {
			r.Holders[j].ID = n(r.Holders[j].ID)
		}
		for j := range r.Waiters {
			r.Waiters[j].ID = n(r.Waiters[j].ID)
		}
	}
}

func jsonLines(reps []lockdep.Report) []byte {
	var b []byte
	for i := range reps {
		b = append(b, reps[i].JSON()...)
		b = append(b, '\n')
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			jsonPath := filepath.Join("testdata", sc.name+".json")
			textPath := filepath.Join("testdata", sc.name+".txt.golden")

			// A live run must still produce the reports of the fixture.
			restore := lockdep.Fresh(lockdep.DefaultLimits)
			sc.run()
			live := lockdep.Findings()
			restore()
			renumber(live)
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(jsonPath, jsonLines(live), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fixture, err := os.ReadFile(jsonPath)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(fixture), string(jsonLines(live))); diff != "" {
				t.Errorf("live run differs from %s (-want +got):\n%s", jsonPath, diff)
			}

			// The fixture round-trips through Report and renders to the
			// golden text.
			var reps []lockdep.Report
			dec := json.NewDecoder(bytesReader(fixture))
			for dec.More() {
				var r lockdep.Report
				if err := dec.Decode(&r); err != nil {
					t.Fatal(err)
				}
				reps = append(reps, r)
			}
			if len(reps) == 0 {
				t.Fatalf("%s holds no report", jsonPath)
			}
			if diff := cmp.Diff(string(fixture), string(jsonLines(reps))); diff != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", diff)
			}
			var text []byte
			for _, r := range reps {
				text = append(text, r.String()...)
			}
			if *update {
				if err := os.WriteFile(textPath, text, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(textPath)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), string(text)); diff != "" {
				t.Errorf("text (-want +got):\n%s", diff)
			}
		})
	}
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// server is a service whose Stop waits for its handlers while it holds
// mu, and whose handlers take mu before they are done: the event of the
// WaitGroup they are counted in is a lockdep.Event here.
type server struct {
	mu   lockdep.Mutex
	done lockdep.Event
}

var serverMu, serverWG = lockdep.NewClass("svc.Server.mu"), lockdep.NewClass("svc.Server.wg")

func newServer() *server {
	s := new(server)
	s.mu.SetClass(serverMu)
	s.done.SetClass(serverWG)
	return s
}

func (s *server) handle() {
	s.mu.Lock()
	s.mu.Unlock()
	s.done.Signal() // wg.Done()
}

func (s *server) stop() {
	s.mu.Lock()
	s.done.Wait() // wg.Wait()
	s.mu.Unlock()
}

// The handler ran first: the wait closes the cycle.
func scenarioWaitUnderLock() {
	s := newServer()
	inGoroutine(s.handle)
	inGoroutine(s.stop)
}

// Stop ran first: the handler's Done closes the cycle.
func scenarioSignalAfterLock() {
	s := newServer()
	inGoroutine(s.stop)
	inGoroutine(s.handle)
}
