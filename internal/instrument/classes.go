package instrument

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"path"
)

// This file names lock classes after declarations (DESIGN.md §3):
//
//	pkg/path.Type.field        struct field
//	pkg/path.Type              mutex embedded in Type
//	pkg/path.name              package-level variable
//	pkg/path.Func.name         local variable or parameter of Func
//	pkg/path.Type.Method.name  local variable or parameter of a method
//
// Struct types without a name borrow the class of the expression that holds
// them (var state struct{ mu sync.Mutex } gives pkg/path.state.mu).

// classOf returns the class of the mutex (or pointer to a mutex, or struct
// holding one) denoted by e.
func (r *rewriter) classOf(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return r.classOf(e.X)
	case *ast.StarExpr:
		return r.classOf(e.X)
	case *ast.UnaryExpr:
		if e.Op == token.AND {
			return r.classOf(e.X)
		}
	case *ast.IndexExpr:
		// Every element of an array or slice shares its class.
		return r.classOf(e.X)
	case *ast.Ident:
		if v, ok := r.info.Uses[e].(*types.Var); ok {
			return r.varClass(v)
		}
	case *ast.SelectorExpr:
		if sel, ok := r.info.Selections[e]; ok && sel.Kind() == types.FieldVal {
			return r.pathClass(sel.Recv(), sel.Index(), func() string { return r.classOf(e.X) })
		}
		// A qualified identifier: otherpkg.Var.
		if v, ok := r.info.Uses[e.Sel].(*types.Var); ok {
			return r.varClass(v)
		}
	case *ast.TypeAssertExpr:
		// A value asserted from an interface: named after the interface.
		return r.classOf(e.X)
	case *ast.CallExpr:
		// A mutex returned by a function: classed by the function.
		if fn := calleeFunc(r.info, e); fn != nil {
			return r.funcClass(fn) + "()"
		}
		if id, ok := ast.Unparen(e.Fun).(*ast.Ident); ok {
			if v, ok := r.info.Uses[id].(*types.Var); ok { // a function value
				return r.varClass(v) + "()"
			}
		}
	}
	// No declaration to name it after: a class of its own, named by position.
	pos := r.fset.PositionFor(e.Pos(), false)
	return fmt.Sprintf("%s.%s:%d", r.pkg.Path(), path.Base(r.rel), pos.Line)
}

// pathClass walks the field selections index from a value of type recv and
// returns the class of the last field reached. holder is the class of the
// value of type recv itself; it is only called for unnamed struct types.
func (r *rewriter) pathClass(recv types.Type, index []int, holder func() string) string {
	class := ""
	t := recv
	for i, idx := range index {
		st, named := structOf(t)
		if st == nil || idx >= st.NumFields() {
			return class
		}
		f := st.Field(idx)
		var base string
		switch {
		case named != nil:
			base = namedClass(named)
		case i == 0:
			base = holder()
		default:
			base = class
		}
		if f.Embedded() {
			class = base
		} else {
			class = base + "." + f.Name()
		}
		t = f.Type()
	}
	return class
}

// structOf returns the struct type behind t (dereferencing one pointer) and
// the named type that declares it, if any.
func structOf(t types.Type) (*types.Struct, *types.Named) {
	t = types.Unalias(t)
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	st, _ := t.Underlying().(*types.Struct)
	named, _ := t.(*types.Named)
	return st, named
}

// namedClass is pkg/path.Type for a named type (generic types drop their type
// arguments).
func namedClass(n *types.Named) string {
	obj := n.Origin().Obj()
	if obj.Pkg() == nil {
		return obj.Name()
	}
	return obj.Pkg().Path() + "." + obj.Name()
}

// varClass names a variable: pkg/path.name at package level, and
// pkg/path.Func.name for locals and parameters. A *sync.Mutex parameter or
// local pointer is classed by the pointer's own declaration, since where it
// points is not known statically: every mutex locked through it shares that
// class.
func (r *rewriter) varClass(v *types.Var) string {
	pkg := v.Pkg()
	if pkg == nil {
		return v.Name()
	}
	if v.Parent() == pkg.Scope() || v.IsField() {
		return pkg.Path() + "." + v.Name()
	}
	if fn := r.enclosingName(v.Pos()); fn != "" {
		return pkg.Path() + "." + fn + "." + v.Name()
	}
	return pkg.Path() + "." + v.Name()
}

// funcClass names a function or method: pkg/path.Func or pkg/path.Type.Method.
func (r *rewriter) funcClass(fn *types.Func) string {
	pkgPath := r.pkg.Path()
	if fn.Pkg() != nil {
		pkgPath = fn.Pkg().Path()
	}
	if recv := fn.Signature().Recv(); recv != nil {
		if _, named := structOrNamed(recv.Type()); named != nil {
			return pkgPath + "." + named.Origin().Obj().Name() + "." + fn.Name()
		}
	}
	return pkgPath + "." + fn.Name()
}

func structOrNamed(t types.Type) (types.Type, *types.Named) {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		t = types.Unalias(p.Elem())
	}
	n, _ := t.(*types.Named)
	return t, n
}

// enclosingName returns the name of the top-level function or method of this
// file that contains pos ("Func" or "Type.Method"); closures belong to their
// enclosing named function. For positions in a package-level var initializer
// it returns the variable's name, otherwise "".
func (r *rewriter) enclosingName(pos token.Pos) string {
	for _, d := range r.file.Decls {
		if pos < d.Pos() || pos >= d.End() {
			continue
		}
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil && len(d.Recv.List) == 1 {
				if name := recvTypeName(d.Recv.List[0].Type); name != "" {
					return name + "." + d.Name.Name
				}
			}
			return d.Name.Name
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				if vs, ok := spec.(*ast.ValueSpec); ok && pos >= vs.Pos() && pos < vs.End() && len(vs.Names) > 0 {
					return vs.Names[0].Name
				}
			}
		}
	}
	return ""
}

// recvTypeName returns T for receivers written T, *T, T[P] or *T[P].
func recvTypeName(e ast.Expr) string {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.StarExpr:
			e = x.X
		case *ast.IndexExpr:
			e = x.X
		case *ast.IndexListExpr:
			e = x.X
		case *ast.Ident:
			return x.Name
		default:
			return ""
		}
	}
}

// calleeFunc returns the function or method called by call, if it is a
// statically known one.
func calleeFunc(info *types.Info, call *ast.CallExpr) *types.Func {
	fun := ast.Unparen(call.Fun)
	switch f := fun.(type) {
	case *ast.IndexExpr:
		fun = f.X
	case *ast.IndexListExpr:
		fun = f.X
	}
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	}
	if id == nil {
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}
