package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/testmod"
	"golang.org/x/tools/txtar"
)

// How the tests run the command, and on which modules, so that they can
// run side by side and reuse what the go command built in earlier runs.
//
// The command runs in process (runIn), or, when a test gives it an
// environment of its own, as a child process: this test binary, which
// TestMain turns into the command (runChild). The tests that run the
// command leave the test process's environment alone, so that they can
// all run in parallel.
//
// A module that the tests only read is extracted once into a directory
// named after its content and kept between runs (sharedModule): the go
// command's build cache keys compiled packages by their directory, and
// lockdep's cache of vendored workspaces by the vendor directory's path
// and file times, so a fresh directory per run would compile every
// package of the module, and in vendor mode the run-time packages, again
// each time.

// asCommandEnv, set to 1 in its environment, makes the test binary run
// the command (see TestMain).
const asCommandEnv = "LOCKDEP_TEST_RUN_COMMAND"

// exitCode is the exit status of the command for the error Main returned.
func exitCode(err error) int {
	var ec interface{ ExitCode() int }
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return ec.ExitCode()
	}
	return 2
}

// commandArgs returns args with -C dir added for the subcommands that
// take it.
func commandArgs(dir string, args []string) []string {
	if len(args) > 0 && slices.Contains([]string{"test", "run", "graph", "merge"}, args[0]) {
		return append([]string{args[0], "-C", dir}, args[1:]...)
	}
	return args
}

// runIn runs the command in process in dir, with stdin.
func runIn(t *testing.T, dir, stdin string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Main(context.Background(), testDoc, commandArgs(dir, args), strings.NewReader(stdin), &stdout, &stderr)
	return result{exitCode(err), stdout.String(), stderr.String()}
}

// runChild runs the command as runIn does, but in a child process whose
// environment is this one's plus env (KEY=VALUE, later ones winning).
func runChild(t *testing.T, dir, stdin string, env []string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	c := exec.Command(os.Args[0], commandArgs(dir, args)...)
	c.Env = append(append(os.Environ(), asCommandEnv+"=1"), env...)
	c.Stdin = strings.NewReader(stdin)
	c.Stdout, c.Stderr = &stdout, &stderr
	err := c.Run()
	var ee *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("running the command as a child process: %v", err)
	}
	return result{code, stdout.String(), stderr.String()}
}

// runAsCommand runs the command as the child process of runChild, and
// returns its exit status.
func runAsCommand() int {
	os.Unsetenv(asCommandEnv) // not for the processes it starts
	return exitCode(Main(context.Background(), testDoc, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// sharedModule returns a directory holding the module of
// testdata/name.txtar, with the replacements of edits made in its go.mod
// (see strings.NewReplacer), for tests that never write to it: the same
// directory in every run (see testmod.Dir).
func sharedModule(t *testing.T, name string, edits ...string) string {
	t.Helper()
	ar, err := txtar.ParseFile(filepath.Join("testdata", name+".txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range ar.Files {
		if f.Name == "go.mod" {
			ar.Files[i].Data = []byte(strings.NewReplacer(edits...).Replace(string(f.Data)))
		}
	}
	return testmod.Dir(t, name, ar.Files)
}
