package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/modfile"
)

// TestVendorManifest checks the modules.txt that lockdep's vendor
// directory gets, made from the user's. The relative paths are relocated
// by a stand-in that marks them; relocate has a test of its own.
func TestVendorManifest(t *testing.T) {
	const goid = "v0.0.0-20250101000000-000000000000"
	goidSection := "# github.com/petermattis/goid " + goid + "\n## explicit; go 1.17\ngithub.com/petermattis/goid\n"
	for _, tc := range []struct {
		name     string
		in       string
		want     string
		skip     []string
		vendored string
	}{{
		name: "module",
		in: "# example.com/a v1.0.0\n## explicit; go 1.22\nexample.com/a\nexample.com/a/sub\n" +
			"# example.com/b v1.2.0\n## go 1.20\nexample.com/b\n",
		want: "## workspace\n" +
			"# example.com/a v1.0.0\n## explicit; go 1.22\nexample.com/a\nexample.com/a/sub\n" +
			"# example.com/b v1.2.0\n## go 1.20\nexample.com/b\n" + goidSection,
	}, {
		name: "workspace",
		in:   "## workspace\n# example.com/a v1.0.0\n## explicit; go 1.22\nexample.com/a\n",
		want: "## workspace\n# example.com/a v1.0.0\n## explicit; go 1.22\nexample.com/a\n" + goidSection,
	}, {
		name: "replace/relative",
		in: "# example.com/dep v1.0.0 => ../dep\n## explicit; go 1.22\nexample.com/dep\n" +
			"# example.com/dep => ../dep\n" +
			"# example.com/here v0.1.0 => ./here v0.1.0\n## explicit\nexample.com/here\n",
		want: "## workspace\n" +
			"# example.com/dep v1.0.0 => relocated(../dep)\n## explicit; go 1.22\nexample.com/dep\n" +
			"# example.com/dep => relocated(../dep)\n" +
			"# example.com/here v0.1.0 => relocated(./here) v0.1.0\n## explicit\nexample.com/here\n" + goidSection,
	}, {
		name: "replace/absolute-and-module",
		in: "# example.com/dep v1.0.0 => /src/dep\n## explicit\nexample.com/dep\n" +
			"# example.com/old v1.0.0 => example.com/fork v1.1.0\n## explicit\nexample.com/old\n",
		want: "## workspace\n" +
			"# example.com/dep v1.0.0 => /src/dep\n## explicit\nexample.com/dep\n" +
			"# example.com/old v1.0.0 => example.com/fork v1.1.0\n## explicit\nexample.com/old\n" + goidSection,
	}, {
		name: "lockdep-vendored",
		in: "# github.com/golockdep/lockdep v1.0.0\n## explicit; go 1.26\n" +
			"github.com/golockdep/lockdep\ngithub.com/golockdep/lockdep/lockdepimpl\n" +
			"# example.com/a v1.0.0\n## explicit\nexample.com/a\n",
		want: "## workspace\n# github.com/golockdep/lockdep v1.0.0\n## explicit; go 1.26\n" +
			"# example.com/a v1.0.0\n## explicit\nexample.com/a\n" + goidSection,
		skip: []string{"github.com/golockdep/lockdep", "github.com/golockdep/lockdep/lockdepimpl"},
	}, {
		name:     "goid/explicit",
		in:       "# github.com/petermattis/goid v0.0.0-1\n## explicit; go 1.17\ngithub.com/petermattis/goid\n",
		want:     "## workspace\n# github.com/petermattis/goid v0.0.0-1\n## explicit; go 1.17\ngithub.com/petermattis/goid\n",
		vendored: "v0.0.0-1",
	}, {
		name:     "goid/indirect",
		in:       "# github.com/petermattis/goid v0.0.0-1\n## go 1.17\ngithub.com/petermattis/goid\n",
		want:     "## workspace\n# github.com/petermattis/goid v0.0.0-1\n## explicit; go 1.17\ngithub.com/petermattis/goid\n",
		vendored: "v0.0.0-1",
	}, {
		name:     "goid/no-annotation",
		in:       "# github.com/petermattis/goid v0.0.0-1\ngithub.com/petermattis/goid\n",
		want:     "## workspace\n# github.com/petermattis/goid v0.0.0-1\n## explicit\ngithub.com/petermattis/goid\n",
		vendored: "v0.0.0-1",
	}, {
		name: "goid/replaced-only",
		in:   "# github.com/petermattis/goid => ../goid\n",
		want: "## workspace\n# github.com/petermattis/goid => relocated(../goid)\n" + goidSection,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, skip, vendored := vendorManifest([]byte(tc.in), goid, func(p string) string { return "relocated(" + p + ")" })
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("modules.txt (-want +got):\n%s", diff)
			}
			var dirs []string
			for d := range skip {
				dirs = append(dirs, d)
			}
			slices.Sort(dirs)
			if diff := cmp.Diff(tc.skip, dirs); diff != "" {
				t.Errorf("skipped directories (-want +got):\n%s", diff)
			}
			if vendored != tc.vendored {
				t.Errorf("vendored goid version %q, want %q", vendored, tc.vendored)
			}
		})
	}
}

// TestRelocate checks that a replacement directory relative to the
// user's module or workspace becomes one relative to lockdep's go.work,
// written as the go command writes it in vendor/modules.txt.
func TestRelocate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the cases use Unix paths")
	}
	for _, tc := range []struct {
		name, work, base, dir, want string
	}{
		{"sibling", "/tmp/lockdep-1", "/home/u/m", "../dep", "../../home/u/dep"},
		{"inside", "/tmp/lockdep-1", "/home/u/m", "./third_party/dep", "../../home/u/m/third_party/dep"},
		{"below-work", "/w", "/w/m", "./dep", "./m/dep"},
		{"same", "/w", "/w", "..", ".."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := relocate(tc.work, tc.base, tc.dir)
			if got != tc.want {
				t.Errorf("relocate(%q, %q, %q) = %q, want %q", tc.work, tc.base, tc.dir, got, tc.want)
			}
			// Resolved from lockdep's go.work, it is the user's directory.
			if abs := filepath.Join(tc.work, got); abs != filepath.Join(tc.base, tc.dir) && !strings.HasPrefix(got, "/") {
				t.Errorf("%q from %s is %s, want %s", got, tc.work, abs, filepath.Join(tc.base, tc.dir))
			}
		})
	}
}

// TestVendorHome: the vendored workspace is made once in the cache and
// found again by the next run (the build cache keys packages by their
// directory), made anew when a vendored file changes, and removed once
// its vendor directory is gone.
func TestVendorHome(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("os.UserCacheDir reads XDG_CACHE_HOME on Unix systems but macOS")
	}
	newModule := func() *module {
		dir := t.TempDir()
		files := map[string]string{
			"go.mod":                             "module example.com/m\n\ngo 1.22\n\nrequire example.com/dep v1.0.0\n",
			"vendor/modules.txt":                 "# example.com/dep v1.0.0\n## explicit; go 1.22\nexample.com/dep\n# github.com/petermattis/goid v0.0.0-1\n## explicit; go 1.17\ngithub.com/petermattis/goid\n",
			"vendor/example.com/dep/dep.go":      "package dep\n",
			"vendor/example.com/dep/data.txt":    "data\n",
			"vendor/github.com/petermattis/goid": "",
		}
		for name, data := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if data == "" {
				if err := os.MkdirAll(p, 0o755); err != nil {
					t.Fatal(err)
				}
				p = filepath.Join(p, "goid.go")
				data = "package goid\n"
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		f, err := modfile.Parse("go.mod", []byte(files["go.mod"]), nil)
		if err != nil {
			t.Fatal(err)
		}
		return &module{dir: dir, modfile: filepath.Join(dir, "go.mod"), file: f, roots: []string{dir}, vendor: true}
	}
	setup := func(m *module) string {
		t.Helper()
		_, env, err := m.setupVendor(context.Background(), t.TempDir(), filepath.Join(cache, "rt"))
		if err != nil {
			t.Fatal(err)
		}
		if len(env) != 1 || !strings.HasPrefix(env[0], "GOWORK="+filepath.Join(cache, "lockdep", "vendor-")) {
			t.Fatalf("environment %q, want GOWORK in the cache", env)
		}
		home := filepath.Dir(strings.TrimPrefix(env[0], "GOWORK="))
		data, err := os.ReadFile(filepath.Join(home, "vendor", "example.com", "dep", "data.txt"))
		if err != nil || string(data) != "data\n" {
			t.Fatalf("vendored data file: %q, %v", data, err)
		}
		if fi, err := os.Lstat(filepath.Join(home, "vendor", "example.com", "dep", "data.txt")); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("vendored data file is not a regular file (go:embed takes no link): %v", err)
		}
		return home
	}
	m := newModule()
	first := setup(m)
	if again := setup(m); again != first {
		t.Errorf("the next run made %s, want %s again", again, first)
	}
	if err := os.WriteFile(filepath.Join(m.dir, "vendor", "example.com", "dep", "dep.go"), []byte("package dep // changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	changed := setup(m)
	if changed == first {
		t.Errorf("a vendored file changed, and the workspace is the same")
	}
	// Another module's vendor directory is gone: its workspace goes.
	other := newModule()
	gone := setup(other)
	if err := os.RemoveAll(other.dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(m.dir, "vendor", "example.com", "dep", "dep.go"), []byte("package dep // again\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	setup(m)
	if _, err := os.Stat(gone); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the workspace of a vendor directory that is gone is still there: %v", err)
	}
	if _, err := os.Stat(changed); err != nil {
		t.Errorf("a workspace in use was removed: %v", err)
	}
}
