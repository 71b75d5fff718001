package held

import (
	"bytes"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/golockdep/lockdep/internal/graph"
	"github.com/google/go-cmp/cmp"
)

// stackID parses the goroutine ID out of runtime.Stack independently of
// slowID.
func stackID(t testing.TB) int64 {
	buf := make([]byte, 1<<10)
	buf = buf[:runtime.Stack(buf, false)]
	line, _, _ := bytes.Cut(buf, []byte("\n"))
	// "goroutine 123 [running]:"
	f := bytes.Fields(line)
	if len(f) < 3 || string(f[0]) != "goroutine" || !bytes.HasPrefix(f[2], []byte("[")) {
		t.Errorf("unexpected stack header %q", line)
		return -2
	}
	id, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		t.Errorf("stack header %q: %v", line, err)
		return -2
	}
	return id
}

func TestGoroutineID(t *testing.T) {
	t.Parallel()
	if !verifyFast() {
		t.Fatal("verifyFast() = false: the fast goroutine-ID source disagrees with runtime.Stack on this machine")
	}
	tab := NewTable(0, 8)
	if !tab.fast {
		t.Error("NewTable did not take the verified fast source")
	}
	slow := &Table{fast: false}
	type ids struct{ stack, slow, fast, slowTable int64 }
	const n = 8
	res := make(chan ids, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { res <- ids{stackID(t), slowID(), tab.ID(), slow.ID()} })
	}
	wg.Wait()
	close(res)
	seen := map[int64]bool{}
	self := ids{stackID(t), slowID(), tab.ID(), slow.ID()}
	all := []ids{self}
	for r := range res {
		all = append(all, r)
	}
	for _, r := range all {
		if r.stack <= 0 || r.slow != r.stack || r.fast != r.stack || r.slowTable != r.stack {
			t.Errorf("goroutine IDs disagree: runtime.Stack %d, slowID %d, Table.ID %d, slow Table.ID %d", r.stack, r.slow, r.fast, r.slowTable)
		}
		if seen[r.stack] {
			t.Errorf("goroutine ID %d seen twice", r.stack)
		}
		seen[r.stack] = true
	}
}

// entry makes a held entry for class c: address c<<8 | inst.
func acq(c graph.ClassID, mode graph.Mode, try bool, inst uintptr) graph.Acq {
	return graph.Acq{Class: c, Mode: mode, Try: try, Addr: uintptr(c)<<8 | inst}
}

// newStack returns a stack outside any goroutine's slot.
func newStack() *Stack { return &Stack{t: NewTable(64, 48)} }

// push pushes a as held, with its chain key as the validator computes
// it.
func push(st *Stack, a graph.Acq, site uintptr) {
	st.Push(a, graph.ChainKey(st.Top(), a), Site{PC: site})
	st.Held()
}

// checkKeys compares every entry's key with one computed from scratch.
func checkKeys(t *testing.T, st *Stack) {
	t.Helper()
	k := uint64(0)
	for i, e := range st.Entries {
		k = graph.ChainKey(k, e.Acq)
		if e.Key != k {
			t.Errorf("entry %d (%+v): key %#x, want %#x", i, e.Acq, e.Key, k)
		}
	}
	if st.Top() != k {
		t.Errorf("Top() = %#x, want %#x", st.Top(), k)
	}
}

func checkKeysErr(st *Stack, errs chan<- string) {
	k := uint64(0)
	for i, e := range st.Entries {
		k = graph.ChainKey(k, e.Acq)
		if e.Key != k {
			errs <- fmt.Sprintf("goroutine %d: entry %d: key %#x, want %#x", st.Gid, i, e.Key, k)
			return
		}
	}
}

func classes(st *Stack) []graph.ClassID {
	var cs []graph.ClassID
	for _, e := range st.Entries {
		cs = append(cs, e.Class)
	}
	return cs
}

func TestStackRemove(t *testing.T) {
	t.Parallel()
	all := []graph.Acq{
		acq(1, graph.Write, false, 1),
		acq(2, graph.Read, false, 1),
		acq(3, graph.Write, true, 1),
		acq(4, graph.Write, false, 1),
		acq(5, graph.Read, true, 1),
	}
	tests := []struct {
		name   string
		remove []int
		want   []graph.ClassID
	}{
		{"top", []int{4}, []graph.ClassID{1, 2, 3, 4}},
		{"middle", []int{2}, []graph.ClassID{1, 2, 4, 5}},
		{"bottom", []int{0}, []graph.ClassID{2, 3, 4, 5}},
		{"middle-then-top", []int{1, 3}, []graph.ClassID{1, 3, 4}},
		{"all-from-bottom", []int{0, 0, 0, 0, 0}, nil},
		{"all-from-top", []int{4, 3, 2, 1, 0}, nil},
		{"zigzag", []int{3, 0, 1}, []graph.ClassID{2, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStack()
			for i, a := range all {
				push(st, a, uintptr(100+i))
			}
			checkKeys(t, st)
			for _, i := range tc.remove {
				st.Remove(i, Site{})
				checkKeys(t, st)
			}
			if diff := cmp.Diff(tc.want, classes(st)); diff != "" {
				t.Errorf("classes left (-want +got):\n%s", diff)
			}
			// Sites travel with their entries.
			for _, e := range st.Entries {
				if e.At.PC != uintptr(100+int(e.Class)-1) {
					t.Errorf("entry of class %d has site %d", e.Class, e.At.PC)
				}
			}
		})
	}
}

func TestStackFind(t *testing.T) {
	t.Parallel()
	st := newStack()
	a := acq(1, graph.Read, false, 1)
	b := acq(2, graph.Write, false, 1)
	push(st, a, 1)
	push(st, b, 2)
	push(st, a, 3) // a second read of the same lock
	tests := []struct {
		name string
		addr uintptr
		mode graph.Mode
		want int
	}{
		{"most-recent", a.Addr, graph.Read, 2},
		{"other-mode", a.Addr, graph.Write, -1},
		{"write", b.Addr, graph.Write, 1},
		{"absent", 0x999, graph.Write, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := st.Find(tc.addr, tc.mode); got != tc.want {
				t.Errorf("Find(%#x, %d) = %d, want %d", tc.addr, tc.mode, got, tc.want)
			}
		})
	}
	if got := st.Acqs(nil); !cmp.Equal(got, []graph.Acq{a, b, a}) {
		t.Errorf("Acqs = %+v", got)
	}
	if got := (&Stack{}).Top(); got != 0 {
		t.Errorf("empty Top() = %#x", got)
	}
}

func TestLastRelease(t *testing.T) {
	t.Parallel()
	x := acq(1, graph.Write, false, 1)
	y := acq(2, graph.Read, true, 1)
	z := acq(3, graph.Write, false, 1)
	tests := []struct {
		name   string
		remove []int // indexes into [x y z]
		addr   uintptr
		want   Released
		ok     bool
	}{
		{"popped-top", []int{2}, z.Addr, Released{Acq: z, At: Site{PC: 3}, Rel: Site{PC: 1003}}, true},
		{"removed-middle", []int{1}, y.Addr, Released{Acq: y, At: Site{PC: 2}, Rel: Site{PC: 1002}}, true},
		{"removed-bottom", []int{0}, x.Addr, Released{Acq: x, At: Site{PC: 1}, Rel: Site{PC: 1001}}, true},
		{"all-popped", []int{2, 1, 0}, x.Addr, Released{Acq: x, At: Site{PC: 1}, Rel: Site{PC: 1001}}, true},
		{"never-held", []int{2}, 0x999, Released{}, false},
		{"still-held", nil, x.Addr, Released{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := newStack()
			push(st, x, 1)
			push(st, y, 2)
			push(st, z, 3)
			for _, i := range tc.remove {
				st.Remove(i, Site{PC: st.Entries[i].At.PC + 1000})
			}
			got, ok := st.LastRelease(tc.addr)
			if ok != tc.ok || got != tc.want {
				t.Errorf("LastRelease(%#x) = %+v, %v; want %+v, %v", tc.addr, got, ok, tc.want, tc.ok)
			}
		})
	}
	t.Run("many-from-middle", func(t *testing.T) {
		t.Parallel()
		// The ring keeps the last four releases from below the top.
		st := newStack()
		push(st, x, 1)
		for i := range 6 {
			a := acq(graph.ClassID(10+i), graph.Write, false, 1)
			push(st, a, uintptr(10+i))
			push(st, z, 3)
			st.Remove(len(st.Entries)-2, Site{}) // a, below z
			st.Remove(len(st.Entries)-1, Site{}) // z, the top
		}
		for i := range 6 {
			addr := acq(graph.ClassID(10+i), graph.Write, false, 1).Addr
			r, ok := st.LastRelease(addr)
			if wantOK := i >= 2; ok != wantOK || (ok && r.At.PC != uintptr(10+i)) {
				t.Errorf("release %d: LastRelease = %+v, %v; want found = %v", i, r, ok, wantOK)
			}
		}
	})
}

// TestLastReleaseOfHeldTop: after an entry below the top is removed, the
// top entry is still held and was never released, so LastRelease must
// not report a release of it.
func TestLastReleaseOfHeldTop(t *testing.T) {
	t.Parallel()
	st := newStack()
	x := acq(1, graph.Write, false, 1)
	y := acq(2, graph.Write, false, 1)
	push(st, x, 1)
	push(st, y, 2)
	st.Remove(0, Site{})
	if r, ok := st.LastRelease(y.Addr); ok {
		t.Errorf("LastRelease(%#x) = %+v for a lock still held and never released", y.Addr, r)
	}
}

func TestTableGet(t *testing.T) {
	t.Parallel()
	tab := NewTable(100, 8)
	if len(tab.slots) != 128 || tab.MaxDepth() != 8 {
		t.Errorf("%d slots, MaxDepth %d; want 128, 8", len(tab.slots), tab.MaxDepth())
	}
	if n := len(NewTable(1, 8).slots); n != 64 {
		t.Errorf("NewTable(1, 8) has %d slots, want 64", n)
	}
	id := tab.ID()
	if st := tab.Lookup(id); st != nil {
		t.Fatalf("Lookup before Get = %+v, want nil", st)
	}
	st := tab.Get(id)
	if st == nil || st.Gid != id || len(st.Entries) != 0 {
		t.Fatalf("Get = %+v", st)
	}
	if tab.Get(id) != st || tab.Lookup(id) != st {
		t.Error("Get/Lookup return a different stack for the same goroutine")
	}
	other := make(chan *Stack)
	go func() { other <- tab.Get(tab.ID()) }()
	ost := <-other
	if ost == st || ost.Gid == id {
		t.Errorf("another goroutine got stack %p (gid %d), this one %p (gid %d)", ost, ost.Gid, st, id)
	}
	if tab.Lookup(id) != st {
		t.Error("Lookup after another goroutine's Get returns a different stack")
	}
}

// gidsWithHome returns n fake goroutine IDs whose home slot is home.
func gidsWithHome(tab *Table, home uint64, n int) []int64 {
	var ids []int64
	for g := int64(1); len(ids) < n; g++ {
		if tab.home(g) == home {
			ids = append(ids, g)
		}
	}
	return ids
}

// TestTableSteal: with more goroutines than a window has slots, newcomers
// steal; a victim's next Lookup finds nothing and Get gives it a fresh,
// empty stack, never another goroutine's.
func TestTableSteal(t *testing.T) {
	t.Parallel()
	tab := NewTable(64, 8)
	ids := gidsWithHome(tab, 5, 3*window)
	stacks := map[int64]*Stack{}
	for _, g := range ids {
		st := tab.Get(g)
		if st.Gid != g || len(st.Entries) != 0 {
			t.Fatalf("Get(%d) = stack of %d with %d entries", g, st.Gid, len(st.Entries))
		}
		push(st, acq(1, graph.Write, false, uintptr(g)), uintptr(g))
		stacks[g] = st
	}
	victims := 0
	for _, g := range ids {
		st := tab.Lookup(g)
		if st == nil {
			victims++
			fresh := tab.Get(g)
			if fresh == stacks[g] || fresh.Gid != g || len(fresh.Entries) != 0 {
				t.Errorf("victim %d: Get = %p (gid %d, %d entries), want a fresh empty stack", g, fresh, fresh.Gid, len(fresh.Entries))
			}
			continue
		}
		if st != stacks[g] || st.Gid != g || len(st.Entries) != 1 || st.Entries[0].Addr != acq(1, 0, false, uintptr(g)).Addr {
			t.Errorf("Lookup(%d) = %p (gid %d, entries %+v), want its own stack %p", g, st, st.Gid, st.Entries, stacks[g])
		}
	}
	// 48 goroutines, one window of 16 slots: at least 32 were robbed.
	if victims < len(ids)-window {
		t.Errorf("%d victims among %d goroutines sharing a window of %d", victims, len(ids), window)
	}
}

// TestTableConcurrent: many goroutines Get stacks and push and pop at the
// same time; every Lookup returns nil (robbed) or the caller's own stack,
// holding exactly what it pushed since. Run with -race.
func TestTableConcurrent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		size       int
		goroutines int
		wantStolen bool
	}{
		{"roomy", 8192, 2000, false},
		{"tiny", 64, 300, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tab := NewTable(tc.size, 48)
			start := make(chan struct{})
			errs := make(chan string, tc.goroutines)
			stolen := make(chan bool, tc.goroutines)
			var ready, phase, wg sync.WaitGroup
			ready.Add(tc.goroutines)
			phase.Add(tc.goroutines)
			for range tc.goroutines {
				wg.Go(func() {
					gid := tab.ID()
					mk := func(c graph.ClassID, m graph.Mode) graph.Acq {
						return graph.Acq{Class: c, Mode: m, Addr: uintptr(gid)<<16 | uintptr(c)}
					}
					ready.Done()
					<-start
					// Phase 1: everyone takes a slot and pushes.
					first := mk(100, graph.Write)
					push(tab.Get(gid), first, 0)
					mine := []graph.Acq{first} // what this goroutine holds, per its stack
					phase.Done()
					phase.Wait()
					// Phase 2: all at once, with slots stolen meanwhile.
					robbed := false
					for i := range 40 {
						st := tab.Lookup(gid)
						if st == nil {
							robbed, mine = true, nil
							st = tab.Get(gid)
						}
						if st.Gid != gid || !slices.Equal(st.Acqs(nil), mine) {
							errs <- fmt.Sprintf("goroutine %d, op %d: stack of %d holds %+v, want %+v", gid, i, st.Gid, st.Acqs(nil), mine)
							return
						}
						checkKeysErr(st, errs)
						if len(mine) > 0 && i%3 == 2 {
							j := (i / 3) % len(mine)
							st.Remove(j, Site{})
							mine = append(mine[:j:j], mine[j+1:]...)
						} else if len(mine) < 5 {
							a := mk(graph.ClassID(i+1), graph.Mode(i%2))
							push(st, a, 0)
							mine = append(mine, a)
						}
					}
					stolen <- robbed
				})
			}
			ready.Wait()
			close(start)
			wg.Wait()
			close(errs)
			close(stolen)
			for e := range errs {
				t.Error(e)
			}
			n := 0
			for s := range stolen {
				if s {
					n++
				}
			}
			// After phase 1 at most Size() goroutines own a slot.
			if tc.wantStolen != (n > 0) || tc.wantStolen && n < tc.goroutines-len(tab.slots) {
				t.Errorf("%d of %d goroutines were robbed of their slot", n, tc.goroutines)
			}
		})
	}
}

func TestPostApply(t *testing.T) {
	t.Parallel()
	x := acq(1, graph.Write, false, 1)
	y := acq(2, graph.Write, false, 1)
	rx := acq(3, graph.Read, false, 1)

	t.Run("handoff-removes-entry", func(t *testing.T) {
		t.Parallel()
		tab := NewTable(64, 8)
		a := tab.Get(1)
		push(a, rx, 0)
		push(a, x, 0)
		push(a, y, 0)
		tab.Post(x.Addr, graph.Read, nil) // wrong mode: nothing to drop
		tab.Post(x.Addr, graph.Write, nil)
		got := tab.Lookup(1)
		if got != a {
			t.Fatalf("Lookup = %p, want %p", got, a)
		}
		if diff := cmp.Diff([]graph.Acq{rx, y}, a.Acqs(nil)); diff != "" {
			t.Errorf("held after handoff (-want +got):\n%s", diff)
		}
		checkKeys(t, a)
		// Another goroutine has nothing to drop and keeps its entries.
		b := tab.Get(2)
		push(b, y, 0)
		tab.Post(rx.Addr, graph.Read, nil)
		tab.Lookup(2)
		if diff := cmp.Diff([]graph.Acq{y}, b.Acqs(nil)); diff != "" {
			t.Errorf("bystander's held (-want +got):\n%s", diff)
		}
		tab.Lookup(1)
		if diff := cmp.Diff([]graph.Acq{y}, a.Acqs(nil)); diff != "" {
			t.Errorf("held after read handoff (-want +got):\n%s", diff)
		}
	})

	t.Run("release-before-push-does-not-apply", func(t *testing.T) {
		t.Parallel()
		tab := NewTable(64, 8)
		a := tab.Get(1)
		push(a, x, 0)
		c := tab.Get(3) // C exists before the release
		tab.Post(x.Addr, graph.Write, nil)
		// C takes X after the release: it looks its stack up (as every
		// acquisition does) and pushes.
		if tab.Get(3) != c {
			t.Fatal("Get returned a new stack")
		}
		push(c, x, 0)
		// A goroutine created after the release too.
		d := tab.Get(4)
		push(d, x, 0)
		for _, g := range []int64{3, 4, 1} {
			tab.Lookup(g)
		}
		if diff := cmp.Diff([]graph.Acq{x}, c.Acqs(nil)); diff != "" {
			t.Errorf("C (existing stack) held (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]graph.Acq{x}, d.Acqs(nil)); diff != "" {
			t.Errorf("D (new stack) held (-want +got):\n%s", diff)
		}
		if len(a.Entries) != 0 {
			t.Errorf("A still holds %+v", a.Acqs(nil))
		}
	})

	t.Run("two-releases-each-to-its-entry", func(t *testing.T) {
		t.Parallel()
		for _, order := range [][]int64{{1, 3}, {3, 1}} {
			t.Run(fmt.Sprint(order), func(t *testing.T) {
				tab := NewTable(64, 8)
				a := tab.Get(1)
				push(a, x, 0)
				tab.Post(x.Addr, graph.Write, nil) // B unlocks A's X
				c := tab.Get(3)                    // C then takes X
				push(c, x, 0)
				push(c, y, 0)
				tab.Post(x.Addr, graph.Write, nil) // D unlocks C's X
				for _, g := range order {
					tab.Lookup(g)
				}
				if len(a.Entries) != 0 {
					t.Errorf("A still holds %+v", a.Acqs(nil))
				}
				if diff := cmp.Diff([]graph.Acq{y}, c.Acqs(nil)); diff != "" {
					t.Errorf("C held (-want +got):\n%s", diff)
				}
				checkKeys(t, c)
			})
		}
	})

	t.Run("unclaimed-release-lingers-until-claimed", func(t *testing.T) {
		t.Parallel()
		tab := NewTable(64, 8)
		a := tab.Get(1)
		push(a, x, 0)
		tab.Post(x.Addr, graph.Write, nil)
		// Many unrelated releases and other goroutines' operations
		// before A runs again.
		for i := range 100 {
			tab.Post(uintptr(0x10000+i), graph.Write, nil)
			tab.Lookup(2)
		}
		tab.Lookup(1)
		if len(a.Entries) != 0 {
			t.Errorf("A still holds %+v", a.Acqs(nil))
		}
	})
}

// TestPostWhileWaiting: C validates X and blocks in Lock while A holds X;
// B unlocks X on A's behalf (posting the release), and C gets X and only
// then pushes it. The release is A's: C must keep X, A must drop it —
// whichever looks first.
func TestPostWhileWaiting(t *testing.T) {
	t.Parallel()
	x := acq(1, graph.Write, false, 1)
	for _, order := range [][]int64{{1, 3}, {3, 1}} {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			t.Parallel()
			tab := NewTable(64, 8)
			a := tab.Get(1)
			push(a, x, 0)
			c := tab.Get(3)
			c.Push(x, graph.ChainKey(c.Top(), x), Site{}) // C blocks in Lock
			tab.Post(x.Addr, graph.Write, nil)            // B unlocks A's X
			c.Held()                                      // C holds X
			for _, g := range order {
				tab.Lookup(g)
			}
			aHolds, cHolds := len(a.Entries) != 0, len(c.Entries) != 0
			if aHolds || !cHolds {
				t.Errorf("after the handoff A holds X = %v (want false), C holds X = %v (want true)", aHolds, cHolds)
			}
		})
	}
}

// TestSnapshot: every goroutine's held locks, the ones still waiting
// excluded, read while the goroutines run (under -race too).
func TestSnapshot(t *testing.T) {
	t.Parallel()
	tab := NewTable(64, 48)
	stop := make(chan struct{})
	ready := make(chan struct{})
	for g := range 3 {
		go func() {
			st := tab.Get(tab.ID())
			for i := 0; i <= g; i++ {
				push(st, acq(graph.ClassID(i+1), graph.Write, false, uintptr(g)), uintptr(i))
			}
			st.Push(acq(9, graph.Write, false, 1), 0, Site{}) // waiting
			ready <- struct{}{}
			for {
				select {
				case <-stop:
					return
				default:
					a := acq(7, graph.Read, false, uintptr(g))
					st.Push(a, graph.ChainKey(st.Top(), a), Site{})
					st.Held()
					st.Remove(len(st.Entries)-1, Site{})
				}
			}
		}()
	}
	for range 3 {
		<-ready
	}
	var sizes []int
	for range 100 {
		sizes = sizes[:0]
		for _, s := range tab.Snapshot() {
			n := 0
			for _, e := range s.Entries {
				if e.Class != 7 {
					n++
				}
			}
			sizes = append(sizes, n)
		}
	}
	close(stop)
	slices.Sort(sizes)
	if diff := cmp.Diff([]int{1, 2, 3}, sizes); diff != "" {
		t.Errorf("held entries per goroutine (-want +got):\n%s", diff)
	}
}

// TestRecent: a signal counts the locks taken and released since the
// previous one: the last one at each depth, those of other classes that
// pushes at their depth overwrote, and the last few released from below
// the top; those the stack pushed for a wait are not.
func TestRecent(t *testing.T) {
	s := newStack()
	acq := func(c graph.ClassID) graph.Acq { return graph.Acq{Class: c, Addr: uintptr(c)} }
	push := func(c graph.ClassID) { s.Overwriting(acq(c)); s.Push(acq(c), 0, Site{PC: uintptr(100 + c)}); s.Held() }
	pop := func(c graph.ClassID) { s.Remove(s.Find(uintptr(c), graph.Write), Site{}) }
	classes := func() []graph.ClassID {
		var cs []graph.ClassID
		for _, r := range s.Recent(nil) {
			if r.PC != uintptr(100+r.Class) {
				t.Errorf("class %d remembered at pc %d", r.Class, r.PC)
			}
			cs = append(cs, r.Class)
		}
		return cs
	}
	push(1)
	pop(1)
	push(2) // at the depth 1 was: 1 is kept aside
	pop(2)
	push(2) // the same class again: nothing to keep
	pop(2)
	push(3) // 2 is kept aside
	push(4)
	pop(4)
	pop(3)
	if got, want := classes(), []graph.ClassID{3, 4, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("Recent = %v, want %v", got, want)
	}
	if got := classes(); len(got) != 0 {
		t.Errorf("Recent again = %v, want none: a signal starts a new period", got)
	}
	push(5)
	push(6)
	pop(5) // from below the top
	push(7)
	s.Remove(len(s.Entries)-1, Site{})
	s.Unrecent() // 7 was a wait's, never taken
	pop(6)
	if got, want := classes(), []graph.ClassID{6, 5}; !slices.Equal(got, want) {
		t.Errorf("Recent = %v, want %v", got, want)
	}
}

// TestFree: a goroutine that ends gives its slot up; a goroutine that
// stole the slot meanwhile keeps it.
func TestFree(t *testing.T) {
	t.Parallel()
	tab := NewTable(64, 8)
	st := tab.Get(1)
	push(st, acq(1, graph.Write, false, 1), 0)
	tab.Free(st)
	if tab.InUse() != 0 || tab.Lookup(1) != nil {
		t.Errorf("after Free: %d slots in use, Lookup = %p; want 0, nil", tab.InUse(), tab.Lookup(1))
	}
	if snaps := tab.SnapshotAll(); len(snaps) != 0 {
		t.Errorf("after Free, SnapshotAll = %+v, want nothing", snaps)
	}

	ids := gidsWithHome(tab, 5, window+1)
	var stacks []*Stack
	for _, g := range ids[:window] {
		stacks = append(stacks, tab.Get(g))
	}
	thief := tab.Get(ids[window]) // the window is full: it steals a slot
	var robbed *Stack
	for i, g := range ids[:window] {
		if tab.Lookup(g) == nil {
			robbed = stacks[i]
		}
	}
	if robbed == nil {
		t.Fatal("no slot was stolen")
	}
	tab.Free(robbed) // its goroutine ends after the theft
	if tab.Lookup(ids[window]) != thief {
		t.Error("the Free of a robbed stack took the thief's slot")
	}
}

// TestReleasedAfter: a release posted after an entry was held is seen,
// one posted before is not; once the memory of posts is full, every
// entry held before it forgot is taken as released.
func TestReleasedAfter(t *testing.T) {
	t.Parallel()
	tab := NewTable(64, 8)
	x, y := acq(1, graph.Write, false, 1), acq(2, graph.Write, false, 1)
	tab.Post(x.Addr, graph.Write, nil) // before
	st := tab.Get(1)
	push(st, x, 0)
	push(st, y, 0)
	ex, ey := st.Entries[0], st.Entries[1]
	if tab.ReleasedAfter(&ex) || tab.ReleasedAfter(&ey) {
		t.Error("a release posted before the entries were held counts")
	}
	tab.Post(x.Addr, graph.Read, nil) // another mode
	if tab.ReleasedAfter(&ex) {
		t.Error("a release in another mode counts")
	}
	tab.Post(x.Addr, graph.Write, nil)
	if !tab.ReleasedAfter(&ex) || tab.ReleasedAfter(&ey) {
		t.Errorf("after a release of x: x released %v (want true), y %v (want false)", tab.ReleasedAfter(&ex), tab.ReleasedAfter(&ey))
	}
	for i := range maxPosted {
		tab.Post(uintptr(1<<20+i), graph.Write, nil)
	}
	if !tab.ReleasedAfter(&ey) {
		t.Error("after the posts were forgotten, y does not count as released")
	}
}

// TestSnapshotWaits: the lock a goroutine waits for is in its snapshot's
// Waits, not its Entries.
func TestSnapshotWaits(t *testing.T) {
	t.Parallel()
	tab := NewTable(64, 8)
	st := tab.Get(1)
	push(st, acq(1, graph.Write, false, 1), 0)
	w := acq(2, graph.Write, false, 1)
	st.Push(w, graph.ChainKey(st.Top(), w), Site{})
	snaps := tab.SnapshotAll()
	if len(snaps) != 1 || len(snaps[0].Entries) != 1 || len(snaps[0].Waits) != 1 || snaps[0].Waits[0].Addr != w.Addr {
		t.Errorf("SnapshotAll = %+v, want one held, one waited for", snaps)
	}
}
