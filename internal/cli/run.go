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
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golockdep/lockdep/internal/instrument"
	"github.com/golockdep/lockdep/internal/render"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// pollInterval is how often the records of running processes are read
// for new findings.
const pollInterval = 100 * time.Millisecond

// runCommand implements lockdep test and lockdep run.
func runCommand(ctx context.Context, cmd, doc string, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *log.Logger) (err error) {
	o, err := parseFlags(cmd, args, stderr)
	if err == errHelp {
		text, _ := help(doc, cmd)
		fmt.Fprint(stdout, text)
		return nil
	}
	if err != nil {
		return err
	}
	if o.version {
		fmt.Fprintln(stdout, "lockdep", version())
		return nil
	}
	base, err := loadBaseline(o)
	if err != nil {
		return err
	}
	dir, err := filepath.Abs(orDot(o.dir))
	if err != nil {
		return err
	}

	// The outputs, files included, are made before anything is built, so
	// that a path that cannot be written fails at once, and they end
	// whatever happens next: a SARIF log says so if the run did not
	// complete.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := newPrinter(o, &outFile{w: stdout, onFail: cancel}, stderr)
	var (
		m   *merged
		mod *module
	)
	out, err := openOutputs(o.format, p, dir,
		outputFiles{sarif: o.sarif, sarifFlag: "-sarif", graph: o.graph, graphFlag: "-graph"},
		&outputConfig{base: base, sarifRun: func() render.SARIFRun { return mod.sarifRun() }})
	if err != nil {
		return err
	}
	defer func() {
		e := &reporting.End{Failure: failure(o.cmd, err)}
		if m != nil {
			gr := m.Graph()
			e.Graph = &gr
		}
		if werr := out.end(e); err == nil {
			err = werr
		}
	}()

	if mod, err = findModule(ctx, dir, o); err != nil {
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

	userOverlay, contents, err := readOverlay(dir, o.overlay)
	if err != nil {
		return err
	}
	setupFlags, env, err := mod.setup(ctx, work)
	if err != nil {
		return err
	}
	patterns := o.targets
	if len(patterns) == 0 {
		patterns = []string{"."}
	}
	var loadFlags []string
	if o.mod != "" {
		loadFlags = append(loadFlags, "-mod="+o.mod)
	}
	if mod.userModfile {
		loadFlags = append(loadFlags, "-modfile="+mod.modfile)
	}
	coverage := o.coverage(mod.goflags)
	res, err := instrument.Rewrite(instrument.Config{
		Dir:        dir,
		Patterns:   patterns,
		Extra:      o.pkgs,
		Tags:       o.tags,
		Tests:      cmd == "test",
		BuildFlags: loadFlags,
		Overlay:    contents,
		Env:        []string{"GOFLAGS=" + withoutCoverFlags(mod.goflags)},
		Coverage:   coverage,
	})
	if err != nil {
		return fmt.Errorf("instrumenting %s: %w", strings.Join(patterns, " "), err)
	}
	if coverage && namedFiles(o.targets) && slices.ContainsFunc(o.targets, func(f string) bool { return res.Files[absIn(dir, f)] != nil }) {
		return errCoverFiles
	}
	for _, n := range res.Notes {
		logger.Print(n)
	}
	if res.Sites == 0 && len(res.Broken) == 0 {
		tags := ""
		if o.tags != "" {
			tags = " with -tags=" + o.tags
		}
		logger.Printf("warning: no sync.Mutex or sync.RWMutex operation to validate in %s%s", strings.Join(patterns, " "), tags)
	}
	overlay, written, err := writeOverlay(work, mod, userOverlay, res.Files)
	if err != nil {
		return err
	}
	if coverage {
		// The cover tool reads the rewritten files (see cover.go).
		config, err := mod.writeCoverConfig(work, overlay)
		if err != nil {
			return err
		}
		f, err := o.toolexecFlag(config, mod.goflags)
		if err != nil {
			return err
		}
		setupFlags = append(setupFlags, f)
	}
	if namedFiles(o.targets) {
		// The go command compiles only the files named: name the
		// generated TestMain too (the overlay holds it).
		// (go wants them all in one directory, spelled alike.)
		for f := range res.Files {
			if filepath.Base(f) != instrument.TestMainFile {
				continue
			}
			if rel, err := filepath.Rel(dir, f); err == nil && !filepath.IsAbs(o.targets[0]) {
				f = rel
			}
			o.targets = append(o.targets, f)
		}
	}
	names := newSourceNames(dir, filepath.Join(work, "src"), written, res.Position, o.work)
	names.setVendor(mod.vendorDst, mod.vendorSrc)
	if ctx.Err() != nil {
		return &exitError{code: exitTestsFailed, err: errors.New("interrupted")}
	}

	graphDir := filepath.Join(work, "graph")
	if err := os.Mkdir(graphDir, 0o755); err != nil {
		return err
	}
	env = append(env, "LOCKDEP_EVENTS="+graphDir)
	if o.stat {
		env = append(env, "LOCKDEP_STAT=1")
	}
	if t := o.testTimeout(mod.goflags); cmd == "test" && t > 0 && os.Getenv("LOCKDEP_DUMP_AFTER") == "" {
		// The held-lock dump comes before the timeout's panic.
		env = append(env, "LOCKDEP_DUMP_AFTER="+dumpAfter(t).String())
	}

	m = newMerged(graphDir, mod.dir, func(r report.Report) { out.Finding(&r) })
	m.stopped = func(pkg, why string) { p.log(logger, fmt.Errorf("%s: %s", pkg, why)) }

	st, err := runGo(ctx, goRun{
		cmd: cmd, dir: dir, args: goArgs(o, setupFlags, overlay), env: env, stdin: stdin,
		stdout: p.goOut, stderr: stderr, lock: &p.mu, names: names.line,
		poll: func() {
			if perr := m.poll(); perr != nil {
				p.log(logger, perr)
			}
		},
	})
	if err != nil {
		return err
	}
	names.showGenerated(stderr)
	if err := m.finish(); err != nil {
		logger.Printf("reading the recorded dependencies: %v", err)
	}
	if o.stat {
		p.note([]byte(m.statsTable(statRows)))
	}
	logger.Print(m.summary())
	if err := base.update(m.findings); err != nil {
		return err
	}
	base.summary(stderr, m.findings)
	var result error
	switch {
	case p.stdout.failed.Load():
		result = &exitError{code: exitTestsFailed, err: errors.New("stdout closed: stopped go " + cmd)}
	case st.interrupted && st.code != 0:
		result = &exitError{code: exitTestsFailed, err: errors.New("interrupted")}
	case st.buildFailed:
		// As go test and go run: a build failure is a failure (1), not a
		// usage error; the error still says the run did not complete.
		result = &exitError{code: exitTestsFailed, err: errors.New("build failed")}
	case cmd == "run" && st.code != 0:
		result = &exitError{code: st.code}
	case st.code != 0:
		result = &exitError{code: exitTestsFailed}
	case base.newFindings(m.findings) > 0:
		result = &exitError{code: exitFindings}
	}
	return result
}

// goArgs returns the go command's command line: lockdep's flags (setup's,
// the overlay, -tags), then the user's, in their order.
func goArgs(o *options, setup []string, overlay string) []string {
	args := append([]string{o.cmd}, setup...)
	if o.mod != "" && !slices.ContainsFunc(setup, func(f string) bool { return strings.HasPrefix(f, "-mod=") }) {
		args = append(args, "-mod="+o.mod)
	}
	args = append(args, "-overlay="+overlay)
	if o.tags != "" {
		args = append(args, "-tags="+o.tags)
	}
	if o.cmd == "test" && !o.count {
		// Cached results record nothing: the tests must run. (The cache
		// cannot see LOCKDEP_EVENTS, which is read before tests start.)
		args = append(args, "-count=1")
	}
	args = append(args, o.goFlags...)
	args = append(args, o.targets...)
	return append(args, o.tail...)
}

// namedFiles reports whether targets are .go files (go run main.go),
// not packages.
func namedFiles(targets []string) bool {
	return len(targets) > 0 && strings.HasSuffix(targets[0], ".go")
}

func writeFile(path string, data []byte) error {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// sarifRun returns how SARIF logs locate findings in m (which may be
// nil): every command that writes SARIF starts from it.
func (m *module) sarifRun() render.SARIFRun {
	run := render.SARIFRun{ToolVersion: version(), URI: m.uri, Abs: m.abs}
	if m != nil {
		for _, p := range []string{m.modfile, m.work} {
			if u, ok := m.uri(p); ok {
				run.Fallback = u
				break
			}
		}
	}
	return run
}

// uri returns the path of a report's file relative to the repository
// root, if it is in the repository: frames are relative to the module
// root of the process that recorded them, or absolute.
func (m *module) uri(file string) (string, bool) {
	if m == nil || file == "" {
		return "", false
	}
	var candidates []string
	if filepath.IsAbs(file) {
		candidates = []string{file}
	} else {
		for _, r := range m.roots {
			candidates = append(candidates, filepath.Join(r, filepath.FromSlash(file)))
		}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err != nil {
			continue
		}
		rel, err := filepath.Rel(m.repo, c)
		if err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel), true
		}
	}
	return "", false
}

// abs returns the absolute path of a frame's file where it finds the
// file: frames are absolute, or relative to the module root of the
// process that recorded them, to the module cache or to GOROOT/src.
func (m *module) abs(file string) (string, bool) {
	if m == nil || file == "" {
		return "", false
	}
	var candidates []string
	if filepath.IsAbs(file) {
		candidates = []string{file}
	} else {
		for _, r := range m.roots {
			candidates = append(candidates, filepath.Join(r, filepath.FromSlash(file)))
		}
		modcache, goroot := m.goPaths()
		if modcache != "" {
			candidates = append(candidates, filepath.Join(modcache, filepath.FromSlash(file)))
		}
		if goroot != "" {
			candidates = append(candidates, filepath.Join(goroot, "src", filepath.FromSlash(file)))
		}
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && !fi.IsDir() {
			return c, true
		}
	}
	return "", false
}

// printer serialises what the run prints: the go command's lines and the
// findings, which appear as the processes record them. It is the writer
// of the -format handler.
type printer struct {
	mu            sync.Mutex
	stdout        *outFile
	goOut         io.Writer // where go's stdout goes
	reports       io.Writer
	stderr        io.Writer
	format        string
	reportsFailed bool
}

// newPrinter routes the output. run: the program's stdout and stderr are
// its own, lockdep's reports go to stderr. test: go test's output goes to
// stdout, and so do the text reports, unless stdout carries JSON: go
// test's own -json stream (then the reports go to stderr), or lockdep's
// -format=json or sarif (then go test's output goes to stderr).
func newPrinter(o *options, stdout *outFile, stderr io.Writer) *printer {
	p := &printer{stdout: stdout, goOut: stdout, reports: stdout, stderr: stderr, format: o.format}
	switch {
	case o.cmd == "run" || o.goJSON:
		p.reports = stderr
	case o.format != "text":
		p.goOut = stderr
	}
	return p
}

// Write prints reports, as write does.
func (p *printer) Write(b []byte) (int, error) {
	p.write(b)
	return len(b), nil
}

// write prints reports: to stderr once stdout is closed, so that no
// finding is lost.
func (p *printer) write(b []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reportsFailed {
		if _, err := p.reports.Write(b); err == nil {
			return
		}
		p.reportsFailed = true
	}
	p.stderr.Write(b)
}

// note prints lockdep's own results other than findings (the statistics
// table) where text reports go, or to stderr when stdout carries JSON.
func (p *printer) note(b []byte) {
	if p.format != "text" {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.stderr.Write(b)
		return
	}
	p.write(b)
}

func (p *printer) log(logger *log.Logger, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	logger.Print(err)
}

// outFile is stdout: the first write that fails (a closed pipe) calls
// onFail, which stops the run.
type outFile struct {
	w      io.Writer
	failed atomic.Bool
	onFail func()
}

var errClosed = errors.New("stdout closed")

func (f *outFile) Write(b []byte) (int, error) {
	if f.failed.Load() {
		return 0, errClosed
	}
	n, err := f.w.Write(b)
	if err != nil && !f.failed.Swap(true) {
		f.onFail()
	}
	return n, err
}

// goRun is a run of the go command.
type goRun struct {
	cmd            string // test or run
	dir            string
	args, env      []string
	stdin          io.Reader
	stdout, stderr io.Writer
	lock           sync.Locker         // held while a line is written
	names          func(string) string // rewrites a line's file names (see sourceNames); may be nil
	poll           func()              // called every pollInterval while go runs
}

// goStatus is how a run of the go command ended.
type goStatus struct {
	code        int // exit status: go's, or for run the program's
	buildFailed bool
	interrupted bool
}

var (
	exitStatusLine = regexp.MustCompile(`^exit status (\d+)$`)
	// go test's lines that report a build failure, in text or JSON.
	buildFailedMarks = []string{"[build failed]", "[setup failed]", `"FailedBuild"`}
)

// runGo runs the go command, copying its output line by line and
// polling for findings until it exits. Cancelling ctx interrupts it and
// everything it started, as Ctrl-C in a terminal would.
func runGo(ctx context.Context, r goRun) (st goStatus, err error) {
	c := exec.Command("go", r.args...)
	c.Dir = r.dir
	c.Env = append(os.Environ(), r.env...)
	if r.stdin != nil {
		f, ok := r.stdin.(*os.File)
		if !ok {
			// A reader that is not a file is copied through a pipe that
			// the child gets as a file, so that waiting for it never
			// waits for the reader.
			pr, pw, err := os.Pipe()
			if err != nil {
				return st, err
			}
			defer pr.Close()
			go func() {
				io.Copy(pw, r.stdin)
				pw.Close()
			}()
			f = pr
		}
		c.Stdin = f
	}
	var sawResult, sawExit atomic.Bool
	var buildFailed atomic.Bool
	var exitCode atomic.Int64
	copyLines := func(w io.Writer, src io.Reader, check func(string)) {
		sc := bufio.NewScanner(src)
		sc.Buffer(make([]byte, 64*1024), 16<<20)
		for sc.Scan() {
			line := sc.Text()
			if r.names != nil {
				line = r.names(line)
			}
			check(line)
			r.lock.Lock()
			fmt.Fprintln(w, line)
			r.lock.Unlock()
		}
		io.Copy(io.Discard, src)
	}
	checkOut := func(line string) {
		if r.cmd != "test" {
			return
		}
		for _, m := range buildFailedMarks {
			if strings.Contains(line, m) {
				buildFailed.Store(true)
			}
		}
		if strings.HasPrefix(line, "ok  ") || strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "?   ") ||
			strings.HasPrefix(line, "{") || strings.HasPrefix(line, "PASS") || strings.HasPrefix(line, "--- ") {
			sawResult.Store(true)
		}
	}
	checkErr := func(line string) {
		// go run's last line when the program fails: "exit status N",
		// or "signal: ..." when a signal ended it.
		if m := exitStatusLine.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			exitCode.Store(int64(n))
			sawExit.Store(true)
		} else if strings.HasPrefix(line, "signal: ") {
			exitCode.Store(exitTestsFailed)
			sawExit.Store(true)
		} else {
			sawExit.Store(false)
		}
	}
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	c.Stdout, c.Stderr = outW, errW
	var copying sync.WaitGroup
	copying.Add(2)
	go func() { defer copying.Done(); copyLines(r.stdout, outR, checkOut) }()
	go func() { defer copying.Done(); copyLines(r.stderr, errR, checkErr) }()
	ownGroup(c)
	if err := c.Start(); err != nil {
		outW.Close()
		errW.Close()
		copying.Wait()
		return st, fmt.Errorf("running go: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	var werr error
	done := ctx.Done()
	var kill <-chan time.Time
	for exited := false; !exited; {
		select {
		case werr = <-waited:
			exited = true
		case <-tick.C:
			r.poll()
		case <-done:
			// Interrupted (or stdout closed): let go and the tests stop
			// and clean up after themselves, as on Ctrl-C; kill them if
			// they do not.
			st.interrupted = true
			interrupt(c, false)
			done, kill = nil, time.After(10*time.Second)
		case <-kill:
			interrupt(c, true)
		}
	}
	outW.Close()
	errW.Close()
	copying.Wait()
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		st.code = ee.ExitCode()
		if st.code < 0 {
			st.code = exitTestsFailed // ended by a signal
		}
	default:
		return st, fmt.Errorf("running go: %w", werr)
	}
	switch {
	case st.code == 0:
	case r.cmd == "run" && sawExit.Load():
		st.code = int(exitCode.Load()) // the program's status
	case r.cmd == "run", !sawResult.Load():
		// go run failed before the program ran; go test before any test.
		buildFailed.Store(true)
	}
	st.buildFailed = buildFailed.Load() && !st.interrupted
	return st, nil
}

// readOverlay reads the user's -overlay file: the replacements, as
// absolute paths, and the contents of the replacing files.
func readOverlay(dir, path string) (map[string]string, map[string][]byte, error) {
	if path == "" {
		return nil, nil, nil
	}
	b, err := os.ReadFile(absIn(dir, path))
	if err != nil {
		return nil, nil, fmt.Errorf("-overlay: %w", err)
	}
	var ov struct{ Replace map[string]string }
	if err := json.Unmarshal(b, &ov); err != nil {
		return nil, nil, fmt.Errorf("-overlay %s: %w", path, err)
	}
	replace := map[string]string{}
	contents := map[string][]byte{}
	for from, to := range ov.Replace {
		from = absIn(dir, from)
		if to == "" {
			replace[from] = "" // deleted
			continue
		}
		to = absIn(dir, to)
		replace[from] = to
		if contents[from], err = os.ReadFile(to); err != nil {
			return nil, nil, fmt.Errorf("-overlay %s: %w", path, err)
		}
	}
	return replace, contents, nil
}

// writeOverlay writes the rewritten files under work and returns the path
// of the overlay file for go's -overlay flag: the user's overlay, and the
// rewritten files, where the build reads them (see module.buildPath). It
// also returns what each file written stands for (see sourceNames).
func writeOverlay(work string, mod *module, user map[string]string, files map[string][]byte) (string, map[string]*sourceFile, error) {
	dir := filepath.Join(work, "src")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return "", nil, err
	}
	replace := make(map[string]string, len(user)+len(files))
	for from, to := range user {
		replace[mod.buildPath(from)] = to
	}
	written := make(map[string]*sourceFile, len(files))
	i := 0
	for orig, content := range files {
		i++
		p := filepath.Join(dir, fmt.Sprintf("%d_%s", i, filepath.Base(orig)))
		if err := os.WriteFile(p, content, 0o644); err != nil {
			return "", nil, err
		}
		replace[mod.buildPath(orig)] = p
		written[p] = &sourceFile{orig: orig, generated: filepath.Base(orig) == instrument.TestMainFile, out: content}
	}
	b, err := json.Marshal(struct{ Replace map[string]string }{replace})
	if err != nil {
		return "", nil, err
	}
	overlay := filepath.Join(work, "overlay.json")
	return overlay, written, os.WriteFile(overlay, b, 0o644)
}
