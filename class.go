package lockdep

import (
	"strconv"
	"sync/atomic"
)

// MaxSubclasses is the number of subclasses a class has: LockNested and
// RLockNested take a subclass in [0, MaxSubclasses).
const MaxSubclasses = 8

// A Class is a lock class: the unit the validator orders. All locks given
// the same Class share one place in the dependency graph, so taking two of
// them in opposite orders on different instances is reported as an
// inversion, and taking a second one while holding the first is reported as
// recursive locking unless the nesting is declared with LockNested.
//
// Create classes with NewClass, typically as package-level variables, one
// per kind of lock (a struct field, a global): the class name appears in
// reports. A Class is safe for concurrent use and never changes.
type Class struct {
	name     string
	instance bool // the class of one lock used without a Class
	// ids holds, per subclass, the validator generation (high 32 bits)
	// and graph ID (low 32 bits) the subclass was registered with.
	ids [MaxSubclasses]atomic.Uint64
}

// NewClass returns a new class with the given name. Two classes with the
// same name are still distinct; name them after the lock's declaration,
// such as "example.com/pkg.Server.mu".
func NewClass(name string) *Class { return &Class{name: name} }

// Name returns the name given to NewClass.
func (c *Class) Name() string { return c.name }

// String returns the class name.
func (c *Class) String() string { return c.name }

func (c *Class) subName(sub int) string {
	if sub == 0 {
		return c.name
	}
	return c.name + "/" + strconv.Itoa(sub)
}
