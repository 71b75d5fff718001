//go:build !amd64 && !arm64

package stack

import "unsafe"

func getfp() unsafe.Pointer { return nil }

const hasFP = false
