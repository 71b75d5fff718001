package validate

import "time"

// The lockdep command reads each process's statistics from its event
// record (lockdep test -stat): while statistics are on, a snapshot is
// written a tenth of a second after acquisitions were counted, and by
// Flush.

// statsDelay is how often the statistics are written, at most.
const statsDelay = 100 * time.Millisecond

// startStatsWriter writes statistics snapshots to the event record for as
// long as v is the process's validator.
func (v *Validator) startStatsWriter() {
	v.statsWriter.Do(func() {
		go func() {
			var last uint64
			for {
				time.Sleep(statsDelay)
				if Current() != v || v.Dead() {
					return
				}
				if n := v.Acquisitions(); n != last {
					last = n
					v.Flush()
				}
			}
		}()
	})
}

// Flush writes what a process leaves for others now: its statistics to
// the lockdep command's record, and its graph file (LOCKDEP_GRAPH).
func (v *Validator) Flush() {
	if v.events != nil && v.StatsOn() {
		v.RecordStats()
	}
	if graphPath != "" {
		v.WriteGraph(graphPath)
	}
}
