package instrument

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/testmod"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/tools/txtar"
)

// TestRewriteTypeErrors checks that a package with errors, and one that
// imports it, are left alone and listed, and the others rewritten.
func TestRewriteTypeErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":  "module example.com/m\n\ngo 1.26\n",
		"p/p.go":  "package p\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nfunc F() { mu.Lock(); undefined() }\n",
		"p/ok.go": "package p\n",
		"q/q.go":  "package q\n\nimport _ \"example.com/m/p\"\n",
		"r/r.go":  "package r\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nfunc F() { mu.Lock() }\n",
	}
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Rewrite(Config{Dir: dir, Patterns: []string{"./..."}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"example.com/m/p", "example.com/m/q"}, res.Broken); diff != "" {
		t.Errorf("broken packages (-want +got):\n%s", diff)
	}
	if want := "p/p.go:7:23: undefined: undefined"; len(res.Errors) == 0 || res.Errors[0] != want {
		t.Errorf("errors %q, want %q first", res.Errors, want)
	}
	var rewritten []string
	for name := range res.Files {
		rewritten = append(rewritten, filepath.ToSlash(strings.TrimPrefix(name, dir+string(filepath.Separator))))
	}
	if diff := cmp.Diff([]string{"r/r.go"}, rewritten); diff != "" {
		t.Errorf("rewritten files (-want +got):\n%s", diff)
	}
}

// TestRewriteSelf checks that the validator's own packages are never
// rewritten, even when asked for.
func TestRewriteSelf(t *testing.T) {
	res, err := Rewrite(Config{Dir: filepath.Join("..", ".."), Patterns: []string{"./lockdepimpl", "."}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 0 || res.Sites != 0 {
		t.Errorf("rewrote %d files, %d sites of lockdep itself", len(res.Files), res.Sites)
	}
}

func TestPatternRegexp(t *testing.T) {
	tests := []struct {
		pattern string
		path    string
		want    bool
	}{
		{"example.com/dep/...", "example.com/dep", true},
		{"example.com/dep/...", "example.com/dep/sub/x", true},
		{"example.com/dep/...", "example.com/depot", false},
		{"example.com/dep", "example.com/dep", true},
		{"example.com/dep", "example.com/dep/sub", false},
		{"example.com/.../x", "example.com/a/b/x", true},
		{"...", "anything", true},
	}
	for _, tc := range tests {
		re, err := patternRegexp(tc.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(tc.path); got != tc.want {
			t.Errorf("pattern %q matches %q = %v, want %v", tc.pattern, tc.path, got, tc.want)
		}
	}
}

// TestRewriteFile calls rewriteFile directly on a file type-checked without
// go/packages; the file is named relative to the nearest go.mod.
func TestRewriteFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/m\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(dir, "sub", "x.go")
	src := "package x\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nfunc F() {\n\tmu.Lock()\n\tmu.Unlock()\n}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	info := &types.Info{
		Types:      make(map[ast.Expr]types.TypeAndValue),
		Defs:       make(map[*ast.Ident]types.Object),
		Uses:       make(map[*ast.Ident]types.Object),
		Selections: make(map[*ast.SelectorExpr]*types.Selection),
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check("example.com/m/sub", fset, []*ast.File{f}, info)
	if err != nil {
		t.Fatal(err)
	}
	res, err := rewriteFile(fset, f, []byte(src), info, pkg, 7, moduleRelPath(fset.File(f.FileStart).Name()), fileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `package x; import lockdepimpl_ "github.com/golockdep/lockdep/lockdepimpl"

import "sync"

var mu sync.Mutex

func F() {
	lockdepimpl_.Lock(&mu, &lockdepSites_7[0])
	lockdepimpl_.Unlock(&mu, &lockdepSites_7[1])
}

var _ = lockdepimpl_.V1

var lockdepSites_7 = [...]lockdepimpl_.Site{
	{Class: "example.com/m/sub.mu", File: "sub/x.go", Line: 8},
	{Class: "example.com/m/sub.mu", File: "sub/x.go", Line: 9},
}
`
	if diff := cmp.Diff(want, string(res.out)); diff != "" {
		t.Errorf("rewriteFile mismatch (-want +got):\n%s", diff)
	}
	if res.sites != 2 {
		t.Errorf("sites = %d, want 2", res.sites)
	}

	// A file that imports "C" is refused.
	cf, err := parser.ParseFile(fset, filepath.Join(dir, "c.go"), "package x\n\nimport \"C\"\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rewriteFile(fset, cf, nil, info, pkg, 0, "c.go", fileOptions{}); err == nil || !strings.Contains(err.Error(), "cgo") {
		t.Errorf("rewriteFile of a cgo file: err = %v, want a cgo error", err)
	}
}

// TestRewriteDeps: the packages of the module that a matched package
// imports, directly or not, are rewritten too, from the listing of the
// matched package (type-checked in process), exactly as when they are
// type-checked by a listing of their own (which an overlay forces), a
// package that imports a matched one included (go/packages type-checks it
// without function bodies); a dependency that does not type-check is left
// alone and listed, with the type checker's error, and so is what imports
// it.
func TestRewriteDeps(t *testing.T) {
	files := map[string]string{
		"go.mod":           "module example.com/m\n\ngo 1.22\n",
		"app/app.go":       "package app\n\nimport (\n\t\"sync\"\n\n\t\"example.com/m/store\"\n)\n\nvar mu sync.Mutex\n\nfunc F(s *store.Store[int]) { mu.Lock(); s.Put(1); mu.Unlock() }\n",
		"app/app_test.go":  "package app\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/store\"\n)\n\nfunc TestF(t *testing.T) { F(store.New[int]()) }\n",
		"store/store.go":   "package store\n\nimport (\n\t\"sync\"\n\n\t\"example.com/m/util\"\n)\n\ntype Store[T any] struct {\n\tmu sync.RWMutex\n\titems []T\n}\n\nfunc New[T any]() *Store[T] { return &Store[T]{} }\n\nfunc (s *Store[T]) Put(v T) {\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\ts.items = append(s.items, v)\n\tutil.Count()\n}\n",
		"util/util.go":     "package util\n\nimport \"sync\"\n\nvar (\n\tmu sync.Mutex\n\tn  int\n)\n\n//lockdep:nested 1\nfunc Count() { mu.Lock(); n++; mu.Unlock() }\n",
		"broken/broken.go": "package broken\n\nimport \"example.com/m/bad\"\n\nvar _ = bad.X\n",
		"bad/bad.go":       "package bad\n\nimport \"sync\"\n\nvar mu sync.Mutex\n\nvar X = undefined\n",
		// A test of util imports app, which imports util (and so is
		// type-checked by go/packages, without function bodies).
		"util/util_test.go": "package util_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/m/app\"\n)\n\nfunc TestApp(t *testing.T) { app.Send(make(chan any, 1)) }\n",
		"app/send.go":       "package app\n\nfunc Send(ch chan any) {\n\tch <- &mu\n\tmu.Lock()\n\tmu.Unlock()\n}\n",
	}
	var ar []txtar.File
	for name, data := range files {
		ar = append(ar, txtar.File{Name: name, Data: []byte(data)})
	}
	slices.SortFunc(ar, func(a, b txtar.File) int { return strings.Compare(a.Name, b.Name) })
	dir := testmod.Dir(t, "deps", ar) // only read
	app := filepath.Join(dir, "app", "app.go")
	for _, tc := range []struct {
		name         string
		patterns     []string
		rewritten    []string
		broken, errs []string
	}{
		{"app", []string{"./app"}, []string{"app/app.go", "app/send.go", "store/store.go", "util/util.go", "app/" + TestMainFile}, nil, nil},
		{"importer", []string{"./util"}, []string{"util/util.go", "app/app.go", "app/send.go", "store/store.go", "util/" + TestMainFile}, nil, nil},
		{"broken", []string{"./broken"}, nil, []string{"example.com/m/bad", "example.com/m/broken"}, []string{"bad/bad.go:7:9: undefined: undefined"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inProcess, err := Rewrite(Config{Dir: dir, Patterns: tc.patterns, Tests: true})
			if err != nil {
				t.Fatal(err)
			}
			src, _ := os.ReadFile(app)
			listed, err := Rewrite(Config{Dir: dir, Patterns: tc.patterns, Tests: true, Overlay: map[string][]byte{app: src}})
			if err != nil {
				t.Fatal(err)
			}
			var rewritten []string
			for name := range inProcess.Files {
				rewritten = append(rewritten, filepath.ToSlash(strings.TrimPrefix(name, dir+string(filepath.Separator))))
			}
			slices.Sort(rewritten)
			slices.Sort(tc.rewritten)
			if diff := cmp.Diff(tc.rewritten, rewritten, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rewritten files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.broken, inProcess.Broken, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("broken packages (-want +got):\n%s", diff)
			}
			for _, e := range tc.errs {
				if !slices.Contains(inProcess.Errors, e) {
					t.Errorf("errors %q lack %q", inProcess.Errors, e)
				}
			}
			if diff := cmp.Diff(listed, inProcess, cmpopts.EquateEmpty(), cmp.AllowUnexported(Result{}, edit{})); diff != "" {
				t.Errorf("type-checked in process and by a listing (-listing +in process):\n%s", diff)
			}
		})
	}
}
