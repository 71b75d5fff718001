package engine

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/golockdep/lockdep/internal/events"
	"github.com/golockdep/lockdep/internal/graph"
	"github.com/golockdep/lockdep/internal/stack"
	"github.com/golockdep/lockdep/report"
)

// MaxSubclasses is the number of subclasses of a class: LockNested takes
// a subclass in [0, MaxSubclasses).
const MaxSubclasses = 8

// Class is a lock class as the validator knows it. Its zero value is not
// usable; make it with Init. A Class must not be copied.
type Class struct {
	name     string
	instance bool // the class of one lock used without a class
	tree     bool // its locks nest parent to child (see graph.Nesting)
	// seen marks a channel's event class: its channel was seen full (the
	// senders' class) or empty (the receivers' class) in this run.
	seen atomic.Bool
	// ids holds, per subclass, the engine generation (high 32 bits)
	// and graph ID (low 32 bits) the subclass was registered with.
	ids [MaxSubclasses]atomic.Uint64
}

// newClass returns a new class with the given name.
func newClass(name string) *Class {
	c := new(Class)
	c.Init(name, false)
	return c
}

// Init names a class before its first use; tree says its locks nest
// parent to child, as a tree's nodes or a list's do: one taken while
// another is held is then no recursive locking, and the validator checks
// that no two of them are ever taken in both orders.
func (c *Class) Init(name string, tree bool) { c.name, c.tree = name, tree }

// Name returns the name the class was made with.
func (c *Class) Name() string { return c.name }

// See marks the class seen: for a channel's event class, that one of its
// channels was full (its senders' class) or empty (its receivers'). A
// class already marked is only read, so the mark costs its cache line
// one write.
func (c *Class) See() {
	if !c.seen.Load() {
		c.seen.Store(true)
	}
}

// Seen reports whether See marked the class.
func (c *Class) Seen() bool { return c.seen.Load() }

// Site is the static record of one call site in rewritten code: the class
// of the lock it names, the function it is in and where. Rewritten code
// declares one per call and never changes it.
type Site struct {
	Class string
	Func  string // package path-qualified, as runtime frames name functions
	File  string // relative to the module root
	Line  int
	// Nested is the subclass the site acquires its lock in (a
	// //lockdep:nested directive; 0 without one).
	Nested int
	// Tree says the class is a tree (a //lockdep:tree directive on the
	// lock's declaration); every site of the class says so.
	Tree bool
	// Follow says the site reaches its WaitGroup through a pointer (a
	// parameter, say): the class registered for the WaitGroup's address,
	// where its declaration was in view, is its class, if there is one.
	Follow bool

	class atomic.Pointer[Class] // made on first use
	id    atomic.Uint64         // gen<<32 | the class's ID in the engine of gen (see eventID)
}

// sites maps class names to the classes of rewritten code: every site of
// one name shares one class.
var sites sync.Map

// ClassOf returns the site's class, making it on first use.
func (s *Site) ClassOf() *Class {
	if c := s.class.Load(); c != nil {
		return c
	}
	return s.makeClass()
}

// makeClass finds or makes the class of the site's name, out of line.
//
//go:noinline
func (s *Site) makeClass() *Class {
	c, ok := sites.Load(s.Class)
	if !ok {
		n := new(Class)
		n.Init(s.Class, s.Tree)
		c, _ = sites.LoadOrStore(s.Class, n)
	}
	s.class.Store(c.(*Class))
	return c.(*Class)
}

// InstanceClass returns the class of a lock used without one: named after
// kind and where it is first locked (pc, or the caller's caller if 0).
func InstanceClass(kind string, pc uintptr) *Class {
	f, ok := stack.FrameOf(pc)
	if !ok {
		fs := stack.Frames(stack.Capture(2))
		f, ok = Frame{}, len(fs) > 0
		if ok {
			f = fs[0]
		}
	}
	name := kind
	if ok {
		name = fmt.Sprintf("%s@%s:%d", kind, f.File, f.Line)
	}
	c := newClass(name)
	c.instance = true
	return c
}

// Frame is a call site in a report.
type Frame = stack.Frame

// classID returns the graph class of c's subclass sub, registering it on
// first use; 0 if a bound was hit.
// eventID returns the ID of the event class c, or, if c is nil, of
// site's class, which the site caches: a wait or a signal at a site
// costs one load to name its class.
func (v *Engine) eventID(c *Class, site *Site) graph.ClassID {
	if c != nil || site == nil {
		return v.classID(c, 0)
	}
	if x := site.id.Load(); x>>32 == v.gen {
		return graph.ClassID(uint32(x))
	}
	id := v.classID(site.ClassOf(), 0)
	if id != 0 {
		site.id.Store(v.gen<<32 | uint64(id))
	}
	return id
}

func (v *Engine) classID(c *Class, sub int) graph.ClassID {
	if x := c.ids[sub].Load(); x>>32 == v.gen {
		return graph.ClassID(uint32(x))
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if x := c.ids[sub].Load(); x>>32 == v.gen {
		return graph.ClassID(uint32(x))
	}
	name := v.displayName(c)
	if sub != 0 {
		name += "/" + strconv.Itoa(sub)
	}
	id, err := v.g.AddClass(name)
	if err != nil {
		v.stopLocked(err)
		return 0
	}
	v.g.Class(id).Tree = c.tree
	v.g.Class(id).Shared = report.IsEvent(c.name)
	c.ids[sub].Store(v.gen<<32 | uint64(id))
	if c.instance {
		v.instances[id] = true
	}
	v.addStat(id)
	v.changed()
	if v.rec != nil {
		v.rec.Write(events.Event{Class: &events.Class{ID: uint32(id), Name: name, Instance: c.instance}})
	}
	return id
}

// displayName returns the name reports give c: its own, or, for the
// second class made with the same name, name#2, and so on. Called with mu
// held.
func (v *Engine) displayName(c *Class) string {
	if n, ok := v.display[c]; ok {
		return n
	}
	v.names[c.name]++
	n := c.name
	if k := v.names[c.name]; k > 1 {
		n = fmt.Sprintf("%s#%d", c.name, k)
	}
	v.display[c] = n
	return n
}
