package validate

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/validate/engine"
	"github.com/golockdep/lockdep/report"
)

// The engine's names, for the lock types and rewritten code.
type (
	Class     = engine.Class
	Site      = engine.Site
	Limits    = engine.Limits
	MutexLock = engine.MutexLock
	RWLock    = engine.RWLock
)

// The modes of an acquisition or release.
const (
	Write = engine.Write
	Read  = engine.Read
)

// MaxSubclasses is the number of subclasses of a class: LockNested takes
// a subclass in [0, MaxSubclasses).
const MaxSubclasses = engine.MaxSubclasses

// DefaultLimits are the bounds when no LOCKDEP_MAX_* variable is set.
var DefaultLimits = engine.DefaultLimits

// InstanceClass returns the class of a lock used without one: named after
// kind and where it is first locked (pc, or the caller's caller if 0).
func InstanceClass(kind string, pc uintptr) *Class { return engine.InstanceClass(kind, pc) }

// DefaultSettle is how long an acquisition that made a pending finding
// waits for its lock (letting a hand-off complete) before the finding is
// reported as a deadlock in progress, unless LOCKDEP_SETTLE says
// otherwise. A real deadlock never ends, so a long wait costs nothing but
// the report's delay (and the end of the process reports it earlier); a
// short one would take a hand-over whose new holder is slow for one.
const DefaultSettle = 5 * time.Second

// Validator is the process's validator: an engine, and what the process
// does with what it finds.
type Validator struct {
	engine.Engine // first: the lock types reach it at the Validator's address

	events     *events.Writer // LOCKDEP_EVENTS: the record for the lockdep command
	graphDirty chan struct{}  // LOCKDEP_GRAPH: see graphfile.go

	timeout     atomic.Int64 // the watchdog's, in nanoseconds; 0: off
	watchdog    sync.Once
	statsWriter sync.Once

	emitMu     sync.Mutex // serialises printing
	jsonFile   *os.File
	jsonFailed bool
}

// New returns a validator with the given bounds; it records events in
// LOCKDEP_EVENTS's directory if that is set.
func New(l Limits) *Validator {
	v := new(Validator)
	o := engine.Options{Limits: l, Settings: settings, Host: host{v}, Log: os.Stderr}
	if eventsDir != "" {
		v.events = events.NewWriter(eventsDir)
		v.events.Start()
		o.Record = v.events
	}
	v.Init(o)
	if graphPath != "" {
		v.startGraphWriter(graphPath, graphSig)
	}
	return v
}

// host is the validator as its engine's host.
type host struct{ v *Validator }

// Emit delivers findings: see emit.
func (h host) Emit(reps []report.Report) { h.v.emit(reps) }

// Changed notes that the graph file needs writing again.
func (h host) Changed() { h.v.changed() }

// Stopped turns validation off for the lock types: a bound was hit.
func (h host) Stopped() { active.CompareAndSwap(h.v, nil) }

// SettleTime returns the configuration's settle time.
func (h host) SettleTime() time.Duration { return cfg.Load().settle() }

// setTiming turns lock statistics and the watchdog (timeout > 0) on or
// off.
func (v *Validator) setTiming(stats bool, timeout time.Duration) {
	v.timeout.Store(int64(timeout))
	v.SetTiming(stats, timeout > 0)
	if timeout > 0 {
		v.startWatchdog()
	}
	if stats && v.events != nil {
		v.startStatsWriter()
	}
}
