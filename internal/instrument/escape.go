package instrument

import (
	"go/ast"
	"go/token"
	"go/types"
)

// This file finds *sync.Mutex and *sync.RWMutex values that escape into an
// interface (a sync.Locker, typically) and wraps them where they escape:
//
//	sync.NewCond(&mu)  →  sync.NewCond(lockdepimpl_.Locker(&mu, &lockdepSites_N[i]))
//
// The calls later made through the interface then reach lockdepimpl. The
// positions handled are those where a value is assigned to a variable, field,
// element, parameter or result of interface type: call arguments
// (conversions and append included), assignments, var declarations with an
// explicit type, returns, composite literal elements and channel sends.

// wgPtr reports whether t is *sync.WaitGroup.
func wgPtr(t types.Type) bool {
	if t == nil {
		return false
	}
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "sync" && n.Obj().Name() == "WaitGroup"
}

// mutexPtr reports whether t is *sync.Mutex (rw false) or *sync.RWMutex (rw true).
func mutexPtr(t types.Type) (rw, ok bool) {
	if t == nil {
		return false, false
	}
	p, ok := types.Unalias(t).(*types.Pointer)
	if !ok {
		return false, false
	}
	n, ok := types.Unalias(p.Elem()).(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "sync" {
		return false, false
	}
	switch n.Obj().Name() {
	case "Mutex":
		return false, true
	case "RWMutex":
		return true, true
	}
	return false, false
}

// escape wraps e if it is a pointer to a sync mutex assigned to a value of
// type target, a non-empty interface. Empty interfaces (any) are left alone:
// such values are usually printed, compared or type-asserted, not locked
// (a lock taken after a type assertion finds its class through Ref). A
// mutex reached through a pointer is wrapped with Ptr, whose class follows
// the lock, one whose declaration is in view with Locker.
func (r *rewriter) escape(e ast.Expr, target types.Type) {
	if e == nil || target == nil || r.handled[e] {
		return
	}
	if _, isParam := types.Unalias(target).(*types.TypeParam); isParam {
		return
	}
	iface, ok := target.Underlying().(*types.Interface)
	if !ok || iface.NumMethods() == 0 {
		return
	}
	rw, ok := mutexPtr(r.info.TypeOf(e))
	if !ok {
		return
	}
	r.wrap(e, wrapper(rw, r.pointerOnly(e)), r.classOf(e), false)
}

// escapesInCall handles arguments of calls and conversions.
func (r *rewriter) escapesInCall(call *ast.CallExpr) {
	tv, ok := r.info.Types[call.Fun]
	if !ok {
		return
	}
	switch {
	case tv.IsType():
		if len(call.Args) == 1 {
			r.escape(call.Args[0], tv.Type)
		}
		return
	case tv.IsBuiltin():
		if id, ok := ast.Unparen(call.Fun).(*ast.Ident); ok && id.Name == "append" && !call.Ellipsis.IsValid() {
			if s, ok := r.info.TypeOf(call).Underlying().(*types.Slice); ok {
				for _, a := range call.Args[1:] {
					r.escape(a, s.Elem())
				}
			}
		}
		return
	}
	sig, ok := tv.Type.Underlying().(*types.Signature)
	if !ok {
		return
	}
	params := sig.Params()
	for i, a := range call.Args {
		var t types.Type
		switch {
		case sig.Variadic() && i >= params.Len()-1:
			if call.Ellipsis.IsValid() {
				continue
			}
			if s, ok := params.At(params.Len() - 1).Type().Underlying().(*types.Slice); ok {
				t = s.Elem()
			}
		case i < params.Len():
			t = params.At(i).Type()
		}
		r.escape(a, t)
	}
}

// escapesInAssign handles x = &mu (and x, y := ... where x already exists).
func (r *rewriter) escapesInAssign(as *ast.AssignStmt) {
	if (as.Tok != token.ASSIGN && as.Tok != token.DEFINE) || len(as.Lhs) != len(as.Rhs) {
		return
	}
	for i, lhs := range as.Lhs {
		if id, ok := lhs.(*ast.Ident); ok {
			if id.Name == "_" || r.info.Defs[id] != nil {
				continue // a new variable takes the value's own type
			}
		}
		r.escape(as.Rhs[i], r.info.TypeOf(lhs))
	}
}

// escapesInValueSpec handles var l sync.Locker = &mu.
func (r *rewriter) escapesInValueSpec(vs *ast.ValueSpec) {
	if vs.Type == nil || len(vs.Values) != len(vs.Names) {
		return
	}
	t := r.info.TypeOf(vs.Type)
	for _, v := range vs.Values {
		r.escape(v, t)
	}
}

// escapesInReturn handles return &mu from a function whose result is an
// interface.
func (r *rewriter) escapesInReturn(ret *ast.ReturnStmt) {
	var sig *types.Signature
loop:
	for i := len(r.stack) - 1; i >= 0; i-- {
		switch f := r.stack[i].(type) {
		case *ast.FuncLit:
			sig, _ = r.info.TypeOf(f).(*types.Signature)
			break loop
		case *ast.FuncDecl:
			if obj, ok := r.info.Defs[f.Name].(*types.Func); ok {
				sig = obj.Signature()
			}
			break loop
		}
	}
	if sig == nil || sig.Results().Len() != len(ret.Results) {
		return
	}
	for i, res := range ret.Results {
		r.escape(res, sig.Results().At(i).Type())
	}
}

// escapesInCompositeLit handles struct fields, slice, array and map elements.
func (r *rewriter) escapesInCompositeLit(lit *ast.CompositeLit) {
	t := r.info.TypeOf(lit)
	if t == nil {
		return
	}
	switch u := t.Underlying().(type) {
	case *types.Struct:
		for i, elt := range lit.Elts {
			if kv, ok := elt.(*ast.KeyValueExpr); ok {
				if id, ok := kv.Key.(*ast.Ident); ok {
					if f, ok := r.info.Uses[id].(*types.Var); ok {
						r.escape(kv.Value, f.Type())
					}
				}
				continue
			}
			if i < u.NumFields() {
				r.escape(elt, u.Field(i).Type())
			}
		}
	case *types.Slice:
		r.escapesInElements(lit.Elts, nil, u.Elem())
	case *types.Array:
		r.escapesInElements(lit.Elts, nil, u.Elem())
	case *types.Map:
		r.escapesInElements(lit.Elts, u.Key(), u.Elem())
	}
}

func (r *rewriter) escapesInElements(elts []ast.Expr, key, elem types.Type) {
	for _, elt := range elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if key != nil {
				r.escape(kv.Key, key)
			}
			r.escape(kv.Value, elem)
			continue
		}
		r.escape(elt, elem)
	}
}

// escapesInSend handles ch <- &mu on a channel of interfaces.
func (r *rewriter) escapesInSend(s *ast.SendStmt) {
	if ch, ok := r.info.TypeOf(s.Chan).Underlying().(*types.Chan); ok {
		r.escape(s.Value, ch.Elem())
	}
}
