package cli

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
)

// Vendoring. With a vendor directory the go command reads every
// dependency from it and checks vendor/modules.txt against the go.mod
// files; it reads modules.txt from disk, past -overlay, so a module it did
// not vendor (the run-time module) cannot be added there. lockdep builds
// in workspace mode instead (GOWORK names a go.work in a directory of its
// own, whose vendor directory is then the one used): the main module
// (or the user's workspace) and the run-time module are the workspace's
// modules, and the vendor directory holds a modules.txt made from the
// user's plus the run-time's one dependency, and links to the user's
// vendored files (real directories, for the assembler's sake; see
// linkFile); the overlay puts the files that -pkg rewrites in their
// place.

// goidModule is the run-time module's one dependency.
const goidModule = "github.com/petermattis/goid"

// vendorDir returns the vendor directory the user's build reads.
func (m *module) vendorDir() string {
	if m.work != "" {
		return filepath.Join(filepath.Dir(m.work), "vendor")
	}
	return filepath.Join(m.dir, "vendor")
}

// setupVendor prepares the workspace described above, in a directory
// of the user's cache named after what it is made of (see vendorHome),
// so that the next run with the same vendor directory finds it ready:
// the go command's build cache keys compiled packages by their
// directory, and a fresh vendor directory per run would compile every
// vendored package every time. Without a cache directory, it is made in
// work.
func (m *module) setupVendor(ctx context.Context, work, rt string) (flags, env []string, err error) {
	src := m.vendorDir()
	data, err := os.ReadFile(filepath.Join(src, "modules.txt"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the vendor directory: %w", err)
	}
	home, ok := m.vendorHome(src, data, rt)
	if !ok {
		home = work
	}
	if !ok || !vendorReady(home) {
		into := home
		if ok {
			// Written aside, then renamed: a concurrent run sees all or
			// nothing.
			if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
				return nil, nil, err
			}
			if into, err = os.MkdirTemp(filepath.Dir(home), "tmp-"); err != nil {
				return nil, nil, err
			}
		}
		if err := m.writeVendorWorkspace(ctx, into, home, src, data, rt); err != nil {
			if into != home {
				os.RemoveAll(into)
			}
			return nil, nil, err
		}
		if into != home {
			if os.Rename(into, home) != nil {
				os.RemoveAll(into)
				if !vendorReady(home) {
					return nil, nil, fmt.Errorf("preparing the vendor directory in %s: another run left it incomplete; remove it", home)
				}
			}
			pruneVendorHomes(filepath.Dir(home), home)
		}
	}
	if ok {
		now := time.Now()
		os.Chtimes(filepath.Join(home, "go.work"), now, now) // last used: see pruneVendorHomes
	}
	m.vendorSrc, m.vendorDst = src, filepath.Join(home, "vendor")
	return []string{"-mod=vendor"}, []string{"GOWORK=" + filepath.Join(home, "go.work")}, nil
}

// vendorHome returns the directory in the user's cache for the vendored
// workspace of m, named after all it is made of: the vendor directory,
// its modules.txt (data) and the names, sizes and times of its files, the
// module's go.mod or the workspace's go.work, and the run-time module rt.
// ok is false if there is no cache directory.
func (m *module) vendorHome(src string, data []byte, rt string) (dir string, ok bool) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	h := sha256.New()
	fmt.Fprintf(h, "lockdep vendor 1\n%s\n%s\n%s\n%s\n%s\n", src, rt, m.dir, m.modfile, m.work)
	h.Write(data)
	for _, p := range []string{m.modfile, m.work, m.work + ".sum"} {
		if p != "" && p != ".sum" {
			b, _ := os.ReadFile(p)
			fmt.Fprintf(h, "%s %d\n", p, len(b))
			h.Write(b)
		}
	}
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d %d\n", p, fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", false
	}
	where := sha256.Sum256([]byte(src))
	return filepath.Join(cache, "lockdep", fmt.Sprintf("vendor-%x-%x", where[:4], h.Sum(nil)[:8])), true
}

// vendorReady reports whether dir holds a complete vendored workspace:
// its go.work is written last.
func vendorReady(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "go.work"))
	return err == nil
}

// vendorUnused is how long a vendored workspace in the cache is kept
// after it was last used.
const vendorUnused = 24 * time.Hour

// pruneVendorHomes removes, from cache, the vendored workspaces other than
// keep that no run can use again (their vendor directory is gone) or none
// used for vendorUnused.
func pruneVendorHomes(cache, keep string) {
	dirs, _ := filepath.Glob(filepath.Join(cache, "vendor-*"))
	for _, d := range dirs {
		if d == keep {
			continue
		}
		src, err := os.ReadFile(filepath.Join(d, "source"))
		fi, serr := os.Stat(filepath.Join(d, "go.work"))
		if err != nil || serr != nil {
			if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > vendorUnused {
				os.RemoveAll(d) // left incomplete long ago
			}
			continue
		}
		if _, err := os.Stat(string(src)); errors.Is(err, fs.ErrNotExist) || time.Since(fi.ModTime()) > vendorUnused {
			os.RemoveAll(d)
		}
	}
}

// writeVendorWorkspace writes into directory into the vendored workspace
// that will be at home: the vendor directory, a copy of the run-time
// module if it must require the vendored version of its dependency, the
// go.work (last) and a file naming the user's vendor directory src.
func (m *module) writeVendorWorkspace(ctx context.Context, into, home, src string, data []byte, rt string) error {
	rtMod, err := modfile.Parse("go.mod", runtimeFile("go.mod"), nil)
	if err != nil {
		return err
	}
	goidVersion := rtMod.Require[0].Mod.Version

	base := m.dir // what the user's modules.txt's relative paths are relative to
	if m.work != "" {
		base = filepath.Dir(m.work)
	}
	manifest, skip, haveGoid := vendorManifest(data, goidVersion, func(p string) string { return relocate(home, base, p) })
	if haveGoid != "" && haveGoid != goidVersion {
		// Require the vendored version: goid.Get is all the run-time uses.
		// (In a copy of the run-time module: rt may be shared.)
		if _, err = writeRuntime(filepath.Join(into, "runtime")); err != nil {
			return err
		}
		rt = filepath.Join(home, "runtime")
		rtMod.Require[0].Mod.Version = haveGoid
		rtMod.Require[0].Syntax.Token[len(rtMod.Require[0].Syntax.Token)-1] = haveGoid
		b, err := rtMod.Format()
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(into, "runtime", "go.mod"), b, 0o644); err != nil {
			return err
		}
	}
	dst := filepath.Join(into, "vendor")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	if haveGoid == "" {
		// Not vendored (vendorManifest added it): the module cache has
		// it, or the proxy. Copied, as the module cache may be cleaned.
		dir, err := moduleCacheDir(ctx, goidModule+"@"+goidVersion)
		if err != nil {
			return fmt.Errorf("%w\n\tlockdep's run-time needs it in the vendor directory it builds from; run: go mod download %s@%s", err, goidModule, goidVersion)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := copyFile(filepath.Join(dir, e.Name()), filepath.Join(dst, filepath.FromSlash(goidModule), e.Name())); err != nil {
					return err
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "modules.txt"), manifest, 0o644); err != nil {
		return err
	}
	// Every vendored file, at its place in the new vendor directory.
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "modules.txt" || skip[filepath.ToSlash(filepath.Dir(rel))] {
			return err
		}
		return linkFile(p, filepath.Join(dst, rel))
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(into, "source"), []byte(src), 0o644); err != nil {
		return err
	}
	work, sums, err := m.workFile(home, rt)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(into, "go.work.sum"), sums, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(into, "go.work"), work, 0o644)
}

// vendorManifest returns the modules.txt of lockdep's vendor directory,
// made from the user's (data), and what else setupVendor needs to know:
//
//   - it is a workspace's (the go command reads it in workspace mode);
//   - the packages of lockdep's own module are left out, since the
//     run-time module has them: skip holds their directories, whose
//     vendored files must not be linked;
//   - the run-time module's one dependency is marked explicit, as the
//     run-time module requires it; vendored is its vendored version, or
//     "" if it was not vendored, and then a section for version goid is
//     added;
//   - a relative replacement directory ("=> ../dep") is given as
//     relocate returns it: the user's modules.txt says it relative to the
//     user's module (or workspace), and the go command compares it with
//     the replace directive made relative to lockdep's go.work (see
//     relocate).
//
// It reads and writes nothing.
func vendorManifest(data []byte, goid string, relocate func(dir string) string) (manifest []byte, skip map[string]bool, vendored string) {
	var out strings.Builder
	out.WriteString("## workspace\n")
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) > 0 && strings.HasPrefix(lines[0], "## ") && strings.Contains(lines[0], "workspace") {
		lines = lines[1:]
	}
	skip = map[string]bool{}
	var cur string // module of the current section
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "# ") {
			f := strings.Fields(line)
			cur = ""
			if len(f) >= 3 {
				cur = f[1]
			}
			if arrow := slices.Index(f, "=>"); arrow >= 0 && arrow+1 < len(f) && isLocal(f[arrow+1]) && !filepath.IsAbs(f[arrow+1]) {
				f[arrow+1] = relocate(f[arrow+1])
				line = strings.Join(f, " ")
			}
			out.WriteString(line + "\n")
			if cur == goidModule && len(f) >= 3 && f[2] != "=>" {
				vendored = f[2]
				// The run-time module requires it: it must be explicit.
				if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "## ") {
					i++
					ann := lines[i]
					if !strings.Contains(ann, "explicit") {
						ann = "## explicit; " + strings.TrimPrefix(ann, "## ")
					}
					out.WriteString(ann + "\n")
				} else {
					out.WriteString("## explicit\n")
				}
			}
			continue
		}
		if !strings.HasPrefix(line, "#") && cur == selfModule && line != "" {
			skip[line] = true
			continue
		}
		out.WriteString(line + "\n")
	}
	if vendored == "" {
		fmt.Fprintf(&out, "# %s %s\n## explicit; go 1.17\n%s\n", goidModule, goid, goidModule)
	}
	return []byte(out.String()), skip, vendored
}

// relocate returns the replacement directory dir, relative to base (the
// user's module, or workspace), as the go command sees it from a go.work
// in work: relative to work. In workspace mode, which lockdep's vendored
// builds use, the go command makes a workspace module's relative replace
// directories relative to the go.work's directory before it compares
// them with vendor/modules.txt, and takes those of the go.work itself as
// written; setupWork writes the go.work's relocated too, so that both
// agree with the modules.txt that vendorManifest writes. Like the go
// command, it falls back to an absolute path where no relative one
// exists.
func relocate(work, base, dir string) string {
	abs := absIn(base, dir)
	rel, err := filepath.Rel(work, abs)
	if err != nil {
		return abs
	}
	if modfile.IsDirectoryPath(rel) {
		return rel
	}
	return "./" + filepath.ToSlash(rel)
}

// linkFile makes dst stand for src, without touching src: a symbolic
// link for a Go file, a copy for any other (or where links cannot be
// made). The go command embeds (//go:embed) only regular files, never
// symbolic links, and a vendored package may embed any of its files;
// embedding a Go file is all but unheard of, and Go files are most of
// a vendor directory.
func linkFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if strings.HasSuffix(src, ".go") && os.Symlink(src, dst) == nil {
		return nil
	}
	return copyFile(src, dst)
}

// copyFile copies src to dst.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o644)
}

// buildPath returns where the build reads the user's file p: p itself,
// or its link in lockdep's vendor directory.
func (m *module) buildPath(p string) string {
	if m.vendorSrc != "" {
		if rel, err := filepath.Rel(m.vendorSrc, p); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.Join(m.vendorDst, rel)
		}
	}
	return p
}

// moduleCacheDir returns the directory of module@version in the module
// cache, downloading it if need be.
func moduleCacheDir(ctx context.Context, mv string) (string, error) {
	c := exec.CommandContext(ctx, "go", "mod", "download", "-json", mv)
	c.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	c.Dir = os.TempDir()
	out, _ := c.Output()
	var d struct{ Dir, Error string }
	if err := json.Unmarshal(out, &d); err != nil || d.Dir == "" {
		if d.Error == "" {
			d.Error = "no such module in the module cache"
		}
		return "", fmt.Errorf("%s: %s", mv, d.Error)
	}
	return d.Dir, nil
}
