package lockdep

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// The environment is read once, when the package is initialised.
//
//	LOCKDEP=warn|panic|exit|off    what to do on a finding (default warn)
//	LOCKDEP_JSON=path              append each finding to path as one JSON line
//	LOCKDEP_MAX_CLASSES=n          bound on lock classes
//	LOCKDEP_MAX_DEPENDENCIES=n     bound on dependencies (graph edges)
//	LOCKDEP_MAX_CHAINS=n           bound on cached lock chains
//	LOCKDEP_MAX_DEPTH=n            bound on locks one goroutine holds at once
//	LOCKDEP_MAX_GOROUTINES=n       size of the table of goroutines holding locks
//	LOCKDEP_GRAPH=dir              record classes, dependencies and findings
//	                               in dir for the lockdep command, instead
//	                               of printing reports

type limits struct {
	classes, edges, chains, depth, goroutines int
}

var defaultLimits = limits{classes: 1 << 16, edges: 1 << 20, chains: 1 << 20, depth: 48, goroutines: 1 << 14}

var (
	envLimits = defaultLimits
	envWarn   []string // messages about bad settings, printed once
	graphDir  string   // LOCKDEP_GRAPH
)

func init() {
	c := defaultConfig()
	switch v := strings.ToLower(strings.TrimSpace(os.Getenv("LOCKDEP"))); v {
	case "", "warn", "on", "1":
	case "panic":
		c.mode = Panic
	case "exit":
		c.mode = Exit
	case "off", "0":
		c.mode = Off
	default:
		envWarn = append(envWarn, fmt.Sprintf("lockdep: LOCKDEP=%q is not one of warn, panic, exit, off; using warn", v))
	}
	c.jsonPath = os.Getenv("LOCKDEP_JSON")
	if graphDir = os.Getenv("LOCKDEP_GRAPH"); graphDir != "" {
		// The lockdep command prints the merged findings itself.
		c.out = io.Discard
	}
	for _, l := range []struct {
		name string
		p    *int
	}{
		{"LOCKDEP_MAX_CLASSES", &envLimits.classes},
		{"LOCKDEP_MAX_DEPENDENCIES", &envLimits.edges},
		{"LOCKDEP_MAX_CHAINS", &envLimits.chains},
		{"LOCKDEP_MAX_DEPTH", &envLimits.depth},
		{"LOCKDEP_MAX_GOROUTINES", &envLimits.goroutines},
	} {
		s := os.Getenv(l.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			envWarn = append(envWarn, fmt.Sprintf("lockdep: %s=%q is not a positive integer; using %d", l.name, s, *l.p))
			continue
		}
		*l.p = n
	}
	cfg.Store(c)
	for _, w := range envWarn {
		fmt.Fprintln(os.Stderr, w)
	}
	if c.mode != Off {
		setActive(theValidator())
	}
}
