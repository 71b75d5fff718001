package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/mod/modfile"
)

// selfModule is lockdep's module path.
const selfModule = "github.com/golockdep/lockdep"

// module is the main module of the code under test.
type module struct {
	path  string // module path
	dir   string // root directory
	gomod string
}

var errWorkspace = errors.New(`go.work workspaces are not supported: lockdep builds with a temporary -modfile, which the go command does not allow in workspace mode
	run lockdep with GOWORK=off`)

// findModule asks the go command for the main module of dir.
func findModule(ctx context.Context, dir string) (*module, error) {
	c := exec.CommandContext(ctx, "go", "env", "-json", "GOMOD", "GOWORK")
	c.Dir = dir
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return nil, fmt.Errorf("go env: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	var env struct{ GOMOD, GOWORK string }
	if err := json.Unmarshal(out, &env); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	switch {
	case env.GOWORK != "" && env.GOWORK != "off":
		return nil, errWorkspace
	case env.GOMOD == "" || env.GOMOD == os.DevNull:
		return nil, fmt.Errorf("%s is not in a Go module: run lockdep in a module (a directory with a go.mod file or below one)", dir)
	}
	data, err := os.ReadFile(env.GOMOD)
	if err != nil {
		return nil, err
	}
	path := modfile.ModulePath(data)
	if path == "" {
		return nil, fmt.Errorf("%s: no module path", env.GOMOD)
	}
	return &module{path: path, dir: filepath.Dir(env.GOMOD), gomod: env.GOMOD}, nil
}

// writeModfile writes a copy of the module's go.mod and go.sum into work
// that also requires lockdep, replaced by the source of this very lockdep,
// and returns its path for go's -modfile flag. The user's files are only
// read.
func writeModfile(ctx context.Context, work string, m *module) (string, error) {
	src, err := selfDir(ctx)
	if err != nil {
		return "", err
	}
	data, err := os.ReadFile(m.gomod)
	if err != nil {
		return "", err
	}
	f, err := modfile.Parse(m.gomod, data, nil)
	if err != nil {
		return "", err
	}
	required := false
	for _, r := range f.Require {
		required = required || r.Mod.Path == selfModule
	}
	if !required {
		if err := f.AddRequire(selfModule, "v0.0.0-lockdep"); err != nil {
			return "", err
		}
	}
	if err := f.AddReplace(selfModule, "", src, ""); err != nil {
		return "", err
	}
	data, err = f.Format()
	if err != nil {
		return "", err
	}
	path := filepath.Join(work, "go.mod")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return "", err
	}
	// go.sum beside the modfile: the user's sums plus lockdep's own.
	var sums []byte
	for _, p := range []string{strings.TrimSuffix(m.gomod, ".mod") + ".sum", filepath.Join(src, "go.sum")} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		sums = append(sums, b...)
	}
	return path, os.WriteFile(filepath.Join(work, "go.sum"), sums, 0o644)
}

// selfDir finds the source of the lockdep module this command was built
// from: the checkout it was built in, or its copy in the module cache.
func selfDir(ctx context.Context) (string, error) {
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		dir := filepath.Dir(filepath.Dir(filepath.Dir(file))) // internal/cli/module.go
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte("module "+selfModule+"\n")) {
			return dir, nil
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == selfModule && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		out, err := exec.CommandContext(ctx, "go", "mod", "download", "-json", selfModule+"@"+bi.Main.Version).Output()
		if err == nil {
			var d struct{ Dir string }
			if json.Unmarshal(out, &d) == nil && d.Dir != "" {
				return d.Dir, nil
			}
		}
	}
	return "", errors.New(`cannot find the source of the lockdep module this command was built from
	install lockdep with: go install github.com/golockdep/lockdep/cmd/lockdep@latest`)
}
