package stack

import (
	"runtime"
	"unsafe"
)

// The acquisition site of every lock the validator tracks is the return
// address into the code that called Lock: one load through the frame
// pointer, about a nanosecond, where runtime.Callers costs a hundred. Go
// keeps frame pointers on amd64 and arm64: a frame's saved frame pointer
// is at the address the frame pointer holds, the return address one word
// above. That is checked once, at start-up, against runtime.Callers; if
// the check fails (or on other architectures) Caller returns 0 and
// reports fall back to a label that says what they show instead.

// exact is set once the frame-pointer read has been checked.
var exact = verifyCaller()

// Exact reports whether Caller returns exact call sites.
func Exact() bool { return exact }

// Caller returns the return address into the function that called the
// function calling Caller, which must not be inlined (mark it
// //go:noinline); 0 if not Exact. Pass it to FrameOf.
func Caller() uintptr {
	if !exact {
		return 0
	}
	return returnPC(getfp())
}

// returnPC returns the return address of the frame whose frame pointer is
// fp.
func returnPC(fp unsafe.Pointer) uintptr {
	return *(*uintptr)(unsafe.Add(fp, unsafe.Sizeof(uintptr(0))))
}

// FrameOf returns the frame of a return address from Caller, or of any
// program counter runtime.Callers returns: inlined calls expanded, the
// innermost frame that is not the validator's own.
func FrameOf(pc uintptr) (Frame, bool) {
	if pc == 0 {
		return Frame{}, false
	}
	fs := Frames([]uintptr{pc})
	if len(fs) == 0 {
		return Frame{}, false
	}
	return fs[0], true
}

// probeCaller is the check's stand-in for a lock method: it returns what
// Caller and runtime.Callers say about its caller.
//
//go:noinline
func probeCaller() (fast, slow uintptr) {
	var local uintptr
	fp := getfp()
	// A frame pointer lies just above this frame's locals; anything else
	// means there is none to follow.
	if d := uintptr(fp) - uintptr(unsafe.Pointer(&local)); fp == nil || d > 1<<12 {
		return 0, 1
	}
	fast = returnPC(fp)
	var pcs [1]uintptr
	runtime.Callers(2, pcs[:])
	return fast, pcs[0]
}

//go:noinline
func probeViaClosure() (fast, slow uintptr) {
	f := probeCaller
	return f()
}

func verifyCaller() (ok bool) {
	if !hasFP {
		return false
	}
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	check := func(f func() (uintptr, uintptr)) bool {
		fast, slow := f()
		return fast != 0 && fast == slow
	}
	if !check(probeCaller) || !check(probeViaClosure) {
		return false
	}
	res := make(chan bool)
	go func() { res <- check(probeCaller) }()
	return <-res
}
