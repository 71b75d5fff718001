package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/golockdep/lockdep/internal/instrument"
	"golang.org/x/mod/modfile"
)

// Coverage. With -cover (or -covermode, -coverpkg, -coverprofile, in
// GOFLAGS too), go test has the cover tool rewrite each covered package's
// files to count the statements that run, and compiles its output. The
// tool reads the files from disk, past -overlay: it would count the
// user's files and leave lockdep's rewrite out, and validate nothing. So
// lockdep runs the go command with -toolexec naming itself (the hidden
// command toolexecCommand), and runs each tool as asked, through the
// user's own -toolexec if there is one, except that it gives the cover
// tool the rewritten files the overlay names, as the instrument package
// prepared them for it (instrument.CoverSource), under their own base
// names; then it names the user's file again in the //line directive that
// starts each output, and puts back the code the rewrite added
// (instrument.CoveredSource). The profile names the user's files, lines
// and columns, and counts the user's statements, as go test's does.
//
// The packages of lockdep's run-time module are not the user's: a
// -coverpkg that matches them (all) must not count them. lockdep has the
// tool instrument empty files of the same package names in their place,
// and compiles the package's own files with the (empty) coverage data the
// tool made for them.
//
// A package of .go files named on the command line is the exception: the
// tool records their full paths, which would be lockdep's copies, so
// lockdep refuses that combination (errCoverFiles).

// toolexecCommand is the command the go command runs lockdep as, through
// -toolexec: lockdep toolexecCommand CONFIG USER-TOOLEXEC TOOL ARGS...,
// where CONFIG is a coverConfig file.
const toolexecCommand = "cover-toolexec"

// coverConfig is the toolexecCommand's configuration, a JSON file.
type coverConfig struct {
	Overlay string   // the build's -overlay file
	Skip    []string // module paths whose packages are not covered
}

// skip reports whether the package at path is not to be covered.
func (c *coverConfig) skip(path string) bool {
	for _, m := range c.Skip {
		if path == m || strings.HasPrefix(path, m+"/") {
			return true
		}
	}
	return false
}

// writeCoverConfig writes the toolexecCommand's configuration under work
// and returns its path: the packages not to cover are those of the
// run-time module (and of its dependency, unless the user's module needs
// it too).
func (m *module) writeCoverConfig(work, overlay string) (string, error) {
	c := coverConfig{Overlay: overlay}
	if m.path != selfModule || m.work != "" { // (lockdep's own tree covers itself)
		c.Skip = []string{selfModule, goidModule}
		if m.file != nil && slices.ContainsFunc(m.file.Require, func(r *modfile.Require) bool { return r.Mod.Path == goidModule }) {
			c.Skip = c.Skip[:1]
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	path := filepath.Join(work, "cover.json")
	return path, os.WriteFile(path, b, 0o644)
}

// coverToolID marks the cover tool's version as lockdep runs it, so that
// the build cache keeps what it built apart from what the tool builds on
// its own from the same inputs.
const coverToolID = "lockdep-cover.1"

// errCoverFiles explains why named files cannot be covered.
var errCoverFiles = errors.New("coverage of .go files named on the command line cannot be validated: the cover tool records the full path of each file it reads, which would be lockdep's rewritten copy; name their package instead (./dir rather than ./dir/x.go)")

// coverFlagNames are the go command's flags that turn coverage on.
var coverFlagNames = []string{"cover", "covermode", "coverpkg", "coverprofile"}

// isCoverFlag reports whether a -name or -name=value flag turns coverage
// on.
func isCoverFlag(f string) bool {
	name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
	return slices.Contains(coverFlagNames, strings.TrimPrefix(name, "test."))
}

// coverage reports whether the go command will instrument coverage: a
// coverage flag on the command line or in GOFLAGS (goflags).
func (o *options) coverage(goflags string) bool {
	return slices.ContainsFunc(o.goFlags, isCoverFlag) || slices.ContainsFunc(strings.Fields(goflags), isCoverFlag)
}

// withoutCoverFlags returns GOFLAGS without its coverage flags, for
// go/packages: with them, go list gives the cover tool's output as the
// files to compile.
func withoutCoverFlags(goflags string) string {
	return strings.Join(slices.DeleteFunc(strings.Fields(goflags), isCoverFlag), " ")
}

// toolexecFlag returns the -toolexec flag that runs the go command's
// tools through lockdep, with config its coverConfig file; it takes the
// user's -toolexec out of goFlags (GOFLAGS's, goflags, is overridden by
// the command line's) to run the tools through it.
func (o *options) toolexecFlag(config, goflags string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("coverage needs lockdep's own path, to run the cover tool through it: %w", err)
	}
	user := parseGOFLAGS(goflags)["toolexec"]
	o.goFlags = slices.DeleteFunc(o.goFlags, func(f string) bool {
		name, value, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		if name == "toolexec" {
			user = value
			return true
		}
		return false
	})
	v, err := joinQuoted([]string{exe, toolexecCommand, config, user})
	if err != nil {
		return "", fmt.Errorf("-toolexec: %w", err)
	}
	return "-toolexec=" + v, nil
}

// toolexec runs a tool for the go command (see above): args are the
// coverConfig file, the user's -toolexec, the tool and its arguments.
func toolexec(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 3 {
		return usageError(stderr, toolexecCommand, "want CONFIG TOOLEXEC TOOL ARGS...: the go command runs it with -toolexec")
	}
	config, tool, toolArgs := args[0], args[2], args[3:]
	prefix, err := splitQuoted(args[1])
	if err != nil {
		return fmt.Errorf("-toolexec %s: %w", args[1], err)
	}
	run := func(args []string, stdout io.Writer) error {
		cmdline := append(append(slices.Clone(prefix), tool), args...)
		c := exec.Command(cmdline[0], cmdline[1:]...)
		c.Stdin, c.Stdout, c.Stderr = stdin, stdout, stderr
		err := c.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return &exitError{code: max(ee.ExitCode(), 1)} // the tool has said why
		}
		return err
	}
	if strings.TrimSuffix(filepath.Base(tool), ".exe") != "cover" {
		return run(toolArgs, stdout)
	}
	if len(toolArgs) == 1 && strings.HasPrefix(toolArgs[0], "-V") {
		var out bytes.Buffer
		if err := run(toolArgs, &out); err != nil {
			return err
		}
		_, err := fmt.Fprintln(stdout, coverVersion(out.String()))
		return err
	}
	return coverFiles(config, toolArgs, func(args []string) error { return run(args, stdout) })
}

// coverVersion returns the cover tool's -V=full line with coverToolID:
// the go command hashes the line, or for a development toolchain what
// follows the last slash of its last field, the tool's build ID, into its
// cache keys. (So coverToolID has no slash.)
func coverVersion(line string) string {
	line = strings.TrimSpace(line)
	f := strings.Fields(line)
	if len(f) > 0 && strings.HasPrefix(f[len(f)-1], "buildID=") {
		return line + "+" + coverToolID
	}
	return line + " " + coverToolID
}

// A coverInput is a file whose rewritten form the cover tool reads.
type coverInput struct {
	user, copy string // the user's path and the one the tool reads
	rewritten  []byte // the overlay's content
}

// coverFiles runs the cover tool (run) with args, on the rewritten files
// the overlay names in place of the user's, or on empty files in place of
// a package not to cover (see above); configFile is a coverConfig.
func coverFiles(configFile string, args []string, run func([]string) error) error {
	var c coverConfig
	if err := readJSON(configFile, &c); err != nil {
		return err
	}
	var ov struct{ Replace map[string]string }
	if err := readJSON(c.Overlay, &ov); err != nil {
		return err
	}
	flagValue := func(name string) string {
		for i, a := range args {
			if a == name && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, name+"="); ok {
				return v
			}
		}
		return ""
	}
	var pkg struct {
		PkgPath, PkgName string
		Local            bool
	}
	if cfg := flagValue("-pkgcfg"); cfg != "" {
		if err := readJSON(cfg, &pkg); err != nil {
			return err
		}
	}
	if pkg.PkgPath != "" && c.skip(pkg.PkgPath) {
		return coverNothing(args, pkg.PkgName, flagValue("-outfilelist"), run)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(configFile), "cover-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	args = slices.Clone(args)
	var inputs []coverInput
	for i, a := range args {
		to := ov.Replace[filepath.Clean(a)]
		if to == "" || !strings.HasSuffix(a, ".go") {
			continue
		}
		rewritten, err := os.ReadFile(to)
		if err != nil {
			return err
		}
		src, err := instrument.CoverSource(rewritten)
		if err != nil {
			return fmt.Errorf("%s: %w", a, err)
		}
		in := coverInput{user: a, copy: filepath.Join(tmp, fmt.Sprint(len(inputs)), filepath.Base(a)), rewritten: rewritten}
		if err := os.MkdirAll(filepath.Dir(in.copy), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(in.copy, src, 0o644); err != nil {
			return err
		}
		args[i] = in.copy
		inputs = append(inputs, in)
	}
	if len(inputs) > 0 && pkg.Local {
		return errCoverFiles
	}
	if err := run(args); err != nil || len(inputs) == 0 {
		return err
	}
	// The outputs: those the -outfilelist file lists (the first holds
	// the counters), or -o's.
	outputs := []string{flagValue("-o")}
	if list := flagValue("-outfilelist"); list != "" {
		b, err := os.ReadFile(list)
		if err != nil {
			return err
		}
		outputs = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	for _, out := range outputs {
		if err := restoreCovered(out, inputs); err != nil {
			return err
		}
	}
	return nil
}

// coverNothing runs the cover tool (run) for a package not to cover: on
// empty files of package name, in place of the package's files; then the
// outputs are the package's files, with no counters, and the coverage
// data the tool made for none.
func coverNothing(args []string, name, outfilelist string, run func([]string) error) error {
	if outfilelist == "" || name == "" {
		return errors.New("the cover tool's -pkgcfg and -outfilelist are missing")
	}
	b, err := os.ReadFile(outfilelist)
	if err != nil {
		return err
	}
	outputs := strings.Split(strings.TrimSpace(string(b)), "\n")[1:] // after the coverage data's
	tmp, err := os.MkdirTemp(filepath.Dir(outfilelist), "lockdep-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	args = slices.Clone(args)
	var inputs []string
	for i, a := range args {
		if !strings.HasSuffix(a, ".go") || i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=") {
			continue // a flag's value
		}
		stub := filepath.Join(tmp, fmt.Sprintf("%d.go", len(inputs)))
		if err := os.WriteFile(stub, []byte("package "+name+"\n"), 0o644); err != nil {
			return err
		}
		inputs = append(inputs, a)
		args[i] = stub
	}
	if len(inputs) != len(outputs) {
		return fmt.Errorf("the cover tool has %d files to write for %d inputs", len(outputs), len(inputs))
	}
	if err := run(args); err != nil {
		return err
	}
	for i, in := range inputs {
		src, err := os.ReadFile(in)
		if err != nil {
			return err
		}
		out := append([]byte("//line "+in+":1:1\n"), src...)
		if err := os.WriteFile(outputs[i], out, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readJSON reads the JSON file at path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// restoreCovered rewrites the cover tool's output file out, if it is one
// of inputs': the user's path in its //line directive, and the code the
// rewrite added.
func restoreCovered(out string, inputs []coverInput) error {
	if out == "" {
		return nil
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return err
	}
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	for _, in := range inputs {
		if string(first) != "//line "+in.copy+":1:1" {
			continue
		}
		restored, err := instrument.CoveredSource(rest, in.rewritten)
		if err != nil {
			return fmt.Errorf("%s: %w", in.user, err)
		}
		header := []byte("//line " + in.user + ":1:1\n")
		return os.WriteFile(out, append(header, restored...), 0o644)
	}
	return nil
}

// splitQuoted splits s into fields at spaces, allowing '...' or "..."
// around a field, as the go command reads -toolexec.
func splitQuoted(s string) ([]string, error) {
	var f []string
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			return f, nil
		}
		if q := s[0]; q == '"' || q == '\'' {
			i := strings.IndexByte(s[1:], q)
			if i < 0 {
				return nil, fmt.Errorf("unterminated %c string", q)
			}
			f = append(f, s[1:1+i])
			s = s[2+i:]
			continue
		}
		i := strings.IndexAny(s, " \t\n\r")
		if i < 0 {
			i = len(s)
		}
		f = append(f, s[:i])
		s = s[i:]
	}
}

// joinQuoted joins args so that splitQuoted splits them back.
func joinQuoted(args []string) (string, error) {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		switch {
		case !strings.ContainsAny(a, "'\"") && a != "" && !strings.ContainsAny(a, " \t\n\r"):
			b.WriteString(a)
		case !strings.Contains(a, "'"):
			b.WriteString("'" + a + "'")
		case !strings.Contains(a, `"`):
			b.WriteString(`"` + a + `"`)
		default:
			return "", fmt.Errorf("%s has both kinds of quotes", a)
		}
	}
	return b.String(), nil
}
