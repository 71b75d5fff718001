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
