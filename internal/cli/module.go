package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	goversion "go/version"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/mod/modfile"
)

// selfModule is lockdep's module path.
const selfModule = "github.com/golockdep/lockdep"

// minGo is the oldest go command lockdep works with: the run-time module
// is written in Go 1.18 but uses sync.OnceValue, new in Go 1.21, and the
// command relies on the go command's -overlay and -modfile flags and its
// workspace and vendor formats of that release.
const minGo = "go1.21"

// module describes the code under test: its main module, or its
// workspace, as the go command sees it from the directory lockdep runs in.
type module struct {
	path    string        // main module path
	dir     string        // main module root
	modfile string        // the go.mod file in use: go.mod or the user's -modfile
	file    *modfile.File // its content; nil in a workspace outside its modules
	// userModfile says the user chose modfile with -modfile (or GOFLAGS).
	userModfile bool
	// goflags is GOFLAGS without -modfile, for go/packages: it runs some
	// go commands with modules off, where -modfile is an error (it gets
	// the file as a build flag instead).
	goflags string
	work    string   // the go.work file, in workspace mode
	roots   []string // the roots of the main modules (of the workspace)
	vendor  bool     // the build uses the vendor directory
	repo    string   // the repository root: SARIF's %SRCROOT%

	// In vendor mode, after setup: the user's vendor directory and the one
	// lockdep builds from, which links to its files.
	vendorSrc, vendorDst string

	// The go command's GOMODCACHE and GOROOT, where frames of
	// dependencies and of the standard library are (see goPaths).
	paths            sync.Once
	modcache, goroot string
}

// goPaths returns the go command's GOMODCACHE and GOROOT: those
// findModule read, else asked for now (lockdep merge), once; empty if
// the go command cannot say.
func (m *module) goPaths() (modcache, goroot string) {
	m.paths.Do(func() {
		if m.modcache != "" || m.goroot != "" {
			return
		}
		out, err := exec.Command("go", "env", "-json", "GOMODCACHE", "GOROOT").Output()
		var env struct{ GOMODCACHE, GOROOT string }
		if err == nil && json.Unmarshal(out, &env) == nil {
			m.modcache, m.goroot = env.GOMODCACHE, env.GOROOT
		}
	})
	return m.modcache, m.goroot
}

// findModule asks the go command about dir: the go version, the main
// module, the workspace. fl is the command line, for -modfile and -mod.
func findModule(ctx context.Context, dir string, o *options) (*module, error) {
	c := exec.CommandContext(ctx, "go", "env", "-json", "GOMOD", "GOWORK", "GOVERSION", "GOFLAGS", "GOMODCACHE", "GOROOT")
	c.Dir = dir
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var env struct{ GOMOD, GOWORK, GOVERSION, GOFLAGS, GOMODCACHE, GOROOT string }
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	if err := checkGoVersion(env.GOVERSION); err != nil {
		return nil, err
	}
	inWork := env.GOWORK != "" && env.GOWORK != "off"
	if (env.GOMOD == "" || env.GOMOD == os.DevNull) && !inWork {
		return nil, fmt.Errorf("%s is not in a Go module: run lockdep in a module (a directory with a go.mod file or below one)", dir)
	}
	// Flags on the command line win over GOFLAGS, as for the go command.
	gf := parseGOFLAGS(env.GOFLAGS)
	modFlag, modfileFlag := or(o.mod, gf["mod"]), or(o.modfile, gf["modfile"])
	m := &module{dir: filepath.Dir(env.GOMOD), modfile: env.GOMOD, modcache: env.GOMODCACHE, goroot: env.GOROOT}
	if inWork {
		m.work = env.GOWORK
		if modfileFlag != "" {
			return nil, errors.New("-modfile cannot be used in workspace mode, by lockdep as by go: set GOWORK=off to use it")
		}
		if env.GOMOD == "" || env.GOMOD == os.DevNull {
			// In the workspace, outside its modules.
			m.dir, m.modfile = filepath.Dir(m.work), ""
		}
	} else if modfileFlag != "" {
		m.modfile, m.userModfile = absIn(dir, modfileFlag), true
	}
	var fields []string
	for _, f := range strings.Fields(env.GOFLAGS) {
		if name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "="); name != "modfile" {
			fields = append(fields, f)
		}
	}
	m.goflags = strings.Join(fields, " ")
	if m.modfile != "" {
		data, err := os.ReadFile(m.modfile)
		if err != nil {
			return nil, err
		}
		if m.file, err = modfile.Parse(m.modfile, data, nil); err != nil {
			return nil, err
		}
		if m.path = modfile.ModulePath(data); m.path == "" {
			return nil, fmt.Errorf("%s: no module path", m.modfile)
		}
	}
	goLine := "1.16" // the go command's default for a go.mod without one
	if m.file != nil && m.file.Go != nil {
		goLine = m.file.Go.Version
	}
	m.roots = []string{m.dir}
	vendorDir := filepath.Join(m.dir, "vendor")
	if m.work != "" {
		w, err := readWork(m.work)
		if err != nil {
			return nil, err
		}
		m.roots = nil
		for _, u := range w.Use {
			m.roots = append(m.roots, absIn(filepath.Dir(m.work), u.Path))
		}
		if w.Go != nil {
			goLine = w.Go.Version
		}
		vendorDir = filepath.Join(filepath.Dir(m.work), "vendor")
	}
	// Vendoring as the go command decides it: -mod=vendor, or by default
	// from go 1.14 on when there is a vendor directory made in this mode.
	switch modFlag {
	case "vendor":
		m.vendor = true
	case "":
		if fi, err := os.Stat(vendorDir); err == nil && fi.IsDir() && goversion.Compare("go"+goLine, "go1.14") >= 0 {
			m.vendor = vendoredWorkspace(vendorDir) == (m.work != "")
		}
	}
	m.repo = repoRoot(m.dir)
	if m.work != "" {
		m.repo = repoRoot(filepath.Dir(m.work))
	}
	return m, nil
}

// checkGoVersion checks the version of the go command on PATH.
func checkGoVersion(v string) error {
	if goversion.IsValid(v) && goversion.Compare(v, minGo) < 0 {
		return fmt.Errorf("the go command on PATH is %s; lockdep needs %s or later: install a newer Go (https://go.dev/dl/)", v, minGo)
	}
	return nil
}

// parseGOFLAGS returns the -name=value settings of GOFLAGS.
func parseGOFLAGS(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		name, value, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		m[name] = value
	}
	return m
}

func readWork(path string) (*modfile.WorkFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return modfile.ParseWork(path, data, nil)
}

// absIn returns path, made absolute against dir if it is relative.
func absIn(dir, path string) string {
	if filepath.IsAbs(path) {
		return filepath.Clean(path)
	}
	return filepath.Join(dir, path)
}

// trees returns the directories whose files a rewrite depends on besides
// the module cache and GOROOT (instrument.Config.Trees): the main modules,
// the workspace's directory, and the directories their go.mod and go.work
// files replace modules with. With a -modfile of the user's, none: the
// rewrite is not kept.
func (m *module) trees() []string {
	if m.userModfile {
		return nil
	}
	var dirs []string
	add := func(dir string) {
		if !slices.Contains(dirs, dir) {
			dirs = append(dirs, dir)
		}
	}
	for _, r := range m.roots {
		add(r)
		data, err := os.ReadFile(filepath.Join(r, "go.mod"))
		if err != nil {
			return nil
		}
		f, err := modfile.ParseLax(filepath.Join(r, "go.mod"), data, nil)
		if err != nil {
			return nil
		}
		for _, rep := range f.Replace {
			if isLocal(rep.New.Path) {
				add(absIn(r, rep.New.Path))
			}
		}
	}
	if m.work != "" {
		w, err := readWork(m.work)
		if err != nil {
			return nil
		}
		add(filepath.Dir(m.work))
		for _, rep := range w.Replace {
			if isLocal(rep.New.Path) {
				add(absIn(filepath.Dir(m.work), rep.New.Path))
			}
		}
	}
	return dirs
}

// isLocal reports whether a replacement path is a directory, not a module
// path: the go command's rule.
func isLocal(path string) bool {
	return filepath.IsAbs(path) || strings.HasPrefix(path, "./") || strings.HasPrefix(path, "../") ||
		path == "." || path == ".." || strings.HasPrefix(path, `.\`) || strings.HasPrefix(path, `..\`)
}

// vendoredWorkspace reports whether the vendor directory's modules.txt
// was made by go work vendor.
func vendoredWorkspace(vendorDir string) bool {
	data, _ := os.ReadFile(filepath.Join(vendorDir, "modules.txt"))
	line, _, _ := strings.Cut(string(data), "\n")
	if ann, ok := strings.CutPrefix(line, "## "); ok {
		for _, e := range strings.Split(ann, ";") {
			if strings.TrimSpace(e) == "workspace" {
				return true
			}
		}
	}
	return false
}

// repoRoot returns the root of the version-control checkout holding dir,
// or dir if there is none.
func repoRoot(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		for _, vcs := range []string{".git", ".hg", ".svn", ".bzr", ".fslckout", "_FOSSIL_"} {
			if _, err := os.Stat(filepath.Join(d, vcs)); err == nil {
				return d
			}
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// setup makes the run-time module available to the build, without
// touching the user's files: it writes the run-time module into work, and
// a copy of the module's go.mod (for -modfile) or of its go.work (for
// GOWORK) that points github.com/golockdep/lockdep at it. It returns the
// flags and environment to give the go command.
func (m *module) setup(ctx context.Context, work string) (flags, env []string, err error) {
	if m.path == selfModule && m.work == "" {
		return nil, nil, nil // lockdep's own tree tests its examples
	}
	rt, err := runtimeDir(work)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case m.vendor:
		return m.setupVendor(ctx, work, rt)
	case m.work != "":
		return m.setupWork(work, rt)
	}
	f := m.file
	required := false
	for _, r := range f.Require {
		required = required || r.Mod.Path == selfModule
	}
	if !required {
		if err := f.AddRequire(selfModule, "v0.0.0-lockdep"); err != nil {
			return nil, nil, err
		}
	}
	if err := f.AddReplace(selfModule, "", rt, ""); err != nil {
		return nil, nil, err
	}
	data, err := f.Format()
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(work, "go.mod")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, nil, err
	}
	// go.sum beside the modfile: the user's sums plus the run-time's.
	sums, err := readSums(strings.TrimSuffix(m.modfile, ".mod") + ".sum")
	if err != nil {
		return nil, nil, err
	}
	sums = append(sums, runtimeFile("go.sum")...)
	if err := os.WriteFile(filepath.Join(work, "go.sum"), sums, 0o644); err != nil {
		return nil, nil, err
	}
	// -mod=mod: the go command may complete the copy (an indirect
	// requirement of the run-time module), never the user's file.
	return []string{"-modfile=" + path, "-mod=mod"}, nil, nil
}

func readSums(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		b = append(b, '\n')
	}
	return b, nil
}

// setupWork writes a go.work (see workFile) into work, and returns the
// environment that selects it.
func (m *module) setupWork(work, rt string) (flags, env []string, err error) {
	data, sums, err := m.workFile(work, rt)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(work, "go.work")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(path+".sum", sums, 0o644); err != nil {
		return nil, nil, err
	}
	return nil, []string{"GOWORK=" + path}, nil
}

// workFile returns a go.work for directory dir, and its go.work.sum: it
// uses the workspace's modules (or the main module) and the run-time
// module rt, with the workspace's (or the module's) go line, toolchain
// and godebug settings, so that GODEBUG defaults stay as they are. The
// run-time module's go line is below any go.work's.
func (m *module) workFile(dir, rt string) (data, sums []byte, err error) {
	w := new(modfile.WorkFile)
	w.Syntax = new(modfile.FileSyntax)
	if m.work != "" {
		if w, err = readWork(m.work); err != nil {
			return nil, nil, err
		}
		base := filepath.Dir(m.work)
		var uses []*modfile.Use
		for _, u := range w.Use {
			uses = append(uses, &modfile.Use{Path: absIn(base, u.Path), ModulePath: u.ModulePath})
		}
		w.SetUse(uses)
		// Relative replace directories, relative to the user's go.work,
		// become relative to this one (see relocate).
		for _, r := range w.Replace {
			if isLocal(r.New.Path) && !filepath.IsAbs(r.New.Path) {
				if err := w.AddReplace(r.Old.Path, r.Old.Version, relocate(dir, base, r.New.Path), ""); err != nil {
					return nil, nil, err
				}
			}
		}
		if sums, err = readSums(m.work + ".sum"); err != nil {
			return nil, nil, err
		}
	} else {
		f := m.file
		goLine := "1.18" // the oldest go.work's
		if f.Go != nil && goversion.Compare("go"+f.Go.Version, "go"+goLine) > 0 {
			goLine = f.Go.Version
		}
		if err := w.AddGoStmt(goLine); err != nil {
			return nil, nil, err
		}
		if f.Toolchain != nil {
			if err := w.AddToolchainStmt(f.Toolchain.Name); err != nil {
				return nil, nil, err
			}
		}
		for _, g := range f.Godebug {
			if err := w.AddGodebug(g.Key, g.Value); err != nil {
				return nil, nil, err
			}
		}
		w.AddNewUse(m.dir, "")
	}
	w.AddNewUse(rt, "")
	return modfile.Format(w.Syntax), sums, nil
}

// or returns a, or b if a is empty.
func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
