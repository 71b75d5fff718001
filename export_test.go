package lockdep

import "io"

// Limits exposes the validator's bounds to tests.
type Limits = limits

// DefaultLimits are the bounds without LOCKDEP_MAX_* settings.
var DefaultLimits = defaultLimits

// Fresh installs a new validator with the given bounds, in Warn mode with
// text output discarded, and returns a function that restores the previous
// configuration and validator. Tests using it must not run in parallel.
func Fresh(l Limits, opts ...Option) (restore func()) {
	validatorMu.Lock()
	prev, prevActive := current, active.Load()
	current = newValidator(l)
	validatorMu.Unlock()
	prevCfg := cfg.Load()
	cfg.Store(defaultConfig())
	Configure(append([]Option{Warn, Output(io.Discard)}, opts...)...)
	return func() {
		cfg.Store(prevCfg)
		validatorMu.Lock()
		current = prev
		validatorMu.Unlock()
		setActive(prevActive)
	}
}

// SetExit replaces os.Exit for the Exit mode.
func SetExit(f func(int)) (restore func()) {
	prev := exit
	exit = f
	return func() { exit = prev }
}

// SetLimitsForTest sets the field names of Limits.
func NewLimits(classes, edges, chains, depth, goroutines int) Limits {
	return limits{classes: classes, edges: edges, chains: chains, depth: depth, goroutines: goroutines}
}

// Stats returns the validator's class, edge and chain counts.
func Stats() (classes, edges, chains int) {
	v := theValidator()
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.g.NumClasses(), v.g.NumEdges(), v.g.Chains.Len()
}

// Traces returns how many stacks the validator keeps.
func Traces() int {
	v := theValidator()
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.traces)
}
