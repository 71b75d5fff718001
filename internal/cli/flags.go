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

// ownFlags are lockdep's flags, recognised by name anywhere before the
// test binary's or program's arguments; true for those taking a value.
// None means something else to go test or go run: -C, -tags and -h are
// the go command's too, and -work keeps both lockdep's temporary
// directory and go's. (-o was lockdep's name for -graph; see oFlag.)
var ownFlags = map[string]bool{
	"C": true, "tags": true, "pkg": true, "format": true, "sarif": true, "graph": true,
	"baseline": true, "write-baseline": false, "stat": false,
	"work": false, "version": false, "h": false, "help": false,
}

// goFlags lists the go command's flags for test and run (Go 1.26): true
// for those taking a value. go test passes the flags it does not know to
// the test binary; go run rejects them.
var (
	buildFlags = map[string]bool{
		"a": false, "n": false, "x": false, "v": false, "asan": false, "msan": false, "race": false,
		"linkshared": false, "trimpath": false, "modcacherw": false, "buildvcs": false, "cover": false,
		"json": false, "work": false,
		"p": true, "asmflags": true, "compiler": true, "buildmode": true, "gcflags": true,
		"gccgoflags": true, "mod": true, "modfile": true, "overlay": true, "installsuffix": true,
		"ldflags": true, "pgo": true, "pkgdir": true, "tags": true, "toolexec": true,
		"covermode": true, "coverpkg": true, "exec": true, "C": true,
		"debug-actiongraph": true, "debug-runtime-trace": true, "debug-trace": true,
	}
	// testBinaryFlags are go test's flags that it passes to the test
	// binary; each may also be spelled -test.name.
	testBinaryFlags = map[string]bool{
		"artifacts": false, "benchmem": false, "failfast": false, "fullpath": false, "short": false, "v": false,
		"bench": true, "benchtime": true, "blockprofile": true, "blockprofilerate": true, "count": true,
		"coverprofile": true, "cpu": true, "cpuprofile": true, "fuzz": true, "fuzzminimizetime": true,
		"fuzztime": true, "list": true, "memprofile": true, "memprofilerate": true, "mutexprofile": true,
		"mutexprofilefraction": true, "outputdir": true, "parallel": true, "run": true, "shuffle": true,
		"skip": true, "timeout": true, "trace": true,
	}
	testOnlyFlags = map[string]bool{"c": false, "o": true, "vet": true}
)

// goFlag reports whether name is a flag of go cmd, and whether it takes a
// value.
func goFlag(cmd, name string) (known, takesValue bool) {
	if v, ok := buildFlags[name]; ok {
		return true, v
	}
	if cmd != "test" {
		return false, false
	}
	if v, ok := testOnlyFlags[name]; ok {
		return true, v
	}
	if v, ok := testBinaryFlags[strings.TrimPrefix(name, "test.")]; ok {
		return true, v
	}
	return false, false
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
	o := &options{cmd: cmd, format: "text"}
	inTargets, targetsDone, afterBareFlag := false, false, false
	var oValue string // -o, which oFlag sorts out
	oSet := false
	var err error
	for i := 0; i < len(args); i++ {
		a := args[i]
		wasAfterBareFlag := afterBareFlag
		afterBareFlag = false
		if a == "--" {
			if cmd == "run" {
				return nil, usageError(stderr, cmd, "no package to run before --")
			}
			o.tail = append(o.tail, args[i:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if cmd == "run" {
				// The package, or the .go files, then the program's arguments.
				j := i + 1
				if strings.HasSuffix(a, ".go") {
					for j < len(args) && strings.HasSuffix(args[j], ".go") {
						j++
					}
				}
				o.targets, o.tail = args[i:j], args[j:]
				break
			}
			if !inTargets && targetsDone {
				if wasAfterBareFlag {
					// A value of the unknown flag before it, perhaps.
					o.tail = append(o.tail, a)
					continue
				}
				o.tail = append(o.tail, args[i:]...)
				break
			}
			inTargets, targetsDone = true, true
			o.targets = append(o.targets, a)
			continue
		}
		inTargets = false
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-"), "=")
		takeValue := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", usageError(stderr, cmd, "flag needs an argument: -%s", name)
			}
			i++
			return args[i], nil
		}
		boolValue := func() (bool, error) {
			if !hasValue {
				return true, nil
			}
			b, err := strconv.ParseBool(value)
			if err != nil {
				return false, usageError(stderr, cmd, "invalid boolean value %q for -%s", value, name)
			}
			return b, nil
		}
		if takes, own := ownFlags[name]; own {
			var v string
			var b bool
			var err error
			if takes {
				v, err = takeValue()
			} else {
				b, err = boolValue()
			}
			if err != nil {
				return nil, err
			}
			switch name {
			case "C":
				o.dir = v
			case "tags":
				o.tags = v
			case "pkg":
				o.pkgs = append(o.pkgs, strings.Split(v, ",")...)
			case "format":
				if err := checkFormat(stderr, cmd, v); err != nil {
					return nil, err
				}
				o.format = v
			case "sarif":
				o.sarif = v
			case "graph":
				o.graph = v
			case "baseline":
				o.baseline = v
			case "write-baseline":
				o.writeBaseline = b
			case "stat":
				o.stat = b
			case "work":
				o.work = b
				if b {
					o.goFlags = append(o.goFlags, "-work")
				}
			case "version":
				o.version = b
			case "h", "help":
				return nil, errHelp
			}
			continue
		}
		if name == "o" {
			if oValue, err = takeValue(); err != nil {
				return nil, err
			}
			oSet = true
			continue
		}
		known, takes := goFlag(cmd, name)
		if !known {
			if cmd == "run" {
				return nil, usageError(stderr, cmd, "flag provided but not defined: -%s", name)
			}
			// The test binary's, as go test decides: no package patterns
			// after it.
			targetsDone = true
			if name == "args" {
				o.tail = append(o.tail, args[i+1:]...)
				break
			}
			o.tail = append(o.tail, a)
			afterBareFlag = !hasValue
			continue
		}
		v := value
		if takes && !hasValue {
			var err error
			if v, err = takeValue(); err != nil {
				return nil, err
			}
			a = "-" + name + "=" + v
		}
		switch name {
		case "overlay":
			o.overlay = v
		case "mod":
			o.mod = v
		case "modfile":
			o.modfile = v
		case "json":
			b, err := boolValue()
			if err != nil {
				return nil, err
			}
			o.goJSON = b
			o.goFlags = append(o.goFlags, a)
		case "count", "test.count":
			o.count = true
			o.goFlags = append(o.goFlags, a)
		case "c":
			b, err := boolValue()
			if err != nil {
				return nil, err
			}
			o.compileOnly = b
			o.goFlags = append(o.goFlags, a)
		default:
			o.goFlags = append(o.goFlags, a)
		}
	}
	if oSet {
		if err := o.oFlag(oValue, stderr); err != nil {
			return nil, err
		}
	}
	if cmd == "run" && len(o.targets) == 0 && !o.version {
		return nil, usageError(stderr, cmd, "no package to run")
	}
	if o.writeBaseline && o.baseline == "" {
		return nil, usageError(stderr, cmd, "-write-baseline needs -baseline file")
	}
	return o, nil
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
