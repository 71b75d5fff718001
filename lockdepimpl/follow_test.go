package lockdepimpl_test

import (
	"strings"
	"sync"
	"testing"
	"unsafe"

	"github.com/golockdep/lockdep/lockdepimpl"
	"github.com/golockdep/lockdep/report"
)

// Sites as the rewriter declares them for classes that follow the lock:
// Ref where a declaration is visible, Ptr and Any where only a pointer or
// an interface is.
var followSites = [...]lockdepimpl.Site{
	{Class: "example.com/m.Store.mu", File: "m.go", Line: 1},            // 0: &s.mu
	{Class: "example.com/m.Log.mu", File: "m.go", Line: 2},              // 1: &l.mu
	{Class: "example.com/m.withLock.m", File: "m.go", Line: 3},          // 2: m.Lock()
	{Class: "example.com/m.withLock.m", File: "m.go", Line: 4},          // 3: m.Unlock()
	{Class: "example.com/m.withAny.l", File: "m.go", Line: 5},           // 4: l.Lock()
	{Class: "example.com/m.withAny.l", File: "m.go", Line: 6},           // 5: l.Unlock()
	{Class: "example.com/m.Node.mu", File: "m.go", Line: 7},             // 6: parent
	{Class: "example.com/m.Node.mu", File: "m.go", Line: 8, Nested: 1},  // 7: child, //lockdep:nested
	{Class: "example.com/m.Node.mu", File: "m.go", Line: 9},             // 8: child
	{Class: "example.com/m.Node.mu", File: "m.go", Line: 10},            // 9: unlock
	{Class: "example.com/m.Log.mu", File: "m.go", Line: 11},             // 10: escape of &l.mu
	{Class: "example.com/m.Node.mu", File: "m.go", Line: 12, Nested: 2}, // 11: //lockdep:nested 2
}

// withLock is the helper idiom, rewritten: the parameter's pointer only.
func withLock(m *sync.Mutex, f func()) {
	lockdepimpl.Ptr(m, &followSites[2]).Lock()
	defer lockdepimpl.Ptr(m, &followSites[3]).Unlock()
	f()
}

// withAny is a helper over a sync.Locker or type parameter, rewritten.
func withAny(l sync.Locker, f func()) {
	lockdepimpl.Any(l, &followSites[4]).Lock()
	defer lockdepimpl.Any(l, &followSites[5]).Unlock()
	f()
}

type store struct{ mu sync.Mutex }
type logT struct{ mu sync.Mutex }

func summaries(reps []report.Report) []string {
	var out []string
	for _, r := range reps {
		out = append(out, r.Kind.String()+" "+strings.Join(r.Classes(), " "))
	}
	return out
}

func TestClassFollowsTheLock(t *testing.T) {
	for _, tc := range []struct {
		name string
		run  func(s *store, l *logT)
		want []string
	}{
		{"helper/one-way", func(s *store, l *logT) {
			withLock(lockdepimpl.Ref(&s.mu, &followSites[0]), func() {
				withLock(lockdepimpl.Ref(&l.mu, &followSites[1]), func() {})
			})
		}, nil},
		{"helper/both-ways", func(s *store, l *logT) {
			sp, lp := lockdepimpl.Ref(&s.mu, &followSites[0]), lockdepimpl.Ref(&l.mu, &followSites[1])
			withLock(sp, func() { withLock(lp, func() {}) })
			withLock(lp, func() { withLock(sp, func() {}) })
		}, []string{"circular example.com/m.Store.mu example.com/m.Log.mu"}},
		{"any/both-ways", func(s *store, l *logT) {
			// A raw *sync.Mutex in the interface, and one wrapped where
			// it escaped.
			sp := lockdepimpl.Ref(&s.mu, &followSites[0])
			lw := lockdepimpl.Locker(&l.mu, &followSites[10])
			withAny(sp, func() { withAny(lw, func() {}) })
			withAny(lw, func() { withAny(sp, func() {}) })
		}, []string{"circular example.com/m.Store.mu example.com/m.Log.mu"}},
		{"unregistered/nested", func(s *store, l *logT) {
			// Never seen declared: a class of its own each, so not
			// recursive locking of the parameter's class.
			withLock(&s.mu, func() { withLock(&l.mu, func() {}) })
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			tc.run(new(store), new(logT))
			got := summaries(findings())
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnregisteredClassIsTheLocks(t *testing.T) {
	findings, restore := lockdepimpl.Fresh()
	defer restore()
	a, b := new(store), new(store)
	withLock(&a.mu, func() {})
	got := lockdepimpl.RegisteredClass(unsafe.Pointer(&a.mu))
	if !strings.HasPrefix(got, "example.com/m.withLock.m@") {
		t.Errorf("class %q, want one named after the parameter and where it was locked", got)
	}
	// The same lock twice through the helper is still one lock.
	withLock(&a.mu, func() { withLock(&b.mu, func() {}) })
	withLock(&b.mu, func() { withLock(&a.mu, func() {}) })
	if fs := findings(); len(fs) != 1 || fs[0].Kind != report.Circular {
		t.Errorf("findings %q, want one circular between the two locks' own classes", summaries(fs))
	}
}

func TestNestedSite(t *testing.T) {
	for _, tc := range []struct {
		name  string
		child int // site of the child's Lock
		want  string
	}{
		{"declared", 7, ""},
		{"declared/level-2", 11, ""},
		{"undeclared", 8, "recursive example.com/m.Node.mu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			var parent, child sync.Mutex
			lockdepimpl.Lock(&parent, &followSites[6])
			lockdepimpl.Lock(&child, &followSites[tc.child])
			lockdepimpl.Unlock(&child, &followSites[9])
			lockdepimpl.Unlock(&parent, &followSites[9])
			if got := strings.Join(summaries(findings()), "\n"); got != tc.want {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

// counter is a lock of its own type, reached through an interface.
type counter struct{ locks, unlocks, rlocks, runlocks int }

func (c *counter) Lock()          { c.locks++ }
func (c *counter) Unlock()        { c.unlocks++ }
func (c *counter) TryLock() bool  { c.locks++; return true }
func (c *counter) RLock()         { c.rlocks++ }
func (c *counter) RUnlock()       { c.runlocks++ }
func (c *counter) TryRLock() bool { c.rlocks++; return true }

func TestAnyCallsOtherTypesOwnMethods(t *testing.T) {
	_, restore := lockdepimpl.Fresh()
	defer restore()
	c := new(counter)
	d := lockdepimpl.Any(c, &followSites[4])
	d.Lock()
	d.Unlock()
	d.TryLock()
	d.RLock()
	d.RUnlock()
	d.TryRLock()
	if c.locks != 2 || c.unlocks != 1 || c.rlocks != 2 || c.runlocks != 1 {
		t.Errorf("calls %+v, want 2 locks, 1 unlock, 2 read locks, 1 read unlock", c)
	}
	var rw sync.RWMutex
	d = lockdepimpl.Any(&rw, &followSites[4])
	d.RLock()
	if rw.TryLock() {
		t.Fatal("RLock through Any did not read-lock")
	}
	d.RUnlock()
	if !d.TryLock() {
		t.Fatal("TryLock through Any failed on an unlocked RWMutex")
	}
	d.Unlock()
	rl := lockdepimpl.Any(lockdepimpl.RLocker(&rw, &followSites[4]), &followSites[4])
	rl.Lock()
	if rw.TryLock() {
		t.Fatal("Lock of an RLocker through Any did not read-lock")
	}
	rl.Unlock()
}

func TestPtrAllocs(t *testing.T) {
	_, restore := lockdepimpl.Fresh()
	defer restore()
	var mu sync.Mutex
	lockdepimpl.Ref(&mu, &followSites[0])
	var l sync.Locker = &mu
	if n := testing.AllocsPerRun(100, func() {
		lockdepimpl.Ptr(&mu, &followSites[2]).Lock()
		lockdepimpl.Ptr(&mu, &followSites[3]).Unlock()
		lockdepimpl.Any(l, &followSites[4]).Lock()
		lockdepimpl.Any(l, &followSites[5]).Unlock()
		lockdepimpl.Ref(&mu, &followSites[0])
	}); n != 0 {
		t.Errorf("%v allocations per Lock and Unlock through Ptr and Any", n)
	}
}
