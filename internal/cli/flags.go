package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// options are lockdep's own flags; the rest of the command line goes to go
// test or to the program.
type options struct {
	cmd     string // test or run
	dir     string
	tags    string
	pkgs    []string
	json    bool
	sarif   string
	out     string
	work    bool
	targets []string // package patterns (test) or the package (run)
	rest    []string // go test flags, or the program's arguments

	// The -baseline file of known findings; -write-baseline makes the
	// run write it (baseline.go).
	baseline      string
	writeBaseline bool
}

// parseFlags parses lockdep's flags, then splits what follows into
// package patterns and the rest. A bad flag prints one line and returns
// errUsage; -h prints the manual and returns errHelp.
func parseFlags(cmd string, args []string, stderr io.Writer) (*options, error) {
	o := &options{cmd: cmd}
	fs := flag.NewFlagSet("lockdep "+cmd, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.dir, "C", "", "")
	fs.StringVar(&o.tags, "tags", "", "")
	pkgs := fs.String("pkg", "", "")
	fs.BoolVar(&o.json, "json", false, "")
	fs.StringVar(&o.sarif, "sarif", "", "")
	fs.StringVar(&o.out, "o", "", "")
	fs.BoolVar(&o.work, "work", false, "")
	fs.StringVar(&o.baseline, "baseline", "", "")
	fs.BoolVar(&o.writeBaseline, "write-baseline", false, "")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, errHelp
		}
		fmt.Fprintf(stderr, "lockdep %s: %v\nrun 'lockdep help %s'\n", cmd, err, cmd)
		return nil, errUsage
	}
	if o.writeBaseline && o.baseline == "" {
		fmt.Fprintf(stderr, "lockdep %s: -write-baseline needs -baseline file\nrun 'lockdep help %s'\n", cmd, cmd)
		return nil, errUsage
	}
	if *pkgs != "" {
		o.pkgs = strings.Split(*pkgs, ",")
	}
	rest := fs.Args()
	switch cmd {
	case "test":
		// Package patterns come first; the first flag starts go test's
		// part of the command line.
		i := 0
		for i < len(rest) && !strings.HasPrefix(rest[i], "-") {
			i++
		}
		o.targets, o.rest = rest[:i], rest[i:]
		if len(o.targets) == 0 {
			o.targets = []string{"."}
		}
	case "run":
		if len(rest) == 0 {
			fmt.Fprintf(stderr, "lockdep run: no package to run\nrun 'lockdep help run'\n")
			return nil, errUsage
		}
		o.targets, o.rest = rest[:1], rest[1:]
	}
	return o, nil
}

var errHelp = &exitError{code: 0}
