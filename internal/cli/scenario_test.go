package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// TestScenarios runs the scripts of testdata/*.txtar and
// testdata/scenario/*.txtar: each archive whose comment holds a script is
// a module, extracted into a temporary directory, and the script runs the
// command on it, a line at a time:
//
//	lockdep ARGS...   run the command in the module (in process; ARGS are
//	                  split at spaces, '...' quotes); -C is added first
//	                  (for test, run, graph and merge)
//	stdin TEXT        what the next command reads on its standard input
//	env KEY=VALUE     set for the commands that follow
//	exit N            the last command exited N
//	stdout RE         its stdout matches RE (multi-line mode)
//	!stdout RE        its stdout does not match RE
//	stderr RE, !stderr RE   the same for stderr
//	count stdout|stderr N RE   so many lines match RE
//	file NAME RE      the file NAME matches RE; !file NAME: it does not exist
//	golden stdout|stderr NAME   the output is testdata/SCRIPT.NAME.golden
//	                  ($WORK and $DIR in it as such); -update rewrites it
//	want KIND CLASS...   a finding the command printed as JSON (with
//	                  -format=json): its kind and classes, in any order
//	                  ('...' quotes an event's, 'send: p.T.ch');
//	                  after such a command its findings must be exactly
//	                  the wanted ones (none if no want line follows it)
//
// $WORK in a line is a directory for the command's output files, $DIR
// the module's, $ROOT the root of this repository; $ROOT in the module's
// go.mod is that root too, for a module that requires lockdep through a
// replace directive. Lines that start with # are comments; the
// script ends at the first blank line after it starts. After every
// command, the module's files must be as they were: lockdep never writes
// to the user's tree. The scripts run in parallel: the commands that
// follow an env line run as child processes with that environment (see
// runChild), and the module is extracted once and kept between runs (see
// sharedModule).
func TestScenarios(t *testing.T) {
	t.Parallel()
	names, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	more, err := filepath.Glob(filepath.Join("testdata", "scenario", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	names = append(names, more...)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		ar, err := txtar.ParseFile(name)
		if err != nil {
			t.Fatal(err)
		}
		script := scriptOf(ar.Comment)
		if script == nil {
			continue // used by a test of its own
		}
		rel := strings.TrimSuffix(strings.TrimPrefix(filepath.ToSlash(name), "testdata/"), ".txtar")
		t.Run(rel, func(t *testing.T) {
			builds := slices.ContainsFunc(script, func(l scriptLine) bool {
				return strings.HasPrefix(l.text, "lockdep test") || strings.HasPrefix(l.text, "lockdep run")
			})
			if testing.Short() && builds {
				t.Skip("builds and runs a module")
			}
			t.Parallel()
			dir := sharedModule(t, rel, "$ROOT", root)
			unchanged := watchTree(t, dir)
			work := t.TempDir()
			expand := func(s string) string {
				return strings.NewReplacer("$WORK", work, "$ROOT", root, "$DIR", dir).Replace(s)
			}
			var last result
			var stdin string
			var env []string // set by env lines
			ran := false
			// The findings the last command printed as JSON, and those
			// wanted, if it printed JSON.
			var jsonOut bool
			var wants []string
			checkWants := func() {
				t.Helper()
				if !jsonOut {
					return
				}
				got := []string{}
				for _, r := range jsonFindings(t, jsonLines(last.stdout+last.stderr)) {
					got = append(got, sortedSummary(r.Kind.String(), r.Classes()))
				}
				slices.Sort(got)
				slices.Sort(wants)
				if diff := cmp.Diff(wants, got); diff != "" {
					t.Errorf("findings (-want +got):\n%s", diff)
				}
			}
			for _, sl := range script {
				line := expand(sl.text)
				verb, arg, _ := strings.Cut(line, " ")
				fail := func(format string, args ...any) {
					t.Helper()
					t.Errorf("line %d: %s: "+format+"\nstdout:\n%s\nstderr:\n%s", append([]any{sl.n, sl.text}, append(args, last.stdout, last.stderr)...)...)
				}
				switch verb {
				case "lockdep":
					checkWants()
					args := splitArgs(arg)
					if env == nil {
						last = runIn(t, dir, stdin, args...)
					} else {
						last = runChild(t, dir, stdin, env, args...)
					}
					stdin, ran = "", true
					jsonOut, wants = slices.Contains(args, "-format=json"), []string{}
					unchanged()
				case "want":
					f := splitArgs(arg)
					wants = append(wants, sortedSummary(f[0], f[1:]))
				case "stdin":
					stdin = unquote(arg) + "\n"
				case "env":
					k, v, _ := strings.Cut(arg, "=")
					env = append(env, k+"="+v)
				case "exit":
					if want, _ := strconv.Atoi(arg); last.code != want {
						fail("exit %d, want %d", last.code, want)
					}
				case "stdout", "!stdout", "stderr", "!stderr":
					out := last.stdout
					if strings.HasSuffix(verb, "stderr") {
						out = last.stderr
					}
					re := regexp.MustCompile("(?m)" + unquote(arg))
					if re.MatchString(out) == strings.HasPrefix(verb, "!") {
						fail("%s %s %q", strings.TrimPrefix(verb, "!"), map[bool]string{true: "matches", false: "does not match"}[strings.HasPrefix(verb, "!")], re)
					}
				case "count":
					f := strings.SplitN(arg, " ", 3)
					out := last.stdout
					if f[0] == "stderr" {
						out = last.stderr
					}
					want, _ := strconv.Atoi(f[1])
					if got := len(regexp.MustCompile("(?m)"+unquote(f[2])).FindAllString(out, -1)); got != want {
						fail("%d lines of %s match %q, want %d", got, f[0], f[2], want)
					}
				case "golden":
					stream, name, _ := strings.Cut(arg, " ")
					out := last.stdout
					if stream == "stderr" {
						out = last.stderr
					}
					out = strings.NewReplacer(work, "$WORK", dir, "$DIR").Replace(out)
					path := filepath.Join("testdata", rel+"."+name+".golden")
					if diff := golden(t, path, out); diff != "" {
						fail("%s differs from %s (-want +got):\n%s", stream, path, diff)
					}
				case "file", "!file":
					p, re, _ := strings.Cut(arg, " ")
					b, err := os.ReadFile(p)
					switch {
					case verb == "!file" && err == nil:
						fail("%s exists", p)
					case verb == "file" && err != nil:
						fail("%v", err)
					case verb == "file" && !regexp.MustCompile("(?m)"+unquote(re)).Match(b):
						fail("%s does not match %q:\n%s", p, re, b)
					}
				default:
					t.Fatalf("line %d: unknown verb %q", sl.n, verb)
				}
			}
			if !ran {
				t.Fatal("the script runs no command")
			}
			checkWants()
		})
	}
}

// sortedSummary is a finding's kind and its classes, sorted: the same
// whichever dependency closed a cycle.
func sortedSummary(kind string, classes []string) string {
	cs := slices.Clone(classes)
	slices.Sort(cs)
	return strings.Join(append([]string{kind}, cs...), " ")
}

// jsonLines returns the lines of out that are JSON objects.
func jsonLines(out string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(out, "\n") {
		if strings.HasPrefix(l, "{") {
			b.WriteString(l)
		}
	}
	return b.String()
}

type scriptLine struct {
	n    int
	text string
}

// scriptOf returns the script in a txtar comment: the lines from the
// first that starts with "lockdep " or "env " to the next blank one.
func scriptOf(comment []byte) []scriptLine {
	var lines []scriptLine
	for i, l := range strings.Split(string(comment), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case lines == nil && !strings.HasPrefix(l, "lockdep ") && !strings.HasPrefix(l, "env "):
			continue
		case l == "":
			return lines
		case strings.HasPrefix(l, "#"):
			continue
		}
		lines = append(lines, scriptLine{i + 1, l})
	}
	return lines
}

// splitArgs splits at spaces, keeping what is inside '...' together.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	in, have := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			in, have = !in, true
		case r == ' ' && !in:
			if have {
				args = append(args, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		args = append(args, cur.String())
	}
	return args
}

// unquote removes the quotes around '...'.
func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return s[1 : len(s)-1]
	}
	return s
}

// testDoc is a manual with the sections help prints.
const testDoc = `/*
Lockdep runs tests.

# Test: lockdep test

Runs go test.

# Run: lockdep run

Runs go run.

# Graph: lockdep graph

Renders graph files.

# Merge: lockdep merge

Merges graph files.

# The graph file

Its format.

# Exit codes

0 1 2 3
*/
package main
`
