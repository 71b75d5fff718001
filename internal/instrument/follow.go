package instrument

import (
	"go/ast"
	"go/token"
	"go/types"
)

// This file makes classes follow the lock (DESIGN.md §3). A call site
// names the declaration of its mutex when the declaration is in view: a
// variable, a field (however the struct around it is reached), an element
// of an array or slice. A site that reaches the mutex through a pointer
// (a parameter, a function result, a field or element of pointer type, an
// embedded *sync.Mutex) cannot; nor can one that calls Lock on an
// interface or a type parameter. Such sites wrap their receiver, and
// lockdepimpl finds the class at run time, by the mutex's address, in a
// registry that rewritten code fills where declarations are in view:
//
//	&x.mu              →  lockdepimpl_.Ref(&x.mu, &lockdepSites_N[i])
//	x.mu = new(sync.Mutex)  →  x.mu = lockdepimpl_.Ref(new(sync.Mutex), &lockdepSites_N[i])
//	&x.rw              →  lockdepimpl_.RWRef(&x.rw, &lockdepSites_N[i])
//	m.Lock()           →  lockdepimpl_.Ptr(m, &lockdepSites_N[i]).Lock()
//	l.Lock()           →  lockdepimpl_.Any(l, &lockdepSites_N[i]).Lock()
//
// WaitGroups the same way: &x.wg becomes lockdepimpl_.WGRef(&x.wg, ...),
// and a WaitGroup call through a pointer (wg.Done() on a parameter) gets
// a site that follows the address (Site.Follow).
//
// A mutex never registered gets a class of its own at run time. The site
// records of wrapped receivers carry the pointer's own name (its
// declaration, as classOf gives it), which names that class.

// declared reports whether the mutex value e lies where a declaration
// names it: in a variable, a field, or an element of an array so placed
// or of a slice held in one (classed by the slice's declaration; a slice
// that a parameter or a function result hands over is a pointer to
// elements declared elsewhere).
func (r *rewriter) declared(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		_, ok := r.info.Uses[e].(*types.Var)
		return ok
	case *ast.SelectorExpr:
		if sel, ok := r.info.Selections[e]; ok {
			return sel.Kind() == types.FieldVal
		}
		_, ok := r.info.Uses[e.Sel].(*types.Var) // otherpkg.Var
		return ok
	case *ast.IndexExpr:
		if t := r.info.TypeOf(e.X); t != nil {
			switch t.Underlying().(type) {
			case *types.Array:
				return r.declared(e.X)
			case *types.Slice:
				return r.holdsSlice(e.X)
			}
		}
	case *ast.StarExpr:
		if u, ok := ast.Unparen(e.X).(*ast.UnaryExpr); ok && u.Op == token.AND {
			return r.declared(u.X)
		}
	}
	return false
}

// holdsSlice reports whether the slice e is held where a declaration
// names it: a field, a package variable or a local variable other than a
// parameter or result.
func (r *rewriter) holdsSlice(e ast.Expr) bool {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		v, ok := r.info.Uses[e].(*types.Var)
		return ok && !r.isParam(v)
	case *ast.SelectorExpr:
		return r.declared(e)
	case *ast.IndexExpr:
		return r.holdsSlice(e.X)
	}
	return false
}

// isParam reports whether v is a parameter, result or receiver of a
// function of the file.
func (r *rewriter) isParam(v *types.Var) bool {
	if r.params == nil {
		r.params = make(map[types.Object]bool)
		ast.Inspect(r.file, func(n ast.Node) bool {
			var lists []*ast.FieldList
			switch n := n.(type) {
			case *ast.FuncDecl:
				lists = append(lists, n.Recv)
			case *ast.FuncType:
				lists = append(lists, n.Params, n.Results)
			}
			for _, l := range lists {
				if l == nil {
					continue
				}
				for _, f := range l.List {
					for _, name := range f.Names {
						r.params[r.info.Defs[name]] = true
					}
				}
			}
			return true
		})
	}
	return r.params[v]
}

// pointerOnly reports whether e, a *sync.Mutex or *sync.RWMutex, points to
// a mutex whose declaration is not in view: it is neither &E of a declared
// E nor a new mutex.
func (r *rewriter) pointerOnly(e ast.Expr) bool {
	if u, ok := ast.Unparen(e).(*ast.UnaryExpr); ok && u.Op == token.AND && r.declared(u.X) {
		return false
	}
	return !r.isAlloc(e)
}

// viaPointer reports whether the method selection s on receiver x
// operates on a mutex reached through a pointer.
func (r *rewriter) viaPointer(x ast.Expr, s *types.Selection) bool {
	if len(s.Index()) > 1 {
		// Promoted through embedded fields: the last one is the mutex,
		// declared there if it is embedded by value.
		_, byValue := embedPath(s)
		return !byValue
	}
	if _, ok := mutexPtr(r.info.TypeOf(x)); ok {
		return r.pointerOnly(x)
	}
	return !r.declared(x)
}

// addressOf registers the address of a mutex taken where its declaration
// is in view (see the top of this file).
func (r *rewriter) addressOf(u *ast.UnaryExpr) {
	if u.Op != token.AND || r.handled[u] {
		return
	}
	if wgPtr(r.info.TypeOf(u)) && r.declared(u.X) {
		r.wrap(u, "WGRef", "wait: "+r.classOf(u.X), false)
		return
	}
	rw, ok := mutexPtr(r.info.TypeOf(u))
	if !ok || !r.declared(u.X) {
		return
	}
	r.wrap(u, ref(rw), r.classOf(u.X), false)
}

// wgViaPointer reports whether the method selection s on receiver x
// operates on a WaitGroup reached through a pointer, as viaPointer does
// for a mutex.
func (r *rewriter) wgViaPointer(x ast.Expr, s *types.Selection) bool {
	if len(s.Index()) > 1 {
		_, byValue := embedPath(s)
		return !byValue
	}
	if wgPtr(r.info.TypeOf(x)) {
		return r.pointerOnly(x)
	}
	return !r.declared(x)
}

// ref names lockdepimpl's function that registers a *sync.Mutex (a
// *sync.RWMutex if rw): two functions, not one generic, so that rewritten
// code compiles at the go line of any module (generics need go 1.18).
func ref(rw bool) string {
	if rw {
		return "RWRef"
	}
	return "Ref"
}

// isAlloc reports whether e makes a new mutex: new(sync.Mutex) or
// &sync.Mutex{} (or of sync.RWMutex).
func (r *rewriter) isAlloc(e ast.Expr) bool {
	if _, ok := mutexPtr(r.info.TypeOf(e)); !ok {
		return false
	}
	switch e := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		return r.isBuiltin(e, "new")
	case *ast.UnaryExpr:
		_, lit := ast.Unparen(e.X).(*ast.CompositeLit)
		return e.Op == token.AND && lit
	}
	return false
}

// isBuiltin reports whether call calls the built-in function name.
func (r *rewriter) isBuiltin(call *ast.CallExpr, name string) bool {
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return false
	}
	b, ok := r.info.Uses[id].(*types.Builtin)
	return ok && b.Name() == name
}

// refAlloc registers the mutex that e makes, if it makes one, with the
// class of the place it is stored in (class returns "" for none).
func (r *rewriter) refAlloc(e ast.Expr, class func() string) {
	if e == nil || r.handled[e] || !r.isAlloc(e) {
		return
	}
	if c := class(); c != "" {
		rw, _ := mutexPtr(r.info.TypeOf(e))
		r.wrap(e, ref(rw), c, false)
	}
}

// allocsInAssign handles x.mu = new(sync.Mutex) and mu := new(sync.Mutex).
func (r *rewriter) allocsInAssign(as *ast.AssignStmt) {
	if (as.Tok != token.ASSIGN && as.Tok != token.DEFINE) || len(as.Lhs) != len(as.Rhs) {
		return
	}
	for i, lhs := range as.Lhs {
		lhs := lhs
		r.refAlloc(as.Rhs[i], func() string { return r.storeClass(lhs) })
	}
}

// allocsInAppend handles append(s.ps, new(sync.Mutex)), with the class
// of the slice appended to.
func (r *rewriter) allocsInAppend(call *ast.CallExpr) {
	if len(call.Args) < 2 || call.Ellipsis.IsValid() || !r.isBuiltin(call, "append") {
		return
	}
	for _, a := range call.Args[1:] {
		r.refAlloc(a, func() string { return r.classOf(call.Args[0]) })
	}
}

// allocsInValueSpec handles var mu = new(sync.Mutex).
func (r *rewriter) allocsInValueSpec(vs *ast.ValueSpec) {
	if len(vs.Values) != len(vs.Names) {
		return
	}
	for i, name := range vs.Names {
		name := name
		r.refAlloc(vs.Values[i], func() string { return r.storeClass(name) })
	}
}

// allocsInCompositeLit handles T{mu: new(sync.Mutex)} for a named struct
// type T.
func (r *rewriter) allocsInCompositeLit(lit *ast.CompositeLit) {
	t := r.info.TypeOf(lit)
	if t == nil {
		return
	}
	st, named := structOf(t)
	if st == nil || named == nil {
		return
	}
	for i, elt := range lit.Elts {
		value, field := elt, i
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			value, field = kv.Value, -1
			if id, ok := kv.Key.(*ast.Ident); ok {
				for j := 0; j < st.NumFields(); j++ {
					if st.Field(j).Name() == id.Name {
						field = j
					}
				}
			}
		}
		if field < 0 || field >= st.NumFields() {
			continue
		}
		index := []int{field}
		r.refAlloc(value, func() string { return r.pathClass(t, index, nil) })
	}
}

// storeClass returns the class of a mutex stored in lhs: that of the
// variable, field or collection; "" for the blank identifier.
func (r *rewriter) storeClass(lhs ast.Expr) string {
	if id, ok := lhs.(*ast.Ident); ok {
		if id.Name == "_" {
			return ""
		}
		if v, ok := r.info.Defs[id].(*types.Var); ok {
			return r.varClass(v)
		}
	}
	return r.classOf(lhs)
}

// dynMethods are the lock methods of lockdepimpl.Dyn, with whether they
// take a lock and their result type.
var dynMethods = map[string]struct {
	acquire bool
	result  types.BasicKind // types.Invalid for none
}{
	"Lock":     {true, types.Invalid},
	"Unlock":   {false, types.Invalid},
	"TryLock":  {true, types.Bool},
	"RLock":    {true, types.Invalid},
	"RUnlock":  {false, types.Invalid},
	"TryRLock": {true, types.Bool},
}

// dynamic rewrites a call of a lock method through an interface or a type
// parameter (see the top of this file), and reports whether sel was one.
func (r *rewriter) dynamic(sel *ast.SelectorExpr) bool {
	s, ok := r.info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok {
		return false
	}
	dm, ok := dynMethods[fn.Name()]
	sig := fn.Signature()
	if !ok || sig.Recv() == nil || !types.IsInterface(sig.Recv().Type()) || sig.Params().Len() != 0 {
		return false
	}
	if dm.result == types.Invalid {
		if sig.Results().Len() != 0 {
			return false
		}
	} else if sig.Results().Len() != 1 || !types.Identical(sig.Results().At(0).Type(), types.Typ[dm.result]) {
		return false
	}
	r.handled[sel] = true
	fields, _ := embedPath(s)
	r.wrapReceiver(sel, "Any", "", fields, r.mutexClass(sel.X, s), dm.acquire)
	return true
}
