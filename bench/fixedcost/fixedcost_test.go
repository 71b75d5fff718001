// Package fixedcost measures what one run of lockdep test costs on top of
// go test -count=1 (lockdep's tests always run, never come from the test
// cache), on a small module: loading and type-checking the packages to
// rewrite, rewriting them, and linking the validator into the test
// binary. The two commands run in turn, so that a machine whose load
// drifts slows both alike; the medians are reported.
//
//	go test -run '^$' -bench FixedCost -benchtime 10x ./fixedcost
package fixedcost

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// module is a small module: package shop, whose test locks one mutex, and
// package shop/store, which it imports.
var module = map[string]string{
	"go.mod": "module example.com/shop\n\ngo 1.22\n",
	"shop.go": `package shop

import (
	"sync"

	"example.com/shop/store"
)

type Cart struct {
	mu    sync.Mutex
	items []string
}

func (c *Cart) Add(s *store.Store, item string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items = append(c.items, item)
	s.Take(item)
}
`,
	"shop_test.go": `package shop

import (
	"testing"

	"example.com/shop/store"
)

func TestAdd(t *testing.T) {
	var c Cart
	c.Add(store.New(), "pear")
	if len(c.items) != 1 {
		t.Fatal(c.items)
	}
}
`,
	"store/store.go": `package store

import "sync"

type Store struct {
	mu    sync.Mutex
	stock map[string]int
}

func New() *Store { return &Store{stock: map[string]int{}} }

func (s *Store) Take(item string) {
	s.mu.Lock()
	s.stock[item]--
	s.mu.Unlock()
}
`,
	"store/store_test.go": `package store

import "testing"

func TestTake(t *testing.T) {
	s := New()
	s.Take("pear")
	if s.stock["pear"] != -1 {
		t.Fatal(s.stock)
	}
}
`,
}

// BenchmarkFixedCost runs go test -count=1 and lockdep test on a package
// of the module in turn, and reports the median time of each and their
// difference (overhead-ms): store, which imports nothing of its module,
// and shop, which imports store (lockdep instruments it too).
func BenchmarkFixedCost(b *testing.B) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		b.Fatal(err)
	}
	tmp := b.TempDir()
	lockdep := filepath.Join(tmp, "lockdep")
	build := exec.Command("go", "build", "-o", lockdep, "./cmd/lockdep")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building lockdep: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "shop")
	for name, data := range module {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	// leaf and deps run on files that do not change between runs, as
	// when tests are run again: lockdep uses the rewrite it kept.
	// leaf-edited edits the tested package before each run, so that both
	// commands compile it again, and lockdep rewrites it again.
	edits := 0
	for _, tc := range []struct{ name, pkg, edit string }{
		{"leaf", "./store", ""},
		{"deps", ".", ""},
		{"leaf-edited", "./store", "store/store.go"},
	} {
		pkg := tc.pkg
		b.Run(tc.name, func(b *testing.B) {
			run := func(name string, args ...string) time.Duration {
				if tc.edit != "" {
					edits++
					f, err := os.OpenFile(filepath.Join(dir, tc.edit), os.O_APPEND|os.O_WRONLY, 0)
					if err != nil {
						b.Fatal(err)
					}
					fmt.Fprintf(f, "\nvar edit%d int\n", edits)
					if err := f.Close(); err != nil {
						b.Fatal(err)
					}
				}
				c := exec.Command(name, args...)
				c.Dir = dir
				start := time.Now()
				if out, err := c.CombinedOutput(); err != nil {
					b.Fatalf("%s %v: %v\n%s", name, args, err, out)
				}
				return time.Since(start)
			}
			// Warm the build cache and lockdep's run-time module.
			run("go", "test", "-count=1", pkg)
			run(lockdep, "test", pkg)
			var plain, validated []time.Duration
			for b.Loop() {
				plain = append(plain, run("go", "test", "-count=1", pkg))
				validated = append(validated, run(lockdep, "test", pkg))
			}
			p, v := median(plain), median(validated)
			b.ReportMetric(ms(p), "go-test-ms")
			b.ReportMetric(ms(v), "lockdep-test-ms")
			b.ReportMetric(ms(v-p), "overhead-ms")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
