package engine

import (
	"sync"
	"unsafe"
)

// OnceDo validates o.Do(f), called at pc or site, as a lock of class c
// around f, at o's address, then calls it: the locks the goroutine holds
// come before the Once, which comes before the locks f takes, so that
// o.Do under L where f takes L is the cycle L → O → L. A Do already done
// counts as well: in another run, it would have waited for the first
// one's f. A Do inside f of the same Once is recursive locking, a
// certain self-deadlock: the goroutine blocks for good in the Once's own
// lock, as it would without the validator, and the finding is reported
// after the settle time, or when the process or a test ends (Settle).
// The Once is released when Do returns, or panics.
func (v *Engine) OnceDo(o *sync.Once, f func(), c *Class, pc uintptr, site *Site) {
	if _, st := v.table.Current(); st != nil && len(st.Entries) == 0 && !v.timing.Load() {
		// Holding nothing, a Do orders nothing before the Once: only
		// its function, if it runs, is to be validated. A Do already
		// done costs a lookup of the goroutine.
		o.Do(func() { v.onceRun(o, f, c, pc, site) })
		return
	}
	st, p := v.Acquire(unsafe.Pointer(o), c, 0, Write, false, pc, site)
	if st == nil {
		o.Do(f)
		return
	}
	// Held before f runs: the entry is the top one until then.
	st.Held()
	defer v.onceDone(o, c, pc, site)
	if len(p) == 0 {
		o.Do(f)
		return
	}
	// Findings wait for confirmation: this goroutine waits, as for a
	// lock, until Do runs f or returns.
	w := v.block(p)
	o.Do(func() {
		v.unblock(w)
		w = nil
		f()
	})
	if w != nil {
		v.unblock(w)
	}
}

// onceDone releases the pseudo-lock of a Do.
func (v *Engine) onceDone(o *sync.Once, c *Class, pc uintptr, site *Site) {
	v.EndRegion(addrOf(o), c, pc, site)
}

// onceRun runs f, the function of a Do of o made holding nothing, inside
// the Once's pseudo-lock: the locks f takes come after the Once, and a Do
// of o inside f is recursive. Acquired while holding nothing, the
// pseudo-lock has no finding to wait for.
func (v *Engine) onceRun(o *sync.Once, f func(), c *Class, pc uintptr, site *Site) {
	st, _ := v.Acquire(unsafe.Pointer(o), c, 0, Write, false, pc, site)
	if st == nil {
		f()
		return
	}
	st.Held()
	defer v.onceDone(o, c, pc, site)
	f()
}
