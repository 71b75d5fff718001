//go:build unix && !(darwin || dragonfly || freebsd || netbsd || openbsd)

package validate

import "syscall"

const infoSignal = syscall.Signal(0)
