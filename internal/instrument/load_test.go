package instrument

import (
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
