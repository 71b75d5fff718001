//go:build !unix

package validate

import "os"

// signalNamed: no signal but an interrupt can be named here.
func signalNamed(string) (os.Signal, bool) { return nil, false }
