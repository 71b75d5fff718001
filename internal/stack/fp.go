//go:build amd64 || arm64

package stack

import "unsafe"

// getfp returns the frame pointer of the Go function that calls it.
func getfp() unsafe.Pointer

const hasFP = true
