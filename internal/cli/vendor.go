package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/mod/modfile"
)

// Vendoring. With a vendor directory the go command reads every
// dependency from it and checks vendor/modules.txt against the go.mod
// files; it reads modules.txt from disk, past -overlay, so a module it did
// not vendor (the run-time module) cannot be added there. lockdep builds
// in workspace mode instead (GOWORK names a go.work in its temporary
// directory, whose vendor directory is then the one used): the main module
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

// setupVendor prepares the workspace described above.
func (m *module) setupVendor(ctx context.Context, work, rt string) (flags, env []string, err error) {
	src := m.vendorDir()
	data, err := os.ReadFile(filepath.Join(src, "modules.txt"))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the vendor directory: %w", err)
	}
	rtMod, err := modfile.Parse("go.mod", runtimeFile("go.mod"), nil)
	if err != nil {
		return nil, nil, err
	}
	goidVersion := rtMod.Require[0].Mod.Version

	base := m.dir // what the user's modules.txt's relative paths are relative to
	if m.work != "" {
		base = filepath.Dir(m.work)
	}
	manifest, skip, haveGoid := vendorManifest(data, goidVersion, func(p string) string { return relocate(work, base, p) })
	if haveGoid != "" && haveGoid != goidVersion {
		// Require the vendored version: goid.Get is all the run-time uses.
		// (In a copy of the run-time module: rt may be shared.)
		if rt, err = writeRuntime(filepath.Join(work, "runtime")); err != nil {
			return nil, nil, err
		}
		rtMod.Require[0].Mod.Version = haveGoid
		rtMod.Require[0].Syntax.Token[len(rtMod.Require[0].Syntax.Token)-1] = haveGoid
		b, err := rtMod.Format()
		if err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(filepath.Join(rt, "go.mod"), b, 0o644); err != nil {
			return nil, nil, err
		}
	}
	dst := filepath.Join(work, "vendor")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return nil, nil, err
	}
	if haveGoid == "" {
		// Not vendored (vendorManifest added it): the module cache has
		// it, or the proxy.
		dir, err := moduleCacheDir(ctx, goidModule+"@"+goidVersion)
		if err != nil {
			return nil, nil, fmt.Errorf("%w\n\tlockdep's run-time needs it in the vendor directory it builds from; run: go mod download %s@%s", err, goidModule, goidVersion)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				if err := linkFile(filepath.Join(dir, e.Name()), filepath.Join(dst, filepath.FromSlash(goidModule), e.Name())); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dst, "modules.txt"), manifest, 0o644); err != nil {
		return nil, nil, err
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
		return nil, nil, err
	}
	m.vendorSrc, m.vendorDst = src, dst
	_, env, err = m.setupWork(work, rt)
	return []string{"-mod=vendor"}, env, err
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
