//go:build unix

package validate

import (
	"os"
	"strings"
	"syscall"
)

// signalNamed returns the signal of a name such as USR1 or SIGUSR1.
func signalNamed(name string) (os.Signal, bool) {
	s, ok := map[string]syscall.Signal{
		"HUP": syscall.SIGHUP, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2,
		"INFO": infoSignal, "WINCH": syscall.SIGWINCH,
	}[strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(name)), "SIG")]
	return s, ok && s != 0
}
