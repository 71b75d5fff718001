package cli

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/testmod"
	"golang.org/x/tools/txtar"
)

// TestRuntimeArchive fails when runtime.txtar is not what mkruntime.go
// makes of the current sources: run go generate ./internal/cli.
func TestRuntimeArchive(t *testing.T) {
	if testing.Short() {
		t.Skip("runs mkruntime.go")
	}
	t.Parallel()
	out, err := exec.Command("go", "run", "mkruntime.go", "-o", "-").Output()
	if err != nil {
		t.Fatalf("go run mkruntime.go: %v", err)
	}
	if !bytes.Equal(out, runtimeArchive) {
		t.Fatal("runtime.txtar is stale: run go generate ./internal/cli")
	}
}

// TestRuntimeModule builds and vets the run-time module as the command
// writes it, at its own go line (1.18): language features newer than
// that (range over an int, the min, max and clear builtins...) fail the
// build, and vet's loopclosure check applies, since at that version a
// closure shares its loop's variables. TestRuntimeLoopVars checks every
// use of a loop variable that can tell 1.18 from 1.22.
func TestRuntimeModule(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the run-time module")
	}
	t.Parallel()
	// (Written as the command writes it, and kept between runs.)
	dir := testmod.Dir(t, "runtime", txtar.Parse(runtimeArchive).Files)
	gomod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(gomod, []byte("\ngo 1.18\n")) {
		t.Fatalf("go.mod of the run-time module:\n%s\nwant go 1.18", gomod)
	}
	for _, args := range [][]string{
		{"build", "./..."},
		{"vet", "./..."},
		{"vet", "-loopclosure", "./..."},
		// Every platform's files compile.
		{"build", "./internal/stack"},
	} {
		c := exec.Command("go", args...)
		c.Dir = dir
		c.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if len(args) == 2 && args[1] == "./internal/stack" {
			c.Env = append(c.Env, "GOARCH=arm64")
		}
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("go %s in the run-time module: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The packages that rewritten code imports, and every public package.
	for _, p := range []string{"lockdepimpl/lockdepimpl.go", "lockdeptest/lockdeptest.go", "lockdephttp/lockdephttp.go", "mutex.go"} {
		if runtimeFile(p) == nil {
			t.Errorf("the run-time module lacks %s", p)
		}
	}
}
