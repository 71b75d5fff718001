package lockdepimpl

import (
	"sync"
	"unsafe"
	"weak"

	"github.com/golockdep/lockdep/internal/validate"
)

// Classes that follow the lock.
//
// A site that reaches a mutex through a pointer whose origin it cannot see
// (a parameter, a function result, an element of a slice of pointers, a
// type parameter, a sync.Locker) cannot name the mutex's declaration. So
// rewritten code registers the class of a mutex's address where its
// declaration is visible: where its address is taken (&x.mu) and where a
// new mutex is stored in a declared variable or field (x.mu =
// new(sync.Mutex)), both through Ref. Sites that see only a pointer (Ptr,
// RWPtr, Any) look the address up; a mutex whose address was never
// registered gets a class of its own, named after the pointer it was
// first locked through and where, and registered in turn, so that it
// keeps that class.
//
// The registry holds no strong reference to user memory. An entry keeps
// the mutex as a weak pointer and is believed only while that pointer
// still yields the address looked up: once the mutex is unreachable its
// weak pointers yield nil, before its memory can be reused, so a new
// mutex at the same address never inherits a dead one's class. Dead
// entries are swept when a shard has doubled since its last sweep.
//
// Declaration-classed sites never read the registry: it costs only the
// sites that need it, and Ref.

// regShards is the number of independently locked parts of the registry.
const regShards = 64

// minSweep is the size below which a shard is never swept.
const minSweep = 256

// registry maps mutex addresses to classes. Its zero value is empty and
// ready; it is safe for concurrent use.
type registry struct {
	shards [regShards]regShard
}

type regShard struct {
	mu    sync.RWMutex
	m     map[uintptr]*regEntry
	sweep int      // sweep dead entries when len(m) reaches this
	_     [24]byte // a shard a cache line
}

// regEntry is the class of one mutex. Entries are never modified.
type regEntry struct {
	w     weak.Pointer[byte]
	class *validate.Class
	// decl says the class is the mutex's declaration, not one made for
	// want of it.
	decl bool
}

// live reports whether the entry is about the mutex now at p.
func (e *regEntry) live(p unsafe.Pointer) bool {
	return unsafe.Pointer(e.w.Value()) == p
}

// reg is the registry of the process.
var reg registry

func (r *registry) shard(p unsafe.Pointer) *regShard {
	h := uint64(uintptr(p)>>3) * 0x9e3779b97f4a7c15
	return &r.shards[h>>58]
}

// entry returns the live entry for p, if any.
func (r *registry) entry(p unsafe.Pointer) *regEntry {
	sh := r.shard(p)
	sh.mu.RLock()
	e := sh.m[uintptr(p)]
	sh.mu.RUnlock()
	if e != nil && e.live(p) {
		return e
	}
	return nil
}

// lookup returns the class registered for the mutex at p, or nil.
func (r *registry) lookup(p unsafe.Pointer) *validate.Class {
	if e := r.entry(p); e != nil {
		return e.class
	}
	return nil
}

// declare records that the mutex at p is of class c, its declaration. A
// class made for want of a declaration gives way; another declaration
// does not (the first one seen stays).
func (r *registry) declare(p unsafe.Pointer, c *validate.Class) {
	if e := r.entry(p); e != nil && e.decl {
		return
	}
	r.put(p, &regEntry{w: weak.Make((*byte)(p)), class: c, decl: true})
}

// claim returns the class of the mutex at p, registering c for it if it
// has none.
func (r *registry) claim(p unsafe.Pointer, c *validate.Class) *validate.Class {
	return r.put(p, &regEntry{w: weak.Make((*byte)(p)), class: c})
}

// put stores ne for p unless a live entry is to be kept, and returns the
// class p has then.
func (r *registry) put(p unsafe.Pointer, ne *regEntry) *validate.Class {
	sh := r.shard(p)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.m[uintptr(p)]; e != nil && e.live(p) && (e.decl || !ne.decl) {
		return e.class
	}
	if sh.m == nil {
		sh.m = make(map[uintptr]*regEntry)
	}
	if len(sh.m) >= sh.sweep {
		for a, e := range sh.m {
			if e.w.Value() == nil {
				delete(sh.m, a)
			}
		}
		sh.sweep = 2 * len(sh.m)
		if sh.sweep < minSweep {
			sh.sweep = minSweep
		}
	}
	sh.m[uintptr(p)] = ne
	return ne.class
}

// len returns the number of entries, dead ones not yet swept included.
func (r *registry) len() int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}

// classAt returns the class of the mutex at p for a site s that reaches
// it through a pointer, at pc: the registered one or, if there is none,
// a new class of its own.
func classAt(p unsafe.Pointer, s *Site, pc uintptr) *validate.Class {
	if c := reg.lookup(p); c != nil {
		return c
	}
	return reg.claim(p, validate.InstanceClass(s.Class, pc))
}

// releaseClass returns the class that names the mutex at p in a report
// about releasing it through s: the registered one or, not to make a
// class for a mutex that may never have been locked, the site's.
func releaseClass(p unsafe.Pointer, s *Site) *validate.Class {
	if c := reg.lookup(p); c != nil {
		return c
	}
	return s.ClassOf()
}

// Ref returns p after recording that the mutex it points to is of the
// class of s. Rewritten code wraps in it every address of a mutex taken
// where the mutex's declaration is visible (&x.mu), and every new mutex
// stored in a declared variable or field, so that the sites that reach
// the mutex later through a pointer ([Ptr], [RWPtr], [Any]) find its
// class. With validation off it only returns p. [RWRef] is the same for
// a sync.RWMutex.
//
// Ref and RWRef are not one generic function: rewritten code must
// compile at the language version of the module under test, which may be
// older than Go 1.18.
func Ref(p *sync.Mutex, s *Site) *sync.Mutex {
	if p != nil {
		declare(unsafe.Pointer(p), s)
	}
	return p
}

// RWRef is [Ref] for a sync.RWMutex.
func RWRef(p *sync.RWMutex, s *Site) *sync.RWMutex {
	if p != nil {
		declare(unsafe.Pointer(p), s)
	}
	return p
}

// declare records that the mutex at p is of the class of s, while
// validation is on.
func declare(p unsafe.Pointer, s *Site) {
	if validate.Active() != nil {
		reg.declare(p, s.ClassOf())
	}
}

// WGRef returns p after recording that the WaitGroup it points to is of
// the class of s, a WaitGroup's event: rewritten code wraps in it every
// address of a WaitGroup taken where its declaration is in view
// (go work(&s.wg)), so that the sites that reach the WaitGroup through a
// pointer (a parameter's wg.Done()) find its class. With validation off
// it only returns p.
func WGRef(p *sync.WaitGroup, s *Site) *sync.WaitGroup {
	if p != nil {
		declare(unsafe.Pointer(p), s)
	}
	return p
}

// wgClass returns the class of the WaitGroup at p for site s: the one
// registered for p if s reaches it through a pointer (Site.Follow) and
// there is one, the site's otherwise.
func wgClass(p *sync.WaitGroup, s *Site) *validate.Class {
	if c := wgFollowed(p, s); c != nil {
		return c
	}
	return s.ClassOf()
}

// wgFollowed is wgClass for a wait or a signal, which read nil as the
// site's class (cached in the site): the class registered for p if s
// reaches it through a pointer, nil otherwise.
func wgFollowed(p *sync.WaitGroup, s *Site) *validate.Class {
	if s.Follow {
		return lookupOutOfLine(unsafe.Pointer(p))
	}
	return nil
}

// lookupOutOfLine is reg.lookup, not inlined, so that wgFollowed is.
//
//go:noinline
func lookupOutOfLine(p unsafe.Pointer) *validate.Class { return reg.lookup(p) }
