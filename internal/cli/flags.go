package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// options are a lockdep test or run command line, taken apart: lockdep's
// own flags, the go command's flags that lockdep also reads, and the rest,
// passed on to go test or go run as typed.
type options struct {
	cmd     string // test or run
	dir     string // -C
	pkgs    []string
	format  string // -format: text, json or sarif
	sarif   string
	graph   string // -graph: the merged dependency graph's file
	work    bool   // -work, which go gets too
	version bool
	stat    bool // -stat: print the processes' lock statistics
	noChans bool // -channels=false: channel operations are not validated

	// Flags of the go command that lockdep reads as well.
	tags, overlay, mod, modfile string
	goJSON                      bool // go test -json: stdout is test2json's
	count                       bool // -count given
	compileOnly                 bool // go test -c

	goFlags []string // the go command's other flags, in order
	targets []string // package patterns (test), the package or files (run)
	tail    []string // test: what goes to the test binary; run: the program's arguments

	// The -baseline file of known findings; -write-baseline makes the
	// run write it (baseline.go).
	baseline      string
	writeBaseline bool
}

// A flagSpec says how lockdep test and run take a flag.
type flagSpec struct {
	value  bool // takes a value: -name v or -name=v; otherwise a boolean: -name or -name=false
	own    bool // lockdep's own, or go's that lockdep takes over: go does not get it as typed
	test   bool // go test's only: go run rejects it
	binary bool // go test's flag for the test binary, also spelled -test.name
	// set, for a flag that lockdep reads, records its value: a boolean's
	// is checked first, and given as "true" or "false". (go checks the
	// values of the flags it gets.)
	set func(p *flagParser, v string) error
}

// flagRows are the flags of lockdep test and run: lockdep's own, then the
// go command's (Go 1.26), each row naming flags taken alike. go test
// passes the flags it does not know to the test binary; go run rejects
// them.
var flagRows = []struct {
	names string // separated by spaces
	spec  flagSpec
}{
	// lockdep's own, recognised by name anywhere before the test binary's
	// or program's arguments. None means something else to go test or go
	// run: -C, -tags and -h are the go command's too, and -work keeps both
	// lockdep's temporary directory and go's.
	{"C", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.dir = v; return nil }}},
	{"tags", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.tags = v; return nil }}},
	{"pkg", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error {
		p.pkgs = append(p.pkgs, strings.Split(v, ",")...)
		return nil
	}}},
	{"format", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error {
		if err := checkFormat(p.stderr, p.cmd, v); err != nil {
			return err
		}
		p.format = v
		return nil
	}}},
	{"sarif", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.sarif = v; return nil }}},
	{"graph", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.graph = v; return nil }}},
	{"baseline", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.baseline = v; return nil }}},
	{"write-baseline", flagSpec{own: true, set: func(p *flagParser, v string) error { p.writeBaseline = v == "true"; return nil }}},
	{"stat", flagSpec{own: true, set: func(p *flagParser, v string) error { p.stat = v == "true"; return nil }}},
	{"channels", flagSpec{own: true, set: func(p *flagParser, v string) error { p.noChans = v != "true"; return nil }}},
	{"version", flagSpec{own: true, set: func(p *flagParser, v string) error { p.version = v == "true"; return nil }}},
	{"work", flagSpec{own: true, set: func(p *flagParser, v string) error {
		if p.work = v == "true"; p.work {
			p.goFlags = append(p.goFlags, "-work")
		}
		return nil
	}}},
	{"h help", flagSpec{own: true, set: func(*flagParser, string) error { return errHelp }}},
	// -o is go test's -o, or lockdep's former name of -graph: oFlag
	// sorts it out once every flag is read.
	{"o", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.oFile = &v; return nil }}},
	// The go command's that lockdep takes over: it gives go its own.
	{"overlay", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.overlay = v; return nil }}},
	{"mod", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.mod = v; return nil }}},
	{"modfile", flagSpec{own: true, value: true, set: func(p *flagParser, v string) error { p.modfile = v; return nil }}},

	// The go command's build flags, for go test and go run: go gets them
	// as typed.
	{"a n x asan msan race linkshared trimpath modcacherw buildvcs cover", flagSpec{}},
	{"v", flagSpec{binary: true}},
	{"json", flagSpec{set: func(p *flagParser, v string) error { p.goJSON = v == "true"; return nil }}},
	{"p asmflags compiler buildmode gcflags gccgoflags installsuffix ldflags pgo pkgdir toolexec covermode coverpkg exec " +
		"debug-actiongraph debug-runtime-trace debug-trace", flagSpec{value: true}},
	// go test's own.
	{"c", flagSpec{test: true, set: func(p *flagParser, v string) error { p.compileOnly = v == "true"; return nil }}},
	{"vet", flagSpec{test: true, value: true}},
	// go test's flags for the test binary.
	{"artifacts benchmem failfast fullpath short", flagSpec{test: true, binary: true}},
	{"bench benchtime blockprofile blockprofilerate coverprofile cpu cpuprofile fuzz fuzzminimizetime fuzztime list " +
		"memprofile memprofilerate mutexprofile mutexprofilefraction outputdir parallel run shuffle skip timeout trace",
		flagSpec{test: true, binary: true, value: true}},
	{"count", flagSpec{test: true, binary: true, value: true, set: func(p *flagParser, _ string) error { p.count = true; return nil }}},
}

// flagTable is flagRows by name.
var flagTable = func() map[string]flagSpec {
	t := map[string]flagSpec{}
	for _, r := range flagRows {
		for _, name := range strings.Fields(r.names) {
			if _, dup := t[name]; dup {
				panic("flag -" + name + " listed twice")
			}
			t[name] = r.spec
		}
	}
	return t
}()

// lookupFlag returns the flag of lockdep cmd (test or run) named name,
// if there is one.
func lookupFlag(cmd, name string) (flagSpec, bool) {
	f, ok := flagTable[name]
	if n, prefixed := strings.CutPrefix(name, "test."); !ok && prefixed && cmd == "test" {
		f, ok = flagTable[n]
		ok = ok && f.binary
	}
	if !ok || f.test && cmd != "test" {
		return flagSpec{}, false
	}
	return f, true
}

// usageError prints a one-line usage error and the way to the manual.
func usageError(stderr io.Writer, cmd, format string, args ...any) error {
	fmt.Fprintf(stderr, "lockdep %s: %s\nrun 'lockdep help %s'\n", cmd, fmt.Sprintf(format, args...), cmd)
	return errUsage
}

// parseFlags takes a lockdep test or run command line apart the way go
// test and go run take theirs: for test, flags and package patterns in
// any order, up to the first flag go test does not know (it and all after
// it go to the test binary, as -args and what follows does); for run,
// flags, then the package, then the program's arguments. -h returns
// errHelp; a bad flag prints one line and returns errUsage.
func parseFlags(cmd string, args []string, stderr io.Writer) (*options, error) {
	p := &flagParser{options: &options{cmd: cmd, format: "text"}, args: args, stderr: stderr}
	for len(p.args) > 0 {
		a := p.args[0]
		p.args = p.args[1:]
		var err error
		switch {
		case a == "--":
			err = p.dashDash()
		case !strings.HasPrefix(a, "-") || a == "-":
			err = p.positional(a)
		default:
			err = p.flag(a)
		}
		if err != nil {
			return nil, err
		}
	}
	return p.finish()
}

// flagParser is parseFlags at work: the options so far, and where it is
// in the command line. For test, at and bare are the state that go test
// keeps for the same decisions (cmd/go/internal/test/testflag.go): what
// is a package pattern, and what goes to the test binary.
type flagParser struct {
	*options
	args   []string // the arguments not read yet
	stderr io.Writer
	at     targetsState
	bare   bool    // test: the argument read last was an unknown flag without =value, which may take the next
	oFile  *string // -o's file, if given
}

// targetsState is where parseFlags is relative to the package patterns of
// lockdep test.
type targetsState int

const (
	beforeTargets targetsState = iota // none yet
	inTargets                         // the argument read last is one
	afterTargets                      // a flag ended them, or an unknown flag came first: the test binary gets the rest
)

// dashDash takes "--": it and all after it go to the test binary.
func (p *flagParser) dashDash() error {
	if p.cmd == "run" {
		return p.usage("no package to run before --")
	}
	p.tail = append(append(p.tail, "--"), p.args...)
	p.args = nil
	return nil
}

// positional takes an argument that is not a flag: for run, the package
// (or the .go files) and then the program's arguments; for test, a
// package pattern, or what goes to the test binary.
func (p *flagParser) positional(a string) error {
	bare := p.bare
	p.bare = false
	switch {
	case p.cmd == "run":
		n := 0
		if strings.HasSuffix(a, ".go") {
			for n < len(p.args) && strings.HasSuffix(p.args[n], ".go") {
				n++
			}
		}
		p.targets = append([]string{a}, p.args[:n]...)
		p.tail, p.args = p.args[n:], nil
	case p.at == afterTargets && bare:
		p.tail = append(p.tail, a) // a value of the unknown flag before it, perhaps
	case p.at == afterTargets:
		p.tail = append(append(p.tail, a), p.args...)
		p.args = nil
	default:
		p.at = inTargets
		p.targets = append(p.targets, a)
	}
	return nil
}

// flag takes a flag (and the next argument if it is the flag's value):
// go's go to go, values joined (-name=v); lockdep records those it reads.
func (p *flagParser) flag(a string) error {
	p.bare = false
	name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
	f, ok := lookupFlag(p.cmd, name)
	if !ok {
		return p.unknown(a, name, hasValue)
	}
	if p.at == inTargets {
		p.at = afterTargets
	}
	if f.value && !hasValue {
		if len(p.args) == 0 {
			return p.usage("flag needs an argument: -%s", name)
		}
		value, p.args = p.args[0], p.args[1:]
		a = "-" + name + "=" + value
	}
	if !f.own {
		p.goFlags = append(p.goFlags, a)
	}
	if f.set == nil {
		return nil
	}
	if !f.value {
		on := true
		if hasValue {
			var err error
			if on, err = strconv.ParseBool(value); err != nil {
				return p.usage("invalid boolean value %q for -%s", value, name)
			}
		}
		value = strconv.FormatBool(on)
	}
	return f.set(p, value)
}

// unknown takes a flag that neither lockdep nor go knows: go run rejects
// it; go test passes it, and all after -args, to the test binary, and
// takes no package pattern after it.
func (p *flagParser) unknown(a, name string, hasValue bool) error {
	if p.cmd == "run" {
		return p.usage("flag provided but not defined: -%s", name)
	}
	p.at = afterTargets
	if name == "args" {
		p.tail = append(p.tail, p.args...)
		p.args = nil
		return nil
	}
	p.tail = append(p.tail, a)
	p.bare = !hasValue
	return nil
}

// finish checks what only the whole command line says, and returns the
// options.
func (p *flagParser) finish() (*options, error) {
	if p.oFile != nil {
		if err := p.oFlag(*p.oFile, p.stderr); err != nil {
			return nil, err
		}
	}
	if p.cmd == "run" && len(p.targets) == 0 && !p.version {
		return nil, p.usage("no package to run")
	}
	if p.writeBaseline && p.baseline == "" {
		return nil, p.usage("-write-baseline needs -baseline file")
	}
	return p.options, nil
}

// usage prints a one-line usage error and returns errUsage.
func (p *flagParser) usage(format string, args ...any) error {
	return usageError(p.stderr, p.cmd, format, args...)
}

var errHelp = &exitError{code: 0}

// oFlag takes -o file. It is go test's -o (where the test binary goes)
// with -c, or when file does not end in .json, or when -graph is given;
// otherwise it is lockdep's former name of -graph, which still works, for
// one release, with a note on stderr. go run has no -o: there it is
// always the former -graph.
func (o *options) oFlag(file string, stderr io.Writer) error {
	if o.cmd == "test" && (o.compileOnly || !strings.HasSuffix(file, ".json") || o.graph != "") {
		o.goFlags = append(o.goFlags, "-o="+file)
		return nil
	}
	if o.graph != "" {
		return usageError(stderr, o.cmd, "flag provided but not defined: -o (the graph file is -graph)")
	}
	fmt.Fprintf(stderr, "lockdep %s: -o %s: -o for the graph file is deprecated and will be go test's -o: use -graph %s\n", o.cmd, file, file)
	o.graph = file
	return nil
}

// testTimeout returns the -timeout the test processes get, as go test
// decides it: 10 minutes unless GOFLAGS (goflags), the command line, or
// -test.timeout among the test binary's arguments says otherwise, the
// last one winning; 0 for none. A value go test cannot parse counts as
// none: go test reports it.
func (o *options) testTimeout(goflags string) time.Duration {
	value := "10m"
	if v := parseGOFLAGS(goflags)["timeout"]; v != "" {
		value = v
	}
	for _, f := range o.goFlags {
		if name, v, ok := strings.Cut(strings.TrimLeft(f, "-"), "="); ok && (name == "timeout" || name == "test.timeout") {
			value = v
		}
	}
	for i := 0; i < len(o.tail); i++ {
		name, v, ok := strings.Cut(strings.TrimLeft(o.tail[i], "-"), "=")
		if name != "test.timeout" || !strings.HasPrefix(o.tail[i], "-") {
			continue
		}
		if !ok && i+1 < len(o.tail) {
			i++
			v = o.tail[i]
		}
		value = v
	}
	d, err := time.ParseDuration(value)
	if err != nil || d < 0 {
		return 0
	}
	return d
}

// dumpAfter returns when, after start-up, a test process prints every
// goroutine's held locks (LOCKDEP_DUMP_AFTER) so that the dump comes
// before the panic of go test's timeout: a tenth of the timeout, at most
// ten seconds, before it.
func dumpAfter(timeout time.Duration) time.Duration {
	margin := timeout / 10
	if margin > 10*time.Second {
		margin = 10 * time.Second
	}
	return timeout - margin
}
