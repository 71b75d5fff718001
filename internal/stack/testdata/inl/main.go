// Command inl prints, as JSON, the frames that stack.Frames makes of a
// stack captured in an inlined function, for TestFramesInlined. Its
// functions are in package main, so Frames does not drop them as the
// validator's own.
package main

import (
	"encoding/json"
	"os"
	"runtime"

	"github.com/golockdep/lockdep/internal/stack"
)

type output struct {
	Frames   []stack.Frame
	PCs      int // physical program counters
	Logical  int // frames after inline expansion, nothing dropped
	Internal int // frames of the validator's own packages
}

// callee is small enough to be inlined into caller.
func callee() []uintptr {
	return stack.Capture(0) // callee-line
}

//go:noinline
func caller() []uintptr {
	return callee() // caller-line
}

func main() {
	pcs := caller() // main-line
	out := output{Frames: stack.Frames(pcs), PCs: len(pcs)}
	it := runtime.CallersFrames(pcs)
	for {
		f, more := it.Next()
		out.Logical++
		if stack.Internal(f.Function) {
			out.Internal++
		}
		if !more {
			break
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
