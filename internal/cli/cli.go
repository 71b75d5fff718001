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
	"slices"
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
		err = runCommand(ctx, cmd, doc, rest, stdin, stdout, stderr, logger)
	case "graph":
		err = graphCommand(ctx, doc, rest, stdin, stdout, stderr)
	case "merge":
		err = mergeCommand(ctx, doc, rest, stdin, stdout, stderr, logger)
	case toolexecCommand:
		return toolexec(rest, stdin, stdout, stderr) // for the go command: see cover.go
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "lockdep", version())
		return nil
	case "help", "-h", "-help", "--help":
		topic := ""
		if len(rest) > 0 {
			topic = rest[0]
		}
		text, ok := help(doc, topic)
		if !ok || len(rest) > 1 {
			fmt.Fprintf(stderr, "lockdep help %s: unknown help topic; run 'lockdep help'\n", strings.Join(rest, " "))
			return errUsage
		}
		fmt.Fprint(stdout, text)
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

const usageLine = "usage: lockdep test|run|graph|merge|version|help [arguments]; run 'lockdep help' for details\n"

func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// helpSections are, for each help topic, the sections of the manual it
// prints: the command's own (headed "# Test: lockdep test"...), then
// those it shares with others.
var helpSections = map[string][]string{
	"test":  {"# Test", "# Flags", "# Exit codes"},
	"run":   {"# Run", "# Flags", "# Exit codes"},
	"graph": {"# Graph", "# The graph file", "# Exit codes"},
	"merge": {"# Merge", "# The graph file", "# Exit codes"},
}

// help returns the manual, or for a command its sections (helpSections),
// and whether there is such a topic. The manual is the doc comment of
// cmd/lockdep, so usage and documentation never drift.
func help(doc, topic string) (string, bool) {
	doc = strings.TrimSpace(doc)
	doc = strings.TrimPrefix(doc, "/*")
	if i := strings.LastIndex(doc, "*/"); i >= 0 {
		doc = doc[:i]
	}
	doc = strings.TrimSpace(doc) + "\n"
	if topic == "" {
		return doc, true
	}
	headings, ok := helpSections[topic]
	if !ok {
		return "", false
	}
	var b strings.Builder
	in := false
	for _, line := range strings.SplitAfter(doc, "\n") {
		if strings.HasPrefix(line, "# ") {
			in = slices.ContainsFunc(headings, func(h string) bool { return strings.HasPrefix(line, h) })
		}
		if in {
			b.WriteString(line)
		}
	}
	if b.Len() == 0 {
		return doc, true // a manual without sections: all of it
	}
	return b.String(), true
}
