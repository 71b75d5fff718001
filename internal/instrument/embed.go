package instrument

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// This file gives a struct type that embeds a sync.Mutex or sync.RWMutex
// by value methods of its own in place of the promoted ones, added on the
// line that ends the type's declaration so that no line moves:
//
//	type S struct{ sync.Mutex }
//	→ type S struct{ sync.Mutex }; func (lockdepR_ *S) Lock() { lockdepimpl_.Lock(&lockdepR_.Mutex, &lockdepSites_N[i]) }; ...
//
// Calls written s.Lock() are rewritten where they stand; these methods
// serve the calls the rewriter cannot see: those made through a
// sync.Locker that a *S went into (a helper's parameter, sync.NewCond),
// from the standard library or from packages not instrumented. Their
// class is that of the embedded mutex, pkg/path.S.
//
// A method is added only where it changes no method set: S must not
// declare the name itself nor get it from elsewhere, and no other type of
// the package that embeds S may resolve the name to something else at
// the depth of S's new method. (Types of other packages that embed S are
// not looked at.)

// promotedMethods lists, per embedded sync type, the methods given to the
// types that embed it.
var promotedMethods = map[string][]string{
	"Mutex":   {"Lock", "Unlock", "TryLock"},
	"RWMutex": {"Lock", "Unlock", "TryLock", "RLock", "RUnlock", "TryRLock", "RLocker"},
}

// embeddedMethods adds the methods to the struct types the file declares.
func (r *rewriter) embeddedMethods() {
	for _, d := range r.file.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		var text strings.Builder
		for _, spec := range gd.Specs {
			ts, ok := spec.(*ast.TypeSpec)
			if !ok || ts.Assign.IsValid() {
				continue
			}
			obj, _ := r.info.Defs[ts.Name].(*types.TypeName)
			if obj == nil {
				continue
			}
			named, _ := obj.Type().(*types.Named)
			if named == nil {
				continue
			}
			st, _ := named.Underlying().(*types.Struct)
			if st == nil {
				continue
			}
			for i := 0; i < st.NumFields(); i++ {
				f := st.Field(i)
				if !f.Embedded() {
					continue
				}
				rw, ok := mutexPtr(types.NewPointer(f.Type()))
				if !ok {
					continue
				}
				kind := "Mutex"
				if rw {
					kind = "RWMutex"
				}
				for _, name := range promotedMethods[kind] {
					full := "(*sync." + kind + ")." + name
					if r.promoted(named, name, full, i) && r.unchanged(named, name, full) {
						text.WriteString(r.embeddedMethod(gd, named, i, syncMethods[full], name))
					}
				}
			}
		}
		if text.Len() > 0 {
			r.insertAfter(gd, r.added(addedMark, text.String()))
		}
	}
}

// promoted reports whether method name of *t is full, the sync method of
// t's embedded field i.
func (r *rewriter) promoted(t *types.Named, name, full string, i int) bool {
	obj, index, _ := types.LookupFieldOrMethod(types.NewPointer(t), false, r.pkg, name)
	fn, ok := obj.(*types.Func)
	return ok && fn.FullName() == full && len(index) == 2 && index[0] == i
}

// unchanged reports whether every other struct type of the package that
// embeds s resolves name as before once s has a method of that name: to
// something shallower than s, or to the method full promoted through s.
func (r *rewriter) unchanged(s *types.Named, name, full string) bool {
	for _, obj := range r.info.Defs {
		tn, ok := obj.(*types.TypeName)
		if !ok || tn.IsAlias() {
			continue
		}
		t, _ := tn.Type().(*types.Named)
		if t == nil || t.Origin() == s.Origin() {
			continue
		}
		depth := embedDepth(t, s)
		if depth < 0 {
			continue
		}
		// s's own method would be at index length depth+1; its mutex's
		// promoted one is at depth+2.
		obj, index, _ := types.LookupFieldOrMethod(types.NewPointer(t), false, r.pkg, name)
		switch fn, _ := obj.(*types.Func); {
		case obj != nil && len(index) <= depth:
		case fn != nil && fn.FullName() == full && len(index) == depth+2 && reaches(t, index, s):
		default:
			return false
		}
	}
	return true
}

// embedDepth returns how many embedded fields lead from t to an embedded
// s (or *s), the fewest; -1 if none does.
func embedDepth(t, s *types.Named) int {
	seen := map[*types.Named]bool{}
	level := []types.Type{t}
	for depth := 1; len(level) > 0; depth++ {
		var next []types.Type
		for _, u := range level {
			st, n := structOf(u)
			if st == nil || (n != nil && seen[n.Origin()]) {
				continue
			}
			if n != nil {
				seen[n.Origin()] = true
			}
			for i := 0; i < st.NumFields(); i++ {
				if f := st.Field(i); f.Embedded() {
					if _, fn := structOf(f.Type()); fn != nil && fn.Origin() == s.Origin() {
						return depth
					}
					next = append(next, f.Type())
				}
			}
		}
		level = next
	}
	return -1
}

// reaches reports whether the field path index from t goes through a
// field of type s or *s.
func reaches(t types.Type, index []int, s *types.Named) bool {
	for _, i := range index[:len(index)-1] {
		st, _ := structOf(t)
		if st == nil || i >= st.NumFields() {
			return false
		}
		t = st.Field(i).Type()
		if _, n := structOf(t); n != nil && n.Origin() == s.Origin() {
			return true
		}
	}
	return false
}

// embeddedMethod returns the text of the method name of *t for its
// embedded mutex field i, to add after the declaration gd.
func (r *rewriter) embeddedMethod(gd *ast.GenDecl, t *types.Named, i int, m syncMethod, name string) string {
	recv := t.Obj().Name()
	if n := t.TypeParams().Len(); n > 0 {
		recv += "[_" + strings.Repeat(", _", n-1) + "]"
	}
	field := t.Underlying().(*types.Struct).Field(i).Name()
	site := r.addSite(r.pathClass(t, []int{i}, nil), gd.End(), false)
	call := implName + "." + m.impl + "(&" + recvName + "." + field + ", " + site + ")"
	result, ret := r.results(m)
	return "; func (" + recvName + " *" + recv + ") " + name + "() " + result + "{ " + ret + call + " }"
}
