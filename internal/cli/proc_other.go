//go:build !unix

package cli

import (
	"os"
	"os/exec"
)

// ownGroup does nothing: process groups are a Unix notion.
func ownGroup(c *exec.Cmd) {}

// interrupt interrupts or kills the go command c; on this system its
// test binaries or program are not reached.
func interrupt(c *exec.Cmd, kill bool) {
	if kill {
		c.Process.Kill()
		return
	}
	c.Process.Signal(os.Interrupt)
}
