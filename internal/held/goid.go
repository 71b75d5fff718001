package held

import (
	"bytes"
	"runtime"
	"strconv"

	"github.com/petermattis/goid"
)

// Goroutine identity. The fast source reads the ID out of the runtime's
// goroutine struct (github.com/petermattis/goid); it is only used after
// Verify has checked it against the portable slow path, the goroutine
// header that runtime.Stack prints.

// slowID returns the current goroutine's ID by parsing "goroutine N [".
func slowID() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	s := bytes.TrimPrefix(buf[:n], []byte("goroutine "))
	if i := bytes.IndexByte(s, ' '); i > 0 {
		if id, err := strconv.ParseInt(string(s[:i]), 10, 64); err == nil {
			return id
		}
	}
	return -1
}

// verifyFast reports whether the fast source agrees with the slow path on
// this goroutine and on a few fresh ones.
func verifyFast() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	check := func() bool {
		id := slowID()
		return id > 0 && goid.Get() == id
	}
	if !check() {
		return false
	}
	res := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() { res <- check() }()
	}
	ok = true
	for i := 0; i < 4; i++ {
		ok = <-res && ok
	}
	return ok
}
