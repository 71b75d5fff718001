//go:build unix

package validate

import (
	"os"
	"os/signal"
	"syscall"
)

// dumpOnQuit prints the held-lock dump on SIGQUIT, then lets Go's own
// SIGQUIT handling (a goroutine dump, exit status 2) take place.
func dumpOnQuit() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGQUIT)
	go func() {
		<-ch
		if v := Current(); v != nil {
			v.DumpHeld(os.Stderr)
		}
		signal.Reset(syscall.SIGQUIT)
		syscall.Kill(os.Getpid(), syscall.SIGQUIT)
	}()
}
