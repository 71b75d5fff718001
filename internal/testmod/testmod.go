// Package testmod gives tests the modules they build and run with the go
// command, in directories that outlive the test run, so that the next run
// finds their packages in the go command's build cache.
//
// The go command keys a compiled package by the directory it was compiled
// in, among the rest; a module extracted into a fresh temporary directory
// by every run is compiled (and vetted) again by every run, and so is
// everything that depends on it. [Dir] writes a module once, into a
// directory named after its content under the system's temporary
// directory, and hands out the same directory to every test and every
// run that asks for the same content, in this process or another.
//
// The directory is for tests that only read it: lockdep never writes to
// the tree it validates, and the tests of the command check that after
// every run. Dir checks the files against the content before handing the
// directory out, and after the test: a directory that was changed is
// removed, so that the next run writes it again. Directories unused for a
// week are removed.
//
// Only tests import this package.
package testmod

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/tools/txtar"
)

// Root returns the directory under which Dir keeps modules.
func Root() string {
	return filepath.Join(os.TempDir(), "lockdep-test-modules")
}

// unused is how long a module may go unused before Dir removes it.
const unused = 7 * 24 * time.Hour

var (
	pruned sync.Once
	mu     sync.Mutex // held while a directory is checked or written
)

// Dir returns a directory holding files (their names are slash-separated
// paths relative to it), and nothing else. name, which may hold slashes,
// only makes the directory's name easier to read. The test must not
// write to the directory.
func Dir(tb testing.TB, name string, files []txtar.File) string {
	tb.Helper()
	want := make(map[string][]byte, len(files))
	h := sha256.New()
	fmt.Fprintf(h, "lockdep test module 1\n")
	for _, f := range files {
		want[filepath.FromSlash(f.Name)] = f.Data
		fmt.Fprintf(h, "%s %d\n", f.Name, len(f.Data))
		h.Write(f.Data)
	}
	root := Root()
	pruned.Do(func() { prune(root) })
	dir := filepath.Join(root, strings.ReplaceAll(name, "/", "_")+"-"+hex.EncodeToString(h.Sum(nil)[:8]))
	tb.Cleanup(func() {
		if !holds(dir, want) {
			os.RemoveAll(dir)
		}
	})

	mu.Lock()
	defer mu.Unlock()
	if holds(dir, want) {
		now := time.Now()
		os.Chtimes(dir, now, now) // last used: see prune
		return dir
	}
	if _, err := os.Lstat(dir); err == nil {
		os.RemoveAll(dir) // changed, by a test or by hand
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		tb.Fatal(err)
	}
	// Written aside, then renamed: another process sees all or nothing.
	tmp, err := os.MkdirTemp(root, "tmp-")
	if err != nil {
		tb.Fatal(err)
	}
	for name, data := range want {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			os.RemoveAll(tmp)
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			os.RemoveAll(tmp)
			tb.Fatal(err)
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		if !holds(dir, want) { // else another process wrote it first
			tb.Fatalf("writing %s: %v", dir, err)
		}
	}
	return dir
}

// holds reports whether the files under dir are exactly want, by path
// relative to dir.
func holds(dir string, want map[string][]byte) bool {
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, ok := want[rel]
		if !ok {
			return fs.ErrExist
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, data) {
			return fs.ErrExist
		}
		n++
		return nil
	})
	return err == nil && n == len(want)
}

// prune removes what is under root and was not used for a week: modules,
// and directories that a write left behind.
func prune(root string) {
	entries, _ := os.ReadDir(root)
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > unused {
			os.RemoveAll(filepath.Join(root, e.Name()))
		}
	}
}
