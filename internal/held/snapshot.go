package held

// Snap is what one goroutine held when Snapshot looked.
type Snap struct {
	Gid     int64
	Entries []Entry // oldest first; locks pushed but not held yet excluded
	// Waits are the locks pushed but not held yet: the lock the
	// goroutine waits for, if it is blocked in a Lock. Event is the
	// event it waited for last (see Stack.Waiting), which it may still
	// wait for.
	Waits   []Entry
	Event   Recent
	Deepest int // the most locks it has held at once
}

// Snapshot returns what every goroutine with a held stack holds, for the
// held-lock dump and the watchdog's report. A stack is private to its
// goroutine, so this reads memory that goroutine may be writing: it is
// for diagnosis, of goroutines that are usually stuck, and a goroutine
// that runs meanwhile may show a torn or stale stack. It never crashes
// on one: a stack that does not read back sound is left out.
func (t *Table) Snapshot() []Snap { return t.snapshot(false) }

// SnapshotAll is Snapshot with the goroutines that hold nothing, those
// that wait for a lock among them.
func (t *Table) SnapshotAll() []Snap { return t.snapshot(true) }

// snapshot is Snapshot, with the goroutines that hold nothing if all.
func (t *Table) snapshot(all bool) []Snap {
	var out []Snap
	for i := range t.slots {
		s := &t.slots[i]
		if s.owner.Load() == 0 {
			continue
		}
		st := s.st.Load()
		if st == nil {
			continue
		}
		if snap, ok := readStack(st); ok && (len(snap.Entries) > 0 || len(snap.Waits) > 0 || snap.Event.Class != 0 || all) {
			out = append(out, snap)
		}
	}
	return out
}

// readStack copies st's entries without the race detector's instrument:
// the read races with the owner by design (see Snapshot).
//
//go:norace
func readStack(st *Stack) (snap Snap, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	es := st.Entries
	if len(es) > cap(es) || len(es) > 1<<12 {
		return Snap{}, false
	}
	snap.Gid, snap.Deepest, snap.Event = st.Gid, st.deepest, st.waitingFor
	for _, e := range es {
		if e.seq != waiting {
			snap.Entries = append(snap.Entries, e)
		} else {
			snap.Waits = append(snap.Waits, e)
		}
	}
	return snap, true
}

// InUse returns how many slots goroutines own.
func (t *Table) InUse() int {
	n := 0
	for i := range t.slots {
		if t.slots[i].owner.Load() != 0 {
			n++
		}
	}
	return n
}

// Slots returns the number of slots.
func (t *Table) Slots() int { return len(t.slots) }

// Deepest returns the most locks a goroutine with a slot has held at once,
// as far as a Snapshot sees.
func (t *Table) Deepest() int {
	n := 0
	for _, s := range t.snapshot(true) {
		if s.Deepest > n {
			n = s.Deepest
		}
	}
	return n
}
