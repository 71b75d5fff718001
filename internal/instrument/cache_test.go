package instrument

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRewriteCache checks that a Rewrite of the same files the same way
// is the one kept, and that none is served after a change of a file the
// user can edit (here in a replacement directory outside the module), of
// the tags, with an overlay, or when a rewritten file no longer holds
// what was rewritten though its size and time are the same.
func TestRewriteCache(t *testing.T) {
	root := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("m/go.mod", "module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v0.0.0\n\nreplace example.com/dep => ../dep\n")
	write("m/app.go", "package app\n\nimport (\n\t\"sync\"\n\n\t\"example.com/dep\"\n)\n\nvar mu sync.Mutex\n\nfunc F(s *dep.Store) { mu.Lock(); s.Put(); mu.Unlock() }\n")
	write("m/tagged.go", "//go:build extra\n\npackage app\n\nfunc G() { mu.Lock(); mu.Unlock() }\n")
	write("dep/go.mod", "module example.com/dep\n\ngo 1.22\n")
	write("dep/dep.go", "package dep\n\nimport \"sync\"\n\ntype Store struct{ mu sync.Mutex }\n\nfunc (s *Store) Put() {}\n")
	cache := t.TempDir()
	cfg := Config{
		Dir:      filepath.Join(root, "m"),
		Patterns: []string{"./..."},
		Extra:    []string{"example.com/dep"},
		CacheDir: cache,
		Trees:    []string{filepath.Join(root, "m"), filepath.Join(root, "dep")},
	}
	rewrite := func(cfg Config) *Result {
		t.Helper()
		r, err := Rewrite(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	results := func() []string {
		t.Helper()
		m, err := filepath.Glob(filepath.Join(cache, "*.gob"))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// mark sets the Sites of the result kept in path to -1, so that a
	// Rewrite that serves it says so.
	mark := func(path string) {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var k keptResult
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&k); err != nil {
			t.Fatal(err)
		}
		k.Sites = -1
		var buf bytes.Buffer
		if err := gob.NewEncoder(&buf).Encode(&k); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	first := rewrite(cfg)
	if first.Sites != 2 || len(results()) != 1 {
		t.Fatalf("first rewrite: %d sites, %d results kept; want 2, 1", first.Sites, len(results()))
	}
	if diff := cmp.Diff(first, rewrite(cfg), cmp.AllowUnexported(Result{}, edit{})); diff != "" {
		t.Errorf("the kept result differs (-made +kept):\n%s", diff)
	}
	mark(results()[0])
	if got := rewrite(cfg).Sites; got != -1 {
		t.Fatalf("the same rewrite again: %d sites, not the kept result's", got)
	}

	tagged := cfg
	tagged.Tags = "extra"
	if got := rewrite(tagged).Sites; got != 4 {
		t.Errorf("with -tags=extra: %d sites, want 4", got)
	}
	withOverlay := cfg
	withOverlay.Overlay = map[string][]byte{filepath.Join(root, "m", "app.go"): []byte("package app\n")}
	n := len(results())
	if got := rewrite(withOverlay).Sites; got != 0 || len(results()) != n {
		t.Errorf("with an overlay: %d sites, %d results kept; want 0, %d", got, len(results()), n)
	}
	overlayFile := filepath.Join(root, "overlay.json")
	write("overlay.json", `{"Replace": {}}`)
	inGOFLAGS := cfg
	inGOFLAGS.Env = []string{"GOFLAGS=-overlay=" + overlayFile}
	if rewrite(inGOFLAGS); len(results()) != n {
		t.Errorf("with an overlay in GOFLAGS: %d results kept, want %d", len(results()), n)
	}

	// app.go edited to the same size, its time put back: the key is the
	// same, but the kept result rewrote other contents.
	app := filepath.Join(root, "m", "app.go")
	fi, err := os.Stat(app)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(app, bytes.Replace(src, []byte("s.Put(); mu.Unlock()"), []byte("mu.Unlock(); s.Put()"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(app, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if got := rewrite(cfg); got.Sites != 2 || !bytes.Contains(got.Files[app], []byte("); s.Put() }")) {
		t.Errorf("after an edit that kept the size and time: %d sites, rewritten:\n%s", got.Sites, got.Files[app])
	}

	write("dep/dep.go", "package dep\n\nimport \"sync\"\n\ntype Store struct{ mu sync.Mutex }\n\nfunc (s *Store) Put() { s.mu.Lock(); s.mu.Unlock() }\n")
	if got := rewrite(cfg).Sites; got != 4 {
		t.Errorf("after an edit of the replacement directory: %d sites, want 4", got)
	}
}

// TestTrim checks that trim keeps the results used last, maxKept at the
// most.
func TestTrim(t *testing.T) {
	dir := t.TempDir()
	base := time.Now().Add(-time.Hour)
	for i := range maxKept + 3 {
		path := filepath.Join(dir, fmt.Sprintf("%03d.gob", i))
		if err := os.WriteFile(path, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		used := base.Add(time.Duration(i) * time.Second)
		if err := os.Chtimes(path, used, used); err != nil {
			t.Fatal(err)
		}
	}
	trim(dir)
	left, err := filepath.Glob(filepath.Join(dir, "*.gob"))
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != maxKept || filepath.Base(left[0]) != "003.gob" {
		t.Errorf("%d results left, the oldest %s; want %d, 003.gob", len(left), filepath.Base(left[0]), maxKept)
	}
}

// TestInSkipped checks which patterns name something in a directory the
// cache key passes over.
func TestInSkipped(t *testing.T) {
	for pattern, want := range map[string]bool{
		"./...":              false,
		".":                  false,
		"../other/...":       false,
		"example.com/m/p":    false,
		"main.go":            false,
		"./testdata/p":       true,
		"internal/_old/...":  true,
		"./.hidden/main.go":  true,
		"node_modules/x/...": true,
	} {
		if got := inSkipped(pattern); got != want {
			t.Errorf("inSkipped(%q) = %v, want %v", pattern, got, want)
		}
	}
}
