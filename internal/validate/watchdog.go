package validate

import "time"

// The watchdog (LOCKDEP_TIMEOUT, off by default) reports a goroutine that
// waits longer than the timeout for one lock (engine.ReportLongWaits). It
// costs nothing while off; while on, the engine registers the waits of
// blocking acquisitions that find their lock taken, and the watchdog
// looks at them a few times per timeout.

func (v *Validator) startWatchdog() {
	v.watchdog.Do(func() { go v.watch() })
}

// watch checks the waits a few times per timeout, for as long as v is
// the process's validator.
func (v *Validator) watch() {
	for {
		d := time.Duration(v.timeout.Load())
		tick := d / 4
		switch {
		case d <= 0:
			tick = time.Second
		case tick < 10*time.Millisecond:
			tick = 10 * time.Millisecond
		case tick > time.Second:
			tick = time.Second
		}
		time.Sleep(tick)
		if v.Dead() || Current() != v {
			return
		}
		if d > 0 {
			v.ReportLongWaits(d)
		}
	}
}
