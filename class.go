package lockdep

import (
	"sync/atomic"

	"github.com/golockdep/lockdep/internal/validate"
)

// MaxSubclasses is the number of subclasses a class has: LockNested and
// RLockNested take a subclass in [0, MaxSubclasses).
const MaxSubclasses = 8

// The engine validates as many subclasses: this fails to compile if the
// two numbers differ.
var _ = [1]struct{}{}[MaxSubclasses-validate.MaxSubclasses]

// A Class is a lock class: the unit the validator orders. All locks given
// the same Class share one place in the dependency graph, so taking two of
// them in opposite orders on different instances is reported as an
// inversion, and taking a second one while holding the first is reported as
// recursive locking unless the nesting is declared with LockNested.
//
// Create classes with NewClass, typically as package-level variables, one
// per kind of lock (a struct field, a global): the class name appears in
// reports. A Class is safe for concurrent use and never changes; it must
// not be copied.
type Class struct {
	c validate.Class
	// event is the class of the Events given this class (see
	// Event.SetClass), made on first use: "event: " and the name.
	event atomic.Pointer[validate.Class]
}

// eventClass returns the class of the events given c.
func (c *Class) eventClass() *validate.Class {
	if e := c.event.Load(); e != nil {
		return e
	}
	e := new(validate.Class)
	e.Init("event: "+c.c.Name(), false)
	c.event.CompareAndSwap(nil, e)
	return c.event.Load()
}

// NewClass returns a new class with the given name. Name classes after the
// lock's declaration, such as "example.com/pkg.Server.mu". Two classes
// made with the same name are still distinct; reports name the second
// "name#2", the third "name#3", and so on.
func NewClass(name string) *Class {
	c := new(Class)
	c.c.Init(name, false)
	return c
}

// NewTreeClass returns a new class for locks that nest parent to child:
// the nodes of a tree, a list walked hand over hand, wrappers that wrap
// one another. Taking a lock of the class while holding another is then
// not recursive locking; instead the validator checks the order of the
// two locks themselves, and reports two of them taken in both orders (a
// child, then its parent, after the parent, then the child). Cycles of
// classes that a goroutine walks down (or up) such a tree on its own,
// through locks of other classes, are that nesting, and are not reported
// either. See "Trees" in the package documentation.
func NewTreeClass(name string) *Class {
	c := new(Class)
	c.c.Init(name, true)
	return c
}

// String returns the name given to NewClass.
func (c *Class) String() string { return c.c.Name() }
