//go:build darwin || dragonfly || freebsd || netbsd || openbsd

package validate

import "syscall"

const infoSignal = syscall.SIGINFO
