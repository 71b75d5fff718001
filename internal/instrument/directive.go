package instrument

import (
	"fmt"
	"strconv"
	"strings"
)

// This file reads the lockdep directives of a file:
//
//	//lockdep:nested      the Lock (or RLock, TryLock...) takes the
//	//lockdep:nested N    lock in subclass 1 (or N), as LockNested(N)
//	                      does: a deliberate nesting of two locks of one
//	                      class, such as parent then child
//	//lockdep:tree        on a struct type or a mutex field: locks of the
//	                      class nest parent to child (see tree.go)
//
// A directive applies to the acquisitions on its own line or, if there is
// none there, on the next line. A directive that does nothing (no
// acquisition there, a bad level, an unknown name, or "// lockdep:" with
// a space, which Go does not read as a directive) is reported as a note,
// so that a typo does not go unseen.

// maxNested is the deepest level of //lockdep:nested: the validator has
// subclasses 0 to 7 (validate.MaxSubclasses - 1).
const maxNested = 7

// directives applies the file's directives to its sites and notes those
// that do nothing.
func (r *rewriter) directives() {
	for _, cg := range r.file.Comments {
		for _, c := range cg.List {
			line := r.line(c.Pos())
			text := strings.TrimSpace(c.Text)
			switch {
			case strings.HasPrefix(text, "//lockdep:"):
				r.directive(line, text)
			case strings.HasPrefix(text, "//") && strings.HasPrefix(strings.TrimSpace(text[2:]), "lockdep:nested"):
				r.note(line, "%q is not a directive: write //%s", text, strings.TrimSpace(text[2:]))
			}
		}
	}
}

// directive applies the directive text on line.
func (r *rewriter) directive(line int, text string) {
	args := strings.Fields(strings.TrimPrefix(text, "//lockdep:"))
	if len(args) > 0 && args[0] == "tree" {
		if !r.opts.trees.lines[r.tf.Name()][line] {
			r.note(line, "%s: not on a struct type, or a sync.Mutex or sync.RWMutex field of one, with such a field", text)
		}
		return
	}
	if len(args) == 0 || args[0] != "nested" {
		r.note(line, "%s: unknown lockdep directive", text)
		return
	}
	level := 1
	if len(args) > 1 {
		n, err := strconv.Atoi(args[1])
		if err != nil || n < 1 || n > maxNested || len(args) > 2 {
			r.note(line, "%s: the level must be from 1 to %d", text, maxNested)
			return
		}
		level = n
	}
	for _, l := range []int{line, line + 1} {
		applied := false
		for i := range r.sites {
			if s := &r.sites[i]; s.acquire && s.line == l {
				s.nested = level
				applied = true
			}
		}
		if applied {
			return
		}
	}
	r.note(line, "%s: no Lock or RLock on this line or the next", text)
}

// note records a note about line of the file.
func (r *rewriter) note(line int, format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf("%s:%d: ", r.rel, line)+fmt.Sprintf(format, args...))
}
