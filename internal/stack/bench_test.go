package stack

import (
	"runtime"
	"strings"
	"testing"
)

var sinkPC uintptr

//go:noinline
func lockLike() uintptr { return Caller() }

// BenchmarkCaller: the call site a lock method records, read through the
// frame pointer.
func BenchmarkCaller(b *testing.B) {
	for b.Loop() {
		sinkPC = lockLike()
	}
}

// TestCaller: the frame-pointer read passed its check on this machine,
// and names the line that called the lock-like function.
func TestCaller(t *testing.T) {
	if !hasFP {
		t.Skip("no frame pointers on this architecture")
	}
	if !Exact() {
		t.Fatal("Exact() = false: the frame-pointer read disagreed with runtime.Callers")
	}
	pc := lockLike()
	// FrameOf leaves out this package's frames; look without it.
	f, _ := runtime.CallersFrames([]uintptr{pc}).Next()
	if f.Function != "github.com/golockdep/lockdep/internal/stack.TestCaller" || !strings.HasSuffix(f.File, "/internal/stack/bench_test.go") || f.Line != 31 {
		t.Errorf("Caller() = %s %s:%d; want TestCaller at bench_test.go:31", f.Function, f.File, f.Line)
	}
}
