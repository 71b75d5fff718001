package lockdep

import (
	"unsafe"

	"github.com/golockdep/lockdep/internal/held"
	"github.com/golockdep/lockdep/internal/hook"
)

// The operations package lockdepimpl performs for rewritten code on plain
// sync locks: the same validation as Mutex and RWMutex, by address.
func init() {
	hook.NewClass = func(name string) unsafe.Pointer { return unsafe.Pointer(NewClass(name)) }
	hook.Acquire = func(addr uintptr, class unsafe.Pointer, read, try bool) *held.Stack {
		if v := active.Load(); v != nil {
			return v.acquire(addr, (*Class)(class), 0, modeOf(read), try)
		}
		return nil
	}
	hook.Release = func(addr uintptr, read bool) bool {
		if v := active.Load(); v != nil {
			return v.release(addr, modeOf(read))
		}
		return true
	}
	hook.Holds = func(addr uintptr, read bool) bool {
		if v := active.Load(); v != nil {
			return v.holds(addr, modeOf(read))
		}
		return false
	}
	hook.Handoff = func(addr uintptr, read bool) {
		if v := active.Load(); v != nil {
			v.handoff(addr, modeOf(read))
		}
	}
	hook.BadUnlock = func(addr uintptr, class unsafe.Pointer, mode, detail string) {
		if v := active.Load(); v != nil {
			v.badUnlock(addr, (*Class)(class), mode, detail)
		}
	}
}

// setActive turns validation on (v != nil) or off.
func setActive(v *validator) {
	active.Store(v)
	hook.On.Store(v != nil)
}
