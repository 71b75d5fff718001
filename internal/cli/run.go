package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/golockdep/lockdep/internal/instrument"
)

// runCommand implements lockdep test and lockdep run.
func runCommand(ctx context.Context, cmd, doc string, args []string, stdout, stderr io.Writer, logger *log.Logger) error {
	o, err := parseFlags(cmd, args, stderr)
	if err == errHelp {
		fmt.Fprint(stdout, help(doc, cmd))
		return nil
	}
	if err != nil {
		return err
	}
	base, err := loadBaseline(o)
	if err != nil {
		return err
	}
	dir := o.dir
	if dir == "" {
		dir = "."
	}
	if dir, err = filepath.Abs(dir); err != nil {
		return err
	}
	mod, err := findModule(ctx, dir)
	if err != nil {
		return err
	}

	work, err := os.MkdirTemp("", "lockdep-")
	if err != nil {
		return err
	}
	if o.work {
		logger.Printf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}

	res, err := instrument.Rewrite(instrument.Config{
		Dir:      mod.dir,
		Patterns: []string{"./..."},
		Extra:    o.pkgs,
		Tags:     o.tags,
		Tests:    cmd == "test",
	})
	if err != nil {
		return fmt.Errorf("instrumenting %s: %w", mod.path, err)
	}
	for _, n := range res.Notes {
		logger.Print(n)
	}
	overlay, err := writeOverlay(work, res.Files)
	if err != nil {
		return err
	}
	goflags := []string{"-overlay=" + overlay}
	if mod.path != selfModule {
		modfile, err := writeModfile(ctx, work, mod)
		if err != nil {
			return err
		}
		goflags = append(goflags, "-modfile="+modfile, "-mod=mod")
	}
	if o.tags != "" {
		goflags = append(goflags, "-tags="+o.tags)
	}

	graphDir := filepath.Join(work, "graph")
	if err := os.Mkdir(graphDir, 0o755); err != nil {
		return err
	}
	var goArgs []string
	if cmd == "test" {
		// Cached results record nothing: the tests must run. (The cache
		// cannot see LOCKDEP_EVENTS, which is read before tests start.)
		if !hasFlag(o.rest, "count") {
			goflags = append(goflags, "-count=1")
		}
		goArgs = append(append(append([]string{"test"}, goflags...), o.targets...), o.rest...)
	} else {
		goArgs = append(append(append([]string{"run"}, goflags...), o.targets...), o.rest...)
	}
	childOut := stdout
	if o.json {
		childOut = stderr // stdout carries only JSON lines
	}
	code, buildFailed, err := runGo(ctx, dir, goArgs, graphDir, childOut, stderr)
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return &exitError{code: exitUsage, err: errors.New("interrupted")}
	}
	if buildFailed {
		return &exitError{code: exitUsage, err: errors.New("build failed")}
	}

	m, err := mergeDir(graphDir, mod.dir)
	if err != nil {
		return fmt.Errorf("reading the recorded dependencies: %w", err)
	}
	m.base = base
	if err := base.update(m.findings); err != nil {
		return err
	}
	if err := m.output(o, stdout, stderr); err != nil {
		return err
	}
	base.summary(stderr, m.findings)
	switch {
	case code != 0:
		return &exitError{code: exitTestsFailed}
	case base.newFindings(m.findings) > 0:
		return &exitError{code: exitFindings}
	}
	return nil
}

// runGo runs the go command in dir with LOCKDEP_EVENTS set, streaming its
// output. It reports the exit status and whether a build failed.
func runGo(ctx context.Context, dir string, args []string, graphDir string, stdout, stderr io.Writer) (code int, buildFailed bool, err error) {
	c := exec.Command("go", args...)
	c.Dir = dir
	c.Env = append(os.Environ(), "LOCKDEP_EVENTS="+graphDir)
	c.Stdin = nil
	var mu sync.Mutex
	// go test reports a failed build as "FAIL pkg [build failed]" on
	// stdout; compiler errors come on stderr after a "# pkg" line.
	failed := func(line string) bool {
		return strings.Contains(line, "[build failed]") || strings.Contains(line, "[setup failed]")
	}
	header := func(line string) bool { return strings.HasPrefix(line, "# ") }
	watch := func(w io.Writer, failed func(string) bool) (io.WriteCloser, <-chan struct{}) {
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			sc := bufio.NewScanner(pr)
			sc.Buffer(make([]byte, 64*1024), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if failed(line) {
					mu.Lock()
					buildFailed = true
					mu.Unlock()
				}
				fmt.Fprintln(w, line)
			}
			io.Copy(io.Discard, pr)
		}()
		return pw, done
	}
	outW, outDone := watch(stdout, failed)
	errW, errDone := watch(stderr, header)
	c.Stdout, c.Stderr = outW, errW
	ownGroup(c)
	if err := c.Start(); err != nil {
		return 0, false, fmt.Errorf("running go: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	var werr error
	select {
	case werr = <-waited:
	case <-ctx.Done():
		// Interrupted: let go and the tests stop, then clean up.
		interrupt(c, false)
		select {
		case werr = <-waited:
		case <-time.After(10 * time.Second):
			interrupt(c, true)
			werr = <-waited
		}
	}
	outW.Close()
	errW.Close()
	<-outDone
	<-errDone
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		code = ee.ExitCode()
	default:
		return 0, false, fmt.Errorf("running go: %w", werr)
	}
	mu.Lock()
	defer mu.Unlock()
	// "# pkg" headers precede compiler errors, but go run programs may
	// print such lines too: they count only with a failing status.
	return code, buildFailed && code != 0, nil
}

// hasFlag reports whether args set the go flag name.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		a = strings.TrimLeft(a, "-")
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// writeOverlay writes the rewritten files under work and returns the path
// of the overlay file for go's -overlay flag.
func writeOverlay(work string, files map[string][]byte) (string, error) {
	dir := filepath.Join(work, "src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", err
	}
	replace := make(map[string]string, len(files))
	i := 0
	for orig, content := range files {
		i++
		p := filepath.Join(dir, fmt.Sprintf("%d_%s", i, filepath.Base(orig)))
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return "", err
		}
		replace[orig] = p
	}
	b, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return "", err
	}
	overlay := filepath.Join(work, "overlay.json")
	return overlay, os.WriteFile(overlay, b, 0o644)
}
