//go:build !unix

package validate

// dumpOnQuit: there is no SIGQUIT here.
func dumpOnQuit() {}
