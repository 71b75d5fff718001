package cli

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/testmod"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/txtar"
)

// The run-time module is built at its go line, 1.18, where the variables
// that a for statement declares are shared by all its iterations; the
// same packages, tested in this repository at its go line, get variables
// of their own per iteration (Go 1.22). Code that works only with the
// latter would pass every test here and fail in every lockdep run. Which
// loops can tell the difference is known without running them: a loop
// variable whose address is taken, or that a function literal refers to,
// is one the compiler gives a variable per iteration (and the only kind).
// loopVarDependence finds such uses that can outlive the iteration.

// TestRuntimeLoopVars fails if code of the run-time module could depend
// on a loop variable per iteration (see loopVarDependence). go vet's
// loopclosure check, which TestRuntimeModule runs at go 1.18, sees only
// a goroutine or deferred call that ends a loop's body.
func TestRuntimeLoopVars(t *testing.T) {
	if testing.Short() {
		t.Skip("type-checks the run-time module")
	}
	t.Parallel()
	files := txtar.Parse(runtimeArchive).Files
	dir := testmod.Dir(t, "runtime", files)
	// Every file, whichever platforms compile it: those the host does not
	// are type-checked for a platform that does, if they hold a loop.
	todo := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".go") && hasLoop(t, f.Name, f.Data) {
			todo[filepath.Join(dir, filepath.FromSlash(f.Name))] = true
		}
	}
	var found []string
	check := func(env ...string) {
		cfg := &packages.Config{
			Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedSyntax |
				packages.NeedTypes | packages.NeedTypesInfo,
			Dir: dir,
			Env: append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS=-mod=mod"}, env...)...),
		}
		pkgs, err := packages.Load(cfg, "./...")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pkgs {
			if len(p.Errors) > 0 {
				t.Fatalf("%s %v: %v", p.PkgPath, env, p.Errors)
			}
			var syntax []*ast.File
			for i, f := range p.Syntax {
				if name := p.CompiledGoFiles[i]; todo[name] {
					delete(todo, name)
					syntax = append(syntax, f)
				}
			}
			for _, s := range loopVarDependence(p.Fset, syntax, p.TypesInfo) {
				found = append(found, strings.TrimPrefix(s, dir+string(filepath.Separator)))
			}
		}
	}
	check()
	if len(todo) > 0 {
		out, err := exec.Command("go", "tool", "dist", "list").Output()
		if err != nil {
			t.Fatalf("go tool dist list: %v", err)
		}
		for _, platform := range strings.Fields(string(out)) {
			goos, goarch, _ := strings.Cut(platform, "/")
			ctx := build.Default
			ctx.GOOS, ctx.GOARCH, ctx.CgoEnabled = goos, goarch, false
			for name := range todo {
				if ok, err := ctx.MatchFile(filepath.Dir(name), filepath.Base(name)); err == nil && ok {
					t.Logf("for %s: %s", platform, name)
					check("GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
					break
				}
			}
		}
	}
	for name := range todo {
		t.Errorf("%s: no platform compiles it, and it holds a loop", name)
	}
	slices.Sort(found)
	for _, s := range found {
		t.Error(s)
	}
	if len(found) > 0 {
		t.Log("the run-time module is built at go 1.18, where a loop's variables are shared by its iterations: " +
			"copy the variable in the loop's body (v := v), or index the slice (&s[i])")
	}
}

// hasLoop reports whether the Go file holds a for statement.
func hasLoop(t *testing.T, name string, src []byte) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.ForStmt, *ast.RangeStmt:
			found = true
		}
		return !found
	})
	return found
}

// loopVarDependence returns the places in files, type-checked with info,
// where code may depend on a for statement's variables being new in each
// iteration, one line each (file:line:col: what): where a variable that
// the for statement declares
//
//   - is referred to by a function literal, other than one called on the
//     spot (not by a go or defer statement), which cannot outlive it;
//   - has its address taken (&v, &v.field, &v[i] of an array), other than
//     as an argument of a function call (not a conversion, not a built-in,
//     not in a go or defer statement), which lasts as long as the call;
//   - is the receiver of a method with a pointer receiver (v.M), other
//     than in a method call, for the same reason.
//
// A callee that keeps a pointer it was given, or a receiver, is not seen.
func loopVarDependence(fset *token.FileSet, files []*ast.File, info *types.Info) []string {
	var out []string
	report := func(n ast.Node, format string, args ...any) {
		out = append(out, fmt.Sprintf("%s: %s", fset.Position(n.Pos()), fmt.Sprintf(format, args...)))
	}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			vars := map[*types.Var]bool{}
			var decl []ast.Expr
			switch n := n.(type) {
			case *ast.RangeStmt:
				if n.Tok == token.DEFINE {
					decl = []ast.Expr{n.Key, n.Value}
				}
			case *ast.ForStmt:
				if as, ok := n.Init.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
					decl = as.Lhs
				}
			}
			for _, e := range decl {
				if id, ok := e.(*ast.Ident); ok {
					if v, ok := info.Defs[id].(*types.Var); ok {
						vars[v] = true
					}
				}
			}
			if len(vars) == 0 {
				return true
			}
			loopVar := func(e ast.Expr) *types.Var {
				if v := addressed(e, info); vars[v] {
					return v
				}
				return nil
			}
			walk(n, nil, func(n ast.Node, stack []ast.Node) {
				switch n := n.(type) {
				case *ast.FuncLit:
					if calledHere(n, stack) {
						return
					}
					seen := map[*types.Var]bool{}
					ast.Inspect(n.Body, func(m ast.Node) bool {
						if id, ok := m.(*ast.Ident); ok {
							if v, ok := info.Uses[id].(*types.Var); ok && vars[v] && !seen[v] {
								seen[v] = true
								report(id, "loop variable %s is used by a function literal that may outlive the iteration", v.Name())
							}
						}
						return true
					})
				case *ast.UnaryExpr:
					if n.Op != token.AND {
						return
					}
					if v := loopVar(n.X); v != nil && !argument(n, stack, info) {
						report(n, "the address of loop variable %s may outlive the iteration", v.Name())
					}
				case *ast.SelectorExpr:
					sel := info.Selections[n]
					if sel == nil || sel.Kind() != types.MethodVal || sel.Indirect() {
						return
					}
					if _, ptr := sel.Obj().Type().(*types.Signature).Recv().Type().(*types.Pointer); !ptr {
						return
					}
					if _, isPtr := info.TypeOf(n.X).Underlying().(*types.Pointer); isPtr {
						return
					}
					if v := loopVar(n.X); v != nil && !called(n, stack, info) {
						report(n, "loop variable %s is the receiver of a method value (%s) that may outlive the iteration", v.Name(), n.Sel.Name)
					}
				}
			})
			return true
		})
	}
	return out
}

// walk calls fn for every node under n, with the nodes above it from n
// down (stack, not to be kept).
func walk(n ast.Node, stack []ast.Node, fn func(ast.Node, []ast.Node)) {
	ast.Inspect(n, func(m ast.Node) bool {
		if m == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		fn(m, stack)
		stack = append(stack, m)
		return true
	})
}

// addressed returns the variable whose storage e is part of (v, v.f,
// v[i] of an array, not through a pointer), or nil.
func addressed(e ast.Expr, info *types.Info) *types.Var {
	switch e := ast.Unparen(e).(type) {
	case *ast.Ident:
		v, _ := info.Uses[e].(*types.Var)
		return v
	case *ast.SelectorExpr:
		if sel := info.Selections[e]; sel != nil && sel.Kind() == types.FieldVal && !sel.Indirect() {
			return addressed(e.X, info)
		}
	case *ast.IndexExpr:
		if _, ok := info.TypeOf(e.X).Underlying().(*types.Array); ok {
			return addressed(e.X, info)
		}
	}
	return nil
}

// parent returns the node above n in stack, parentheses skipped, and
// the one above that.
func parent(stack []ast.Node) (p, gp ast.Node) {
	i := len(stack) - 1
	for i >= 0 {
		if _, ok := stack[i].(*ast.ParenExpr); !ok {
			break
		}
		i--
	}
	if i >= 0 {
		p = stack[i]
	}
	if i >= 1 {
		gp = stack[i-1]
	}
	return p, gp
}

// deferredOrGo reports whether call is the call of a go or defer
// statement s.
func deferredOrGo(call *ast.CallExpr, s ast.Node) bool {
	switch s := s.(type) {
	case *ast.GoStmt:
		return s.Call == call
	case *ast.DeferStmt:
		return s.Call == call
	}
	return false
}

// calledHere reports whether the function literal fl is called where it
// is written, and not by a go or defer statement.
func calledHere(fl *ast.FuncLit, stack []ast.Node) bool {
	p, gp := parent(stack)
	call, ok := p.(*ast.CallExpr)
	return ok && ast.Unparen(call.Fun) == fl && !deferredOrGo(call, gp)
}

// argument reports whether e is an argument of a function call that is
// not a conversion, a built-in or the call of a go or defer statement.
func argument(e ast.Expr, stack []ast.Node, info *types.Info) bool {
	p, gp := parent(stack)
	call, ok := p.(*ast.CallExpr)
	if !ok || !slices.ContainsFunc(call.Args, func(a ast.Expr) bool { return ast.Unparen(a) == e }) {
		return false
	}
	return ordinaryCall(call, gp, info)
}

// called reports whether the method selector sel is called where it is
// written, by an ordinary call (see argument).
func called(sel *ast.SelectorExpr, stack []ast.Node, info *types.Info) bool {
	p, gp := parent(stack)
	call, ok := p.(*ast.CallExpr)
	return ok && ast.Unparen(call.Fun) == sel && ordinaryCall(call, gp, info)
}

// ordinaryCall reports whether call, below node above, is a function or
// method call and not the call of a go or defer statement.
func ordinaryCall(call *ast.CallExpr, above ast.Node, info *types.Info) bool {
	if tv, ok := info.Types[call.Fun]; ok && (tv.IsType() || tv.IsBuiltin()) {
		return false
	}
	return !deferredOrGo(call, above)
}

// TestLoopVarDependence: loopVarDependence finds the loops of planted
// examples that depend on a variable per iteration, and only those.
func TestLoopVarDependence(t *testing.T) {
	const decls = `package p

type T struct{ n int; a [2]int; p *T }

func (t *T) Inc()     { t.n++ }
func (t T) Get() int  { return t.n }
func use(...any)      {}
func f(*T)            {}

var (
	ts   []T
	ptrs []*T
	ps   []*T
	is   []*int
	fs   []func()
	gs   []func() int
	last *T
)
`
	for _, tc := range []struct {
		name string
		body string
		want []string // messages, without positions
	}{
		{"goroutine", `for _, v := range ts { go func() { use(v) }() }`,
			[]string{"loop variable v is used by a function literal that may outlive the iteration"}},
		{"deferred", `for i := 0; i < 2; i++ { defer func() { use(i) }() }`,
			[]string{"loop variable i is used by a function literal that may outlive the iteration"}},
		{"kept-closure", `for _, v := range ts { fs = append(fs, func() { use(v) }) }`,
			[]string{"loop variable v is used by a function literal that may outlive the iteration"}},
		{"closure-called-here", `for _, v := range ts { func() { use(v) }() }`, nil},
		{"copied-first", `for _, v := range ts { v := v; go func() { use(v) }() }`, nil},
		{"address-kept", `for _, v := range ts { ps = append(ps, &v) }`,
			[]string{"the address of loop variable v may outlive the iteration"}},
		{"address-assigned", `for _, v := range ts { last = &v }`,
			[]string{"the address of loop variable v may outlive the iteration"}},
		{"field-address", `for _, v := range ts { is = append(is, &v.n) }`,
			[]string{"the address of loop variable v may outlive the iteration"}},
		{"array-element-address", `for _, v := range ts { is = append(is, &v.a[1]) }`,
			[]string{"the address of loop variable v may outlive the iteration"}},
		{"three-clause", `for i := 0; i < 2; i++ { is = append(is, &i) }`,
			[]string{"the address of loop variable i may outlive the iteration"}},
		{"conversion", `for _, v := range ts { last = (*T)(&v) }`,
			[]string{"the address of loop variable v may outlive the iteration"}},
		{"goroutine-argument", `for _, v := range ts { go f(&v) }`,
			[]string{"the address of loop variable v may outlive the iteration"}},
		{"call-argument", `for _, v := range ts { f(&v) }`, nil},
		{"through-pointer", `for _, p := range ptrs { is = append(is, &p.n) }`, nil},
		{"slice-element", `for i := range ts { ps = append(ps, &ts[i]) }`, nil},
		{"method-call", `for _, v := range ts { v.Inc(); v.p.Inc() }`, nil},
		{"method-value", `for _, v := range ts { fs = append(fs, v.Inc) }`,
			[]string{"loop variable v is the receiver of a method value (Inc) that may outlive the iteration"}},
		{"deferred-method", `for _, v := range ts { defer v.Inc() }`,
			[]string{"loop variable v is the receiver of a method value (Inc) that may outlive the iteration"}},
		{"value-method-value", `for _, v := range ts { gs = append(gs, v.Get) }`, nil},
		{"pointer-method-value", `for _, p := range ptrs { fs = append(fs, p.Inc) }`, nil},
		{"assigned-loop", `var v T; for _, v = range ts { last = &v }`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fset := token.NewFileSet()
			src := decls + "\nfunc _() {\n\t" + tc.body + "\n}\n"
			f, err := parser.ParseFile(fset, "p.go", src, 0)
			if err != nil {
				t.Fatal(err)
			}
			info := &types.Info{
				Types:      map[ast.Expr]types.TypeAndValue{},
				Defs:       map[*ast.Ident]types.Object{},
				Uses:       map[*ast.Ident]types.Object{},
				Selections: map[*ast.SelectorExpr]*types.Selection{},
			}
			if _, err := (&types.Config{GoVersion: "go1.18"}).Check("p", fset, []*ast.File{f}, info); err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, s := range loopVarDependence(fset, []*ast.File{f}, info) {
				_, msg, _ := strings.Cut(strings.TrimPrefix(s, "p.go:"), ": ")
				got = append(got, msg)
			}
			if diff := cmp.Diff(append([]string{}, tc.want...), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}
