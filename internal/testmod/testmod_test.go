package testmod

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestDir checks that Dir hands out one directory per content, holding
// exactly the files, in this run and the next; that it writes again a
// directory changed after it was handed out, and removes it when the test
// that changed it ends.
func TestDir(t *testing.T) {
	// Content of this process's own (its ID in go.mod), so that the
	// directories this test changes and removes are no other's.
	mod := []byte(fmt.Sprintf("module example.com/m\n\n// %d\n", os.Getpid()))
	files := []txtar.File{{Name: "go.mod", Data: mod}, {Name: "sub/x.go", Data: []byte("package sub\n")}}
	other := []txtar.File{{Name: "go.mod", Data: mod}, {Name: "sub/x.go", Data: []byte("package other\n")}}
	const name = "testmod/dir"

	var dir string
	t.Run("new", func(t *testing.T) {
		dir = Dir(t, name, files)
		if !strings.HasPrefix(dir, Root()+string(filepath.Separator)) {
			t.Errorf("Dir = %s, want it under %s", dir, Root())
		}
		checkFiles(t, dir, files)
		if again := Dir(t, name, files); again != dir {
			t.Errorf("Dir of the same files: %s, then %s", dir, again)
		}
		if o := Dir(t, name, other); o == dir {
			t.Errorf("Dir of other files: %s, as for the first ones", o)
		}
	})
	t.Run("kept", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(dir, "go.mod"))
		if err != nil {
			t.Fatalf("the directory did not outlive the test: %v", err)
		}
		if again := Dir(t, name, files); again != dir {
			t.Errorf("Dir in a later test: %s, was %s", again, dir)
		}
		if fj, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil || !fj.ModTime().Equal(fi.ModTime()) {
			t.Errorf("go.mod was written again (%v)", err)
		}
	})
	t.Run("changed", func(t *testing.T) {
		for _, change := range []func(){
			func() { os.WriteFile(filepath.Join(dir, "sub", "x.go"), []byte("package changed\n"), 0o644) },
			func() { os.WriteFile(filepath.Join(dir, "extra.go"), []byte("package m\n"), 0o644) },
			func() { os.Remove(filepath.Join(dir, "go.mod")) },
		} {
			change()
			if again := Dir(t, name, files); again != dir {
				t.Fatalf("Dir after a change: %s, was %s", again, dir)
			}
			checkFiles(t, dir, files)
		}
	})
	t.Run("removed-after", func(t *testing.T) {
		t.Run("changes", func(t *testing.T) {
			os.WriteFile(filepath.Join(Dir(t, name, files), "extra.go"), []byte("package m\n"), 0o644)
		})
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("a directory changed by a test is still there after it (%v)", err)
		}
	})
	os.RemoveAll(Dir(t, name, files))
	os.RemoveAll(Dir(t, name, other))
}

// checkFiles checks that dir holds exactly files.
func checkFiles(t *testing.T, dir string, files []txtar.File) {
	t.Helper()
	want := map[string][]byte{}
	for _, f := range files {
		want[filepath.FromSlash(f.Name)] = f.Data
	}
	if !holds(dir, want) {
		t.Errorf("%s does not hold exactly the files", dir)
	}
}
