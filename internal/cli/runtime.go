package cli

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/tools/txtar"
)

//go:generate go run mkruntime.go

// runtimeArchive is the source of the run-time support that rewritten
// code imports (lockdepimpl and what it needs), as a module of its own
// whose go line (1.18) is below 1.21, so that requiring it never raises
// the go line of the module under test: that keeps the module's language
// version (loop variables, for one) and GODEBUG defaults as go test and go
// run have them. The command writes it into its temporary directory and
// replaces github.com/golockdep/lockdep with it, so it needs no lockdep
// source on disk (a go install or -trimpath build works).
//
//go:embed runtime.txtar
var runtimeArchive []byte

// runtimeDir returns a directory holding the run-time module: one in the
// user's cache directory named after the archive's hash, written once
// and shared by every run (the go command's build cache keys compiled
// packages by their directory, so a fresh directory per run would
// compile the run-time packages every time), or else a new one in work.
func runtimeDir(work string) (string, error) {
	sum := sha256.Sum256(runtimeArchive)
	cache, err := os.UserCacheDir()
	if err == nil {
		dir := filepath.Join(cache, "lockdep", "runtime-"+hex.EncodeToString(sum[:8]))
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		// Written aside, then renamed: a concurrent run sees all or nothing.
		if err := os.MkdirAll(filepath.Dir(dir), 0o755); err == nil {
			if tmp, err := os.MkdirTemp(filepath.Dir(dir), "tmp-"); err == nil {
				if _, err := writeRuntime(tmp); err == nil && os.Rename(tmp, dir) == nil {
					return dir, nil
				}
				os.RemoveAll(tmp)
				if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
					return dir, nil // another run's
				}
			}
		}
	}
	return writeRuntime(filepath.Join(work, "runtime"))
}

// writeRuntime writes the run-time module into dir and returns dir.
func writeRuntime(dir string) (string, error) {
	ar := txtar.Parse(runtimeArchive)
	for _, f := range ar.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			return "", fmt.Errorf("writing the run-time module: %w", err)
		}
	}
	return dir, nil
}

// runtimeFile returns the content of a file of the run-time module.
func runtimeFile(name string) []byte {
	for _, f := range txtar.Parse(runtimeArchive).Files {
		if f.Name == name {
			return f.Data
		}
	}
	return nil
}
