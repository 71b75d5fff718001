package stack

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
)

// Less orders frames by file, line and function, for stable output.
func Less(a, b Frame) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Func < b.Func
}

// Goroutine is one goroutine of a dump: its ID, what it is doing (the
// runtime's word in brackets, such as "sync.Mutex.Lock" or "select") and
// its frames, the validator's own left out.
type Goroutine struct {
	ID    int64
	State string
	Stack []Frame
}

// All returns every goroutine's stack, as runtime.Stack prints them.
func All() map[int64]Goroutine {
	gs, _ := Dump()
	return gs
}

// Dump returns every goroutine's stack, as runtime.Stack prints them,
// and whether the dump is complete: a dump longer than 64 MB is cut, and
// lacks goroutines.
func Dump() (gs map[int64]Goroutine, complete bool) {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return ParseDump(buf[:n]), true
		}
		if len(buf) >= 64<<20 {
			return ParseDump(buf[:n]), false
		}
		buf = make([]byte, 2*len(buf))
	}
}

func lockMachinery(fn string) bool {
	for _, p := range []string{"runtime.", "internal/sync.", "sync.", "time.Sleep"} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}

// ParseDump reads a goroutine dump in runtime.Stack's format:
//
//	goroutine 18 [sync.Mutex.Lock]:
//	example.com/m.f(...)
//		/src/m/f.go:12 +0x1d
//	created by example.com/m.g in goroutine 1
//		/src/m/g.go:30 +0x5a
func ParseDump(b []byte) map[int64]Goroutine {
	gs := map[int64]Goroutine{}
	for _, block := range bytes.Split(b, []byte("\n\n")) {
		lines := strings.Split(strings.TrimSpace(string(block)), "\n")
		if len(lines) == 0 || !strings.HasPrefix(lines[0], "goroutine ") {
			continue
		}
		head := strings.TrimPrefix(lines[0], "goroutine ")
		sp := strings.IndexByte(head, ' ')
		if sp < 0 {
			continue
		}
		id, err := strconv.ParseInt(head[:sp], 10, 64)
		if err != nil {
			continue
		}
		g := Goroutine{ID: id}
		if i, j := strings.IndexByte(head, '['), strings.LastIndexByte(head, ']'); i >= 0 && j > i {
			g.State = head[i+1 : j]
		}
		for k := 1; k+1 < len(lines); k += 2 {
			fn, loc := lines[k], strings.TrimSpace(lines[k+1])
			if strings.HasPrefix(fn, "created by ") {
				fn = strings.TrimPrefix(fn, "created by ")
				if i := strings.Index(fn, " in goroutine "); i >= 0 {
					fn = fn[:i]
				}
			} else if i := strings.LastIndexByte(fn, '('); i > 0 {
				fn = fn[:i]
			}
			if i := strings.LastIndex(loc, " +0x"); i >= 0 {
				loc = loc[:i]
			}
			c := strings.LastIndexByte(loc, ':')
			if c < 0 {
				continue
			}
			line, err := strconv.Atoi(loc[c+1:])
			if err != nil || Internal(fn) {
				continue
			}
			g.Stack = append(g.Stack, Frame{Func: fn, File: Rel(loc[:c]), Line: line})
		}
		// A blocked goroutine's stack starts in the runtime and sync
		// (or in the validator's wait for a lock, a sleep): show it from
		// the code that called them.
		for len(g.Stack) > 1 && lockMachinery(g.Stack[0].Func) {
			g.Stack = g.Stack[1:]
		}
		gs[id] = g
	}
	return gs
}
