package lockdepimpl_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/lockdepimpl"
)

// TestNestingAdviceForRewrittenCode: the same-class report tells command
// users about the directives, since they cannot call LockNested; it never
// suggests one that would not help.
func TestNestingAdviceForRewrittenCode(t *testing.T) {
	outer := &lockdepimpl.Site{Class: "example.com/m.Node.mu", File: "node.go", Line: 7}
	inner := &lockdepimpl.Site{Class: "example.com/m.Node.mu", File: "node.go", Line: 9}
	walk := &lockdepimpl.Site{Class: "example.com/m.Leaf.mu", File: "leaf.go", Line: 12}
	markedInner := &lockdepimpl.Site{Class: "example.com/m.Item.mu", File: "item.go", Line: 5, Nested: 1}
	markedSame := &lockdepimpl.Site{Class: "example.com/m.Item.mu", File: "item.go", Line: 5, Nested: 1}
	for _, tc := range []struct {
		name         string
		first, again *lockdepimpl.Site
		want, not    string
	}{
		{"two-lines", outer, inner, "//lockdep:nested", ""},
		// The same line takes both (a walk down a tree): a directive on
		// it would not tell the two apart.
		{"same-line", walk, walk, "//lockdep:tree", "//lockdep:nested"},
		// The inner line has //lockdep:nested already, at the subclass
		// the outer one's lock also has.
		{"marked", markedSame, markedInner, "//lockdep:tree", "//lockdep:nested"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			findings, restore := lockdepimpl.Fresh()
			defer restore()
			var parent, child sync.Mutex
			lockdepimpl.Lock(&parent, tc.first)
			lockdepimpl.Lock(&child, tc.again)
			lockdepimpl.Unlock(&child, tc.again)
			lockdepimpl.Unlock(&parent, tc.first)
			got := findings()
			if len(got) != 1 || got[0].Kind != lockdep.Recursive || !strings.Contains(got[0].Advice, tc.want) || tc.not != "" && strings.Contains(got[0].Advice, tc.not) {
				t.Fatalf("reports %v, want one recursive whose advice names %s, not %q", got, tc.want, tc.not)
			}
			if at := got[0].Lock.At; at == nil || !strings.HasSuffix(at.File, "nesting_test.go") || !strings.Contains(at.Func, "TestNestingAdviceForRewrittenCode") {
				t.Errorf("lock at %+v, want the call in this test", at)
			}
		})
	}
}
