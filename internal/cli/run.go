package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/golockdep/lockdep/internal/instrument"
	"github.com/golockdep/lockdep/internal/render"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// runCommand implements lockdep test and lockdep run.
func runCommand(ctx context.Context, cmd, doc string, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *log.Logger) error {
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s := &session{o: o, stdin: stdin, stderr: stderr, logger: logger}
	s.p = newPrinter(o, &outFile{w: stdout, onFail: cancel}, stderr)
	return s.run(ctx)
}

// A session is one lockdep test or lockdep run. prepare instruments the
// packages into an overlay in a work directory; execute runs go test or
// go run with it, printing the findings as the processes record them;
// exitStatus says, from the outcome alone, how lockdep exits. An error
// on the way (a usage, setup or tool error: status 2) ends the session
// where it happens.
type session struct {
	o      *options
	stdin  io.Reader
	stderr io.Writer
	logger *log.Logger
	p      *printer

	dir  string    // where it runs (-C), absolute
	base *baseline // -baseline, or nil
	out  *outputs
	mod  *module
	work string // the work directory

	// Made by prepare for execute.
	args     []string // go's command line
	env      []string // go's environment, beyond lockdep's own
	names    *sourceNames
	graphDir string // where the processes record their events

	m *merged // the processes' records, merged; nil until execute
}

// run runs the session. The outputs, files included, are made before
// anything is built, so that a path that cannot be written fails at
// once, and they end whatever happens next: a SARIF log says so if the
// run did not complete.
func (s *session) run(ctx context.Context) (err error) {
	if s.base, err = loadBaseline(s.o); err != nil {
		return err
	}
	if s.dir, err = filepath.Abs(orDot(s.o.dir)); err != nil {
		return err
	}
	s.out, err = openOutputs(s.o.format, s.p, s.dir,
		outputFiles{sarif: s.o.sarif, sarifFlag: "-sarif", graph: s.o.graph, graphFlag: "-graph"},
		&outputConfig{base: s.base, sarifRun: func() render.SARIFRun { return s.mod.sarifRun() }})
	if err != nil {
		return err
	}
	defer func() {
		if werr := s.end(err); err == nil {
			err = werr
		}
	}()

	if s.mod, err = findModule(ctx, s.dir, s.o); err != nil {
		return err
	}
	if s.work, err = os.MkdirTemp("", "lockdep-"); err != nil {
		return err
	}
	if s.o.work {
		s.logger.Printf("work directory: %s", s.work)
	} else {
		defer os.RemoveAll(s.work)
	}
	if err := s.prepare(ctx); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return exitStatus(outcome{cmd: s.o.cmd, cancelled: true})
	}
	st, err := s.execute(ctx)
	if err != nil {
		return err
	}
	return exitStatus(outcome{
		cmd:          s.o.cmd,
		stdoutClosed: s.p.stdout.failed.Load(),
		status:       st,
		findings:     s.m.findings,
		base:         s.base,
	})
}

// end ends the outputs, with the graph if the processes recorded one,
// and says in them why the run did not complete if err says it did not.
func (s *session) end(err error) error {
	e := &reporting.End{Failure: failure(s.o.cmd, err)}
	if s.m != nil {
		gr := s.m.Graph()
		e.Graph = &gr
	}
	return s.out.end(e)
}

// prepare instruments the packages and writes, in the work directory,
// the overlay and everything else go needs to build them: s.args,
// s.env, s.names and s.graphDir are set for execute.
func (s *session) prepare(ctx context.Context) error {
	o, mod := s.o, s.mod
	userOverlay, contents, err := readOverlay(s.dir, o.overlay)
	if err != nil {
		return err
	}
	setupFlags, env, err := mod.setup(ctx, s.work)
	if err != nil {
		return err
	}
	coverage := o.coverage(mod.goflags)
	res, err := s.instrument(contents, coverage)
	if err != nil {
		return err
	}
	overlay, written, err := writeOverlay(s.work, mod, userOverlay, res.Files)
	if err != nil {
		return err
	}
	if coverage {
		// The cover tool reads the rewritten files (see cover.go).
		config, err := mod.writeCoverConfig(s.work, overlay)
		if err != nil {
			return err
		}
		f, err := o.toolexecFlag(config, mod.goflags)
		if err != nil {
			return err
		}
		setupFlags = append(setupFlags, f)
	}
	o.nameTestMain(s.dir, res.Files)
	s.names = newSourceNames(s.dir, filepath.Join(s.work, "src"), written, res.Position, o.work)
	s.names.setVendor(mod.vendorDst, mod.vendorSrc)
	s.args = goArgs(o, setupFlags, overlay)

	s.graphDir = filepath.Join(s.work, "graph")
	if err := os.Mkdir(s.graphDir, 0o755); err != nil {
		return err
	}
	s.env = append(env, s.lockdepEnv()...)
	return nil
}

// nameTestMain adds the generated TestMain file, among files, to the
// targets if they are .go files: the go command compiles only the files
// named, and the overlay holds it. (go wants them all in one directory,
// spelled alike.)
func (o *options) nameTestMain(dir string, files map[string][]byte) {
	if !namedFiles(o.targets) {
		return
	}
	for f := range files {
		if filepath.Base(f) != instrument.TestMainFile {
			continue
		}
		if rel, err := filepath.Rel(dir, f); err == nil && !filepath.IsAbs(o.targets[0]) {
			f = rel
		}
		o.targets = append(o.targets, f)
	}
}

// lockdepEnv returns the environment that tells the validating processes
// what to do: where to record their events, whether to count (-stat) and
// to validate channel operations (-channels, on by default), and
// for test, when to dump the held locks so that the dump comes before
// the panic of go test's timeout.
func (s *session) lockdepEnv() []string {
	env := []string{"LOCKDEP_EVENTS=" + s.graphDir}
	if s.o.stat {
		env = append(env, "LOCKDEP_STAT=1")
	}
	if s.o.noChans {
		env = append(env, "LOCKDEP_CHANNELS=0")
	} else {
		env = append(env, "LOCKDEP_CHANNELS=1")
	}
	if t := s.o.testTimeout(s.mod.goflags); s.o.cmd == "test" && t > 0 && os.Getenv("LOCKDEP_DUMP_AFTER") == "" {
		env = append(env, "LOCKDEP_DUMP_AFTER="+dumpAfter(t).String())
	}
	return env
}

// instrument rewrites the packages of the command line, with the user's
// overlay (contents), and logs what it left alone.
func (s *session) instrument(contents map[string][]byte, coverage bool) (*instrument.Result, error) {
	o, mod := s.o, s.mod
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
	res, err := instrument.Rewrite(instrument.Config{
		Dir:        s.dir,
		Patterns:   patterns,
		Extra:      o.pkgs,
		Tags:       o.tags,
		Tests:      o.cmd == "test",
		BuildFlags: loadFlags,
		Overlay:    contents,
		Env:        []string{"GOFLAGS=" + withoutCoverFlags(mod.goflags)},
		Coverage:   coverage,
		CacheDir:   rewriteCache(),
		Trees:      mod.trees(),
	})
	if err != nil {
		return nil, fmt.Errorf("instrumenting %s: %w", strings.Join(patterns, " "), err)
	}
	if coverage && namedFiles(o.targets) && slices.ContainsFunc(o.targets, func(f string) bool { return res.Files[absIn(s.dir, f)] != nil }) {
		return nil, errCoverFiles
	}
	for _, n := range res.Notes {
		s.logger.Print(n)
	}
	if res.Checked == 0 && (res.Chans == 0 || o.noChans) && len(res.Broken) == 0 {
		// Nothing validated: a run that says "0 findings" must not be
		// taken for one that checked something.
		tags := ""
		if o.tags != "" {
			tags = " with -tags=" + o.tags
		}
		if res.Chans == 0 {
			s.logger.Printf("warning: no lock, WaitGroup, Once, Cond or channel operation to validate in %s%s", strings.Join(patterns, " "), tags)
		} else {
			s.logger.Printf("warning: no lock, WaitGroup, Once or Cond operation to validate in %s%s, and its channel operations are not validated with -channels=false", strings.Join(patterns, " "), tags)
		}
	}
	return res, nil
}

// rewriteCache returns the directory in the user's cache where rewrites
// are kept for the next run of the same files (see instrument.Config),
// or "" with LOCKDEP_CACHE=off or without a cache directory.
func rewriteCache() string {
	cache, err := os.UserCacheDir()
	if err != nil || os.Getenv("LOCKDEP_CACHE") == "off" {
		return ""
	}
	return filepath.Join(cache, "lockdep", "rewrite")
}

// execute runs go with what prepare made, printing the findings as the
// processes record them, then the statistics (-stat) and the summary,
// and writes the -write-baseline file. It returns how go ended.
func (s *session) execute(ctx context.Context) (goStatus, error) {
	s.m = newMerged(s.graphDir, s.mod.dir, func(r report.Report) { s.out.Finding(&r) })
	s.m.stopped = func(pkg, why string) { s.p.log(s.logger, fmt.Errorf("%s: %s", pkg, why)) }
	st, err := runGo(ctx, goRun{
		cmd: s.o.cmd, dir: s.dir, args: s.args, env: s.env, stdin: s.stdin,
		stdout: s.p.goOut, stderr: s.stderr, lock: &s.p.mu, names: s.names.line,
		poll: func() {
			if perr := s.m.poll(); perr != nil {
				s.p.log(s.logger, perr)
			}
		},
	})
	if err != nil {
		return st, err
	}
	s.names.showGenerated(s.stderr)
	if err := s.m.finish(); err != nil {
		s.logger.Printf("reading the recorded dependencies: %v", err)
	}
	if s.o.stat {
		s.p.note([]byte(s.m.statsTable(statRows)))
	}
	s.logger.Print(s.m.summary())
	if err := s.base.update(s.m.findings); err != nil {
		return st, err
	}
	s.base.summary(s.stderr, s.m.findings)
	return st, nil
}

// outcome is how a session that got as far as running go ended: all
// that its exit status depends on.
type outcome struct {
	cmd          string          // test or run
	cancelled    bool            // interrupted before go ran
	stdoutClosed bool            // a write to stdout failed, which stopped go
	status       goStatus        // how go ended
	findings     []report.Report // the processes' findings
	base         *baseline       // -baseline's known findings, or nil
}

// exitStatus returns the exit status of a session (see Exit codes in
// the command's manual): nil for 0, or an *exitError whose err, if any,
// says why the run did not complete. It decides in this order:
//
//   - interrupted (before go ran, or while it ran and go failed), or
//     stdout closed: 1;
//   - a build failure: 1, as for go test and go run;
//   - a failure of go, go test or, for run, the program: 1, or the
//     program's own status;
//   - findings, other than the guarded cycles (which are shown, not
//     counted) and those the baseline lists: 3;
//   - otherwise 0.
//
// (Usage, setup and tool errors, status 2, end a session before it has
// an outcome.)
func exitStatus(r outcome) error {
	fail := func(why string) error { return &exitError{code: exitTestsFailed, err: errors.New(why)} }
	switch {
	case r.cancelled:
		return fail("interrupted")
	case r.stdoutClosed:
		return fail("stdout closed: stopped go " + r.cmd)
	case r.status.interrupted && r.status.code != 0:
		return fail("interrupted")
	case r.status.buildFailed:
		// As go test and go run: a build failure is a failure (1), not a
		// usage error; the error still says the run did not complete.
		return fail("build failed")
	case r.cmd == "run" && r.status.code != 0:
		return &exitError{code: r.status.code}
	case r.status.code != 0:
		return &exitError{code: exitTestsFailed}
	case r.base.newFindings(r.findings) > 0:
		return &exitError{code: exitFindings}
	}
	return nil
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
