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
	Frames  []stack.Frame
	Inlined []string // functions whose frame is an inlined call
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
	out := output{Frames: stack.Frames(pcs)}
	it := runtime.CallersFrames(pcs)
	for {
		f, more := it.Next()
		// CallersFrames leaves Func nil for an inlined call.
		if f.Func == nil && f.Function != "" {
			out.Inlined = append(out.Inlined, f.Function)
		}
		if !more {
			break
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		os.Exit(1)
	}
}
