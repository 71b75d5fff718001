package validate

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golockdep/lockdep/internal/validate/engine"
	"github.com/golockdep/lockdep/report"
)

// Mode says what the validator does on a finding.
type Mode int

const (
	Warn  Mode = iota // print and carry on
	Panic             // print, then panic with the Report
	Exit              // print, then exit with status 66
	Off               // do not validate
)

// Config is the validator's configuration. A published Config is never
// changed; Configure swaps it as a whole.
type Config struct {
	Mode     Mode
	Out      io.Writer // text of each finding; never nil
	JSONPath string    // LOCKDEP_JSON: also append each finding there
	OnReport func(report.Report)
	Stats    bool          // LOCKDEP_STAT: keep lock statistics
	Timeout  time.Duration // LOCKDEP_TIMEOUT: the watchdog's; 0 is off
	// Settle is LOCKDEP_SETTLE, how long an acquisition that made a
	// pending finding waits for its lock before the finding is reported as
	// a deadlock in progress; 0 means DefaultSettle.
	Settle time.Duration
}

// settle returns c's settle time.
func (c *Config) settle() time.Duration {
	if c.Settle > 0 {
		return c.Settle
	}
	return DefaultSettle
}

// settings names, per bound, the variable that raises it.
var settings = engine.Settings{
	Classes:      "LOCKDEP_MAX_CLASSES",
	Dependencies: "LOCKDEP_MAX_DEPENDENCIES",
	Chains:       "LOCKDEP_MAX_CHAINS",
	Depth:        "LOCKDEP_MAX_DEPTH",
	Goroutines:   "LOCKDEP_MAX_GOROUTINES",
}

var (
	cfg       atomic.Pointer[Config]
	configure sync.Mutex // serialises Configure

	// The process's validator: current is made at start-up (or by
	// Configure); active points to it while validation is on, and the
	// lock methods test it once per operation, so Off costs one branch.
	active      atomic.Pointer[Validator]
	validatorMu sync.Mutex
	current     *Validator

	envLimits = DefaultLimits
	eventsDir string // LOCKDEP_EVENTS
	graphPath string // LOCKDEP_GRAPH
	graphSig  string // LOCKDEP_GRAPH_SIGNAL
)

// Active returns the validator while validation is on, or nil.
func Active() *Validator { return active.Load() }

// Current returns the process's validator, on or off (nil if it was never
// made).
func Current() *Validator {
	validatorMu.Lock()
	defer validatorMu.Unlock()
	return current
}

// Configure applies f to a copy of the configuration and publishes it,
// turning validation on or off to match its Mode. Once a bound has
// switched the validator off, it stays off.
func Configure(f func(*Config)) {
	configure.Lock()
	defer configure.Unlock()
	c := *cfg.Load()
	f(&c)
	if c.Out == nil {
		c.Out = io.Discard
	}
	cfg.Store(&c)
	if c.Mode == Off {
		active.Store(nil)
		return
	}
	validatorMu.Lock()
	if current == nil {
		current = New(envLimits)
	}
	v := current
	validatorMu.Unlock()
	v.setTiming(c.Stats, c.Timeout)
	if !v.Dead() {
		active.Store(v)
	}
}

// Replace installs v as the process's validator with configuration c, and
// returns a function that restores the previous ones. It is for tests.
func Replace(v *Validator, c Config) (restore func()) {
	configure.Lock()
	defer configure.Unlock()
	validatorMu.Lock()
	prev, prevActive, prevCfg := current, active.Load(), cfg.Load()
	current = v
	validatorMu.Unlock()
	if c.Out == nil {
		c.Out = io.Discard
	}
	cfg.Store(&c)
	if v != nil {
		v.setTiming(c.Stats, c.Timeout)
	}
	if c.Mode != Off && v != nil && !v.Dead() {
		active.Store(v)
	} else {
		active.Store(nil)
	}
	return func() {
		configure.Lock()
		defer configure.Unlock()
		validatorMu.Lock()
		current = prev
		validatorMu.Unlock()
		cfg.Store(prevCfg)
		active.Store(prevActive)
	}
}

// The environment is read once, when the package is initialised:
//
//	LOCKDEP=warn|panic|exit|off    what to do on a finding (default warn)
//	LOCKDEP_JSON=path              append each finding to path as one JSON line
//	LOCKDEP_MAX_CLASSES=n          bound on lock classes
//	LOCKDEP_MAX_DEPENDENCIES=n     bound on dependencies (graph edges)
//	LOCKDEP_MAX_CHAINS=n           bound on cached lock chains
//	LOCKDEP_MAX_DEPTH=n            bound on locks one goroutine holds at once
//	LOCKDEP_MAX_GOROUTINES=n       size of the table of goroutines holding locks
//	LOCKDEP_STAT=1                 keep lock statistics per class
//	LOCKDEP_TIMEOUT=duration       report a goroutine that waits longer for a lock
//	LOCKDEP_SETTLE=duration        report a deadlock in progress after that long
//	LOCKDEP_SIGQUIT=1              print every goroutine's held locks on SIGQUIT
//	LOCKDEP_DUMP_AFTER=duration    print them once, that long after start-up
//	LOCKDEP_GRAPH=path             keep the graph file at path up to date
//	LOCKDEP_GRAPH_SIGNAL=name      also write it on this signal (USR1, HUP...)
//	LOCKDEP_EVENTS=dir             (set by the lockdep command) record classes,
//	                               dependencies and findings in dir, instead
//	                               of printing reports
func init() {
	c, warns := fromEnv(os.Getenv)
	cfg.Store(c)
	if c.Mode != Off {
		validatorMu.Lock()
		current = New(envLimits)
		validatorMu.Unlock()
		current.setTiming(c.Stats, c.Timeout)
		active.Store(current)
	}
	// The dumps' timers and handler find the validator made above.
	warns = append(warns, startDumps(os.Getenv)...)
	for _, w := range warns {
		fmt.Fprintln(os.Stderr, w)
	}
}

// fromEnv reads the configuration and bounds from the environment; it
// returns a message for each bad setting.
func fromEnv(getenv func(string) string) (*Config, []string) {
	var warns []string
	c := &Config{Mode: Warn, Out: os.Stderr}
	switch v := strings.ToLower(strings.TrimSpace(getenv("LOCKDEP"))); v {
	case "", "warn", "on", "1":
	case "panic":
		c.Mode = Panic
	case "exit":
		c.Mode = Exit
	case "off", "0":
		c.Mode = Off
	default:
		warns = append(warns, fmt.Sprintf("lockdep: LOCKDEP=%q is not one of warn, panic, exit, off; using warn", v))
	}
	c.JSONPath = getenv("LOCKDEP_JSON")
	switch v := strings.TrimSpace(getenv("LOCKDEP_CHANNELS")); v {
	case "":
	case "0", "off", "false":
		channels.Store(channelsOff)
	case "1", "on", "true":
		channels.Store(channelsOn)
	default:
		channels.Store(channelsOn)
		warns = append(warns, fmt.Sprintf("lockdep: LOCKDEP_CHANNELS=%q is not 1 or 0; channel operations are validated", v))
	}
	switch v := strings.TrimSpace(getenv("LOCKDEP_STAT")); v {
	case "", "0", "off", "false":
	case "1", "on", "true":
		c.Stats = true
	default:
		warns = append(warns, fmt.Sprintf("lockdep: LOCKDEP_STAT=%q is not 1 or 0; statistics are off", v))
	}
	if v := strings.TrimSpace(getenv("LOCKDEP_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			warns = append(warns, fmt.Sprintf("lockdep: LOCKDEP_TIMEOUT=%q is not a duration such as 30s; the watchdog is off", v))
		} else {
			c.Timeout = d
		}
	}
	if v := strings.TrimSpace(getenv("LOCKDEP_SETTLE")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			warns = append(warns, fmt.Sprintf("lockdep: LOCKDEP_SETTLE=%q is not a positive duration such as 5s; using %s", v, DefaultSettle))
		} else {
			c.Settle = d
		}
	}
	graphPath, graphSig = getenv("LOCKDEP_GRAPH"), getenv("LOCKDEP_GRAPH_SIGNAL")
	if eventsDir = getenv("LOCKDEP_EVENTS"); eventsDir != "" {
		// The lockdep command prints the merged findings itself.
		c.Out = io.Discard
	}
	envLimits = DefaultLimits
	for _, l := range []struct {
		name string
		p    *int
	}{
		{"LOCKDEP_MAX_CLASSES", &envLimits.Classes},
		{"LOCKDEP_MAX_DEPENDENCIES", &envLimits.Dependencies},
		{"LOCKDEP_MAX_CHAINS", &envLimits.Chains},
		{"LOCKDEP_MAX_DEPTH", &envLimits.Depth},
		{"LOCKDEP_MAX_GOROUTINES", &envLimits.Goroutines},
	} {
		s := getenv(l.name)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			warns = append(warns, fmt.Sprintf("lockdep: %s=%q is not a positive integer; using %d", l.name, s, *l.p))
			continue
		}
		*l.p = n
	}
	return c, warns
}

// channels says whether channel operations are validated: on unless
// turned off (LOCKDEP_CHANNELS=0, the lockdep command's -channels=false).
// Unset, it is read from the environment at the first channel
// operation, so that a program (a benchmark) may set LOCKDEP_CHANNELS in
// its own init.
var channels atomic.Int32

const (
	channelsUnset int32 = iota
	channelsOff
	channelsOn
)

// Channels reports whether channel operations are validated.
func Channels() bool {
	c := channels.Load()
	if c == channelsUnset {
		c = channelsOn
		switch strings.TrimSpace(os.Getenv("LOCKDEP_CHANNELS")) {
		case "0", "off", "false":
			c = channelsOff
		}
		channels.CompareAndSwap(channelsUnset, c)
		c = channels.Load()
	}
	return c == channelsOn
}

// SetChannels turns the validation of channel operations on or off, and
// returns whether it was on: for tests.
func SetChannels(on bool) bool {
	was := Channels()
	c := channelsOff
	if on {
		c = channelsOn
	}
	channels.Store(c)
	return was
}
