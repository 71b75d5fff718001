package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pollInterval is how often the records of running processes are read
// for new findings.
const pollInterval = 100 * time.Millisecond

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

// runGo runs the go command, copying its output line by line and
// polling for findings until it exits. Cancelling ctx interrupts it and
// everything it started, as Ctrl-C in a terminal would.
func runGo(ctx context.Context, r goRun) (goStatus, error) {
	c := exec.Command("go", r.args...)
	c.Dir = r.dir
	c.Env = append(os.Environ(), r.env...)
	if r.stdin != nil {
		f, done, err := stdinFile(r.stdin)
		if err != nil {
			return goStatus{}, err
		}
		defer done()
		c.Stdin = f
	}
	out := &goOutput{cmd: r.cmd, names: r.names, lock: r.lock, stdout: r.stdout, stderr: r.stderr}
	out.start(c)
	ownGroup(c)
	if err := c.Start(); err != nil {
		out.wait()
		return goStatus{}, fmt.Errorf("running go: %w", err)
	}
	werr, interrupted := waitGo(ctx, c, r.poll)
	out.wait()
	code := 0
	var ee *exec.ExitError
	switch {
	case werr == nil:
	case errors.As(werr, &ee):
		code = ee.ExitCode()
		if code < 0 {
			code = exitTestsFailed // ended by a signal
		}
	default:
		return goStatus{interrupted: interrupted}, fmt.Errorf("running go: %w", werr)
	}
	return out.status(code, interrupted), nil
}

// stdinFile returns stdin as a file for the go command: stdin itself if
// it is one; otherwise the reading end of a pipe that stdin is copied
// into, so that waiting for go never waits for the reader. done, called
// once go has exited, closes what stdinFile opened.
func stdinFile(stdin io.Reader) (f *os.File, done func(), err error) {
	if f, ok := stdin.(*os.File); ok {
		return f, func() {}, nil
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	go func() {
		io.Copy(pw, stdin)
		pw.Close()
	}()
	return pr, func() { pr.Close() }, nil
}

// waitGo waits for the started go command c to exit, calling poll every
// pollInterval meanwhile, and returns what c.Wait returned. Cancelling
// ctx (Ctrl-C, or stdout closed) lets go and the tests stop and clean up
// after themselves, as on Ctrl-C, and kills them if they do not within
// ten seconds; interrupted says it happened.
func waitGo(ctx context.Context, c *exec.Cmd, poll func()) (err error, interrupted bool) {
	waited := make(chan error, 1)
	go func() { waited <- c.Wait() }()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	done := ctx.Done()
	var kill <-chan time.Time
	for {
		select {
		case err := <-waited:
			return err, interrupted
		case <-tick.C:
			poll()
		case <-done:
			interrupted = true
			interrupt(c, false)
			done, kill = nil, time.After(10*time.Second)
		case <-kill:
			interrupt(c, true)
		}
	}
}

// goOutput copies the go command's stdout and stderr, line by line, to
// where they go, with file names rewritten (see sourceNames), and reads
// in them what go's exit code alone does not say: whether go test
// reported a build failure, or any result at all, and the exit status of
// the program that go run ran.
//
// start sets up the copying, wait waits until it is done, and then
// status tells how go ended. Each stream is copied by a goroutine of its
// own that sets only its own fields (stdout's, stderr's below), and wait
// orders those writes before status reads them.
type goOutput struct {
	cmd            string              // test or run
	names          func(string) string // rewrites a line's file names; may be nil
	lock           sync.Locker         // held while a line is written
	stdout, stderr io.Writer

	pipes   []io.Closer // go's ends of the pipes, closed by wait
	copying sync.WaitGroup

	// Set from stdout, for go test.
	buildFailed bool // a line said so
	sawResult   bool // a line reported a result: the tests ran, or some did
	// Set from stderr, for go run: its last line, if it was "exit status
	// N" or "signal: ...".
	sawExit  bool
	exitCode int
}

var (
	exitStatusLine = regexp.MustCompile(`^exit status (\d+)$`)
	// go test's lines that report a build failure, in text or JSON.
	buildFailedMarks = []string{"[build failed]", "[setup failed]", `"FailedBuild"`}
	// go test's lines that report a result, in text or JSON.
	resultPrefixes = []string{"ok  ", "FAIL", "?   ", "{", "PASS", "--- "}
)

// start makes c write its stdout and stderr to g, and starts copying
// them.
func (g *goOutput) start(c *exec.Cmd) {
	outR, outW := io.Pipe()
	errR, errW := io.Pipe()
	c.Stdout, c.Stderr = outW, errW
	g.pipes = []io.Closer{outW, errW}
	g.copying.Add(2)
	go g.copy(g.stdout, outR, g.stdoutLine)
	go g.copy(g.stderr, errR, g.stderrLine)
}

// wait waits until all of go's output is copied, once go has exited or
// failed to start.
func (g *goOutput) wait() {
	for _, p := range g.pipes {
		p.Close()
	}
	g.copying.Wait()
}

// copy copies src to w line by line, rewriting each line's file names
// and showing it to check first.
func (g *goOutput) copy(w io.Writer, src io.Reader, check func(string)) {
	defer g.copying.Done()
	sc := bufio.NewScanner(src)
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if g.names != nil {
			line = g.names(line)
		}
		check(line)
		g.lock.Lock()
		fmt.Fprintln(w, line)
		g.lock.Unlock()
	}
	io.Copy(io.Discard, src)
}

// stdoutLine notes, for go test, a line that reports a build failure or
// a result.
func (g *goOutput) stdoutLine(line string) {
	if g.cmd != "test" {
		return
	}
	for _, m := range buildFailedMarks {
		if strings.Contains(line, m) {
			g.buildFailed = true
		}
	}
	for _, p := range resultPrefixes {
		if strings.HasPrefix(line, p) {
			g.sawResult = true
		}
	}
}

// stderrLine notes go run's last line when the program fails: "exit
// status N", or "signal: ..." when a signal ended it.
func (g *goOutput) stderrLine(line string) {
	if m := exitStatusLine.FindStringSubmatch(line); m != nil {
		g.exitCode, _ = strconv.Atoi(m[1])
		g.sawExit = true
	} else if strings.HasPrefix(line, "signal: ") {
		g.exitCode = exitTestsFailed
		g.sawExit = true
	} else {
		g.sawExit = false
	}
}

// status returns how go ended, from its exit code (1 if a signal ended
// it), whether it was interrupted, and what its output said.
func (g *goOutput) status(code int, interrupted bool) goStatus {
	st := goStatus{code: code, interrupted: interrupted}
	buildFailed := g.buildFailed
	switch {
	case code == 0:
	case g.cmd == "run" && g.sawExit:
		st.code = g.exitCode // the program's status
	case g.cmd == "run", !g.sawResult:
		// go run failed before the program ran; go test before any test.
		buildFailed = true
	}
	st.buildFailed = buildFailed && !interrupted
	return st
}
