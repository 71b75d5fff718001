// Package hook connects package lockdepimpl, which rewritten code calls,
// to the validator in package lockdep, which sets these at initialisation.
// It exists so that neither package exports its internals.
package hook

import (
	"sync/atomic"
	"unsafe"

	"github.com/golockdep/lockdep/internal/held"
)

// On is true while validation is on: one load and a branch when it is off.
var On atomic.Bool

// The validator's operations. class is a *lockdep.Class.
var (
	NewClass  func(name string) unsafe.Pointer
	Acquire   func(addr uintptr, class unsafe.Pointer, read, try bool) *held.Stack
	Release   func(addr uintptr, read bool) bool
	Holds     func(addr uintptr, read bool) bool
	Handoff   func(addr uintptr, read bool)
	BadUnlock func(addr uintptr, class unsafe.Pointer, mode, detail string)
)
