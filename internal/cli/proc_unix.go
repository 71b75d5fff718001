//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// ownGroup makes c start in a process group of its own, which holds the
// go command and the test binaries or program it starts, so that
// interrupt can stop them all: a terminal's Ctrl-C reaches only lockdep,
// and nothing reaches them when lockdep was not started from a terminal.
func ownGroup(c *exec.Cmd) {
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// interrupt sends SIGINT, or SIGKILL if kill is set, to the process group
// of c, started with ownGroup.
func interrupt(c *exec.Cmd, kill bool) {
	sig := syscall.SIGINT
	if kill {
		sig = syscall.SIGKILL
	}
	syscall.Kill(-c.Process.Pid, sig)
}
