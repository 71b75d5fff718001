// Package goroutinetest helps tests wait for a goroutine to block where
// they expect it to.
package goroutinetest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// WaitState waits until a goroutine whose stack mentions fn is in the
// state want, as a goroutine dump shows it ("sync.Mutex.Lock"), for up to
// ten seconds; it returns the last state it saw.
func WaitState(t testing.TB, fn, want string) string {
	t.Helper()
	state := "(no such goroutine)"
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		for _, g := range strings.Split(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if !strings.Contains(g, fn) {
				continue
			}
			head, _, _ := strings.Cut(g, "\n")
			_, state, _ = strings.Cut(head, "[")
			state, _, _ = strings.Cut(state, "]")
			state, _, _ = strings.Cut(state, ",") // "sync.Mutex.Lock, 2 minutes"
			if state == want {
				return state
			}
		}
	}
	return state
}
