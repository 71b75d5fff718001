// Package cli implements the lockdep command: its subcommands, flags,
// exit codes and output. Main is called by cmd/lockdep and by tests, in
// process.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"runtime/debug"
	"strings"
)

// exitError carries an exit status other than 2.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ExitCode returns the process exit status for the error.
func (e *exitError) ExitCode() int { return e.code }

// Exit statuses; see the command documentation.
const (
	exitTestsFailed = 1
	exitUsage       = 2
	exitFindings    = 3
)

// errUsage is a usage error already explained on stderr.
var errUsage = &exitError{code: exitUsage}

// Main runs the command with args (without the program name). doc is the
// command's manual, printed for help. It returns nil for exit status 0,
// an error with an ExitCode method for others, or another error (status 2)
// that it has already logged.
func Main(ctx context.Context, doc string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	logger := log.New(stderr, "lockdep: ", 0)
	if len(args) == 0 {
		fmt.Fprint(stderr, usageLine)
		return errUsage
	}
	var err error
	switch cmd, rest := args[0], args[1:]; cmd {
	case "test", "run":
		err = runCommand(ctx, cmd, doc, rest, stdout, stderr, logger)
	case "version":
		fmt.Fprintln(stdout, "lockdep", version())
		return nil
	case "help", "-h", "-help", "--help":
		topic := ""
		if len(rest) > 0 {
			topic = rest[0]
		}
		fmt.Fprint(stdout, help(doc, topic))
		return nil
	default:
		fmt.Fprintf(stderr, "lockdep: unknown command %q\n%s", cmd, usageLine)
		return errUsage
	}
	var ee *exitError
	if err != nil && (!errors.As(err, &ee) || ee.err != nil) {
		logger.Print(err) // such as "interrupted" or "build failed"
	}
	return err
}

const usageLine = "usage: lockdep test|run|version|help [arguments]; run 'lockdep help' for details\n"

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// help returns the manual, or for "test" and "run" the manual with the
// other subcommand's examples left in: the manual is short enough to read
// whole, and it is one text, so usage and documentation never drift.
func help(doc, topic string) string {
	doc = strings.TrimSpace(doc)
	doc = strings.TrimPrefix(doc, "/*")
	if i := strings.LastIndex(doc, "*/"); i >= 0 {
		doc = doc[:i]
	}
	return strings.TrimSpace(doc) + "\n"
}
