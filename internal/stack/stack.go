// Package stack captures call stacks cheaply (program counters only) and
// turns them into frames for reports: inlined calls expanded, the
// validator's own frames and the runtime's bottom frames dropped, file
// paths made relative to the module root where possible.
package stack

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/golockdep/lockdep/report"
)

// Frame is one call site: the finding model's frame.
type Frame = report.Frame

// MaxDepth is how many program counters Capture keeps.
const MaxDepth = 32

// First returns a copy of the first frame of fs, or nil if there is none.
func First(fs []Frame) *Frame {
	if len(fs) == 0 {
		return nil
	}
	f := fs[0]
	return &f
}

// Capture returns the caller's program counters, skipping skip frames above
// Capture's caller (skip 0 = the function calling Capture).
func Capture(skip int) []uintptr {
	var buf [MaxDepth]uintptr
	n := runtime.Callers(skip+2, buf[:])
	return append([]uintptr(nil), buf[:n]...)
}

// internalPrefixes name the packages whose frames reports never show.
var internalPrefixes = []string{
	"github.com/golockdep/lockdep.",
	"github.com/golockdep/lockdep/internal/",
	"github.com/golockdep/lockdep/lockdepimpl.",
}

// Internal reports whether fn is a function of the validator itself.
func Internal(fn string) bool {
	for _, p := range internalPrefixes {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// Frames symbolises pcs, dropping the validator's own frames and the
// runtime frames every goroutine ends in.
func Frames(pcs []uintptr) []Frame {
	if len(pcs) == 0 {
		return nil
	}
	var out []Frame
	it := runtime.CallersFrames(pcs)
	for {
		f, more := it.Next()
		if f.Function != "" && !Internal(f.Function) {
			out = append(out, Frame{Func: f.Function, File: Rel(f.File), Line: f.Line})
		}
		if !more {
			break
		}
	}
	for len(out) > 0 && strings.HasPrefix(out[len(out)-1].Func, "runtime.") {
		out = out[:len(out)-1]
	}
	return out
}

var roots = sync.OnceValue(func() (r struct{ module, goroot string }) {
	if dir, err := os.Getwd(); err == nil {
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				r.module = filepath.ToSlash(d) + "/"
				break
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if g := runtime.GOROOT(); g != "" { //nolint:staticcheck // only to shorten paths
		r.goroot = filepath.ToSlash(g) + "/src/"
	}
	return r
})

// Rel shortens a file path: relative to the module root of the working
// directory, to GOROOT/src, or to the module cache, where it lies in one.
func Rel(file string) string {
	r := roots()
	switch {
	case r.module != "" && strings.HasPrefix(file, r.module):
		return file[len(r.module):]
	case r.goroot != "" && strings.HasPrefix(file, r.goroot):
		return file[len(r.goroot):]
	}
	if i := strings.Index(file, "/pkg/mod/"); i >= 0 {
		return file[i+len("/pkg/mod/"):]
	}
	return file
}
