package lockdepimpl_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/lockdepimpl"
)

// TestNestingAdviceForRewrittenCode: the same-class report tells command
// users about the directive, since they cannot call LockNested.
func TestNestingAdviceForRewrittenCode(t *testing.T) {
	var got []lockdep.Report
	lockdep.Configure(lockdep.Output(nil), lockdep.OnReport(func(r lockdep.Report) { got = append(got, r) }))
	defer lockdep.Configure(lockdep.OnReport(nil))
	site := &lockdepimpl.Site{Class: "example.com/m.Node.mu", File: "node.go", Line: 7}
	var parent, child sync.Mutex
	lockdepimpl.Lock(&parent, site)
	lockdepimpl.Lock(&child, site)
	lockdepimpl.Unlock(&child, site)
	lockdepimpl.Unlock(&parent, site)
	if len(got) != 1 || got[0].Kind != lockdep.Recursive || !strings.Contains(got[0].Advice, "//lockdep:nested") {
		t.Fatalf("reports %v, want one recursive whose advice names //lockdep:nested", got)
	}
	if at := got[0].Lock.At; at == nil || !strings.HasSuffix(at.File, "nesting_test.go") || !strings.HasSuffix(at.Func, "TestNestingAdviceForRewrittenCode") {
		t.Errorf("lock at %+v, want the call in this test", at)
	}
}
