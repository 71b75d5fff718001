package instrument

import (
	"go/ast"
	"go/types"
	"strings"
)

// Goroutines that end. A goroutine that ends while it holds a lock is
// legal when another goroutine unlocks it later, and a bug when none
// does: the validator reports it once someone waits for the lock or the
// process ends, if it learns that the goroutine ended. The go statements
// of rewritten files tell it, on their own line:
//
//	go func(p T) { ... }(x)  →  go func(p T) { defer lockdepimpl_.Exited(&lockdepSites_N[i]); ... }(x)
//	go x.m()                 →  go lockdepimpl_.Go(x.m, &lockdepSites_N[i])
//	go f()                   →  go lockdepimpl_.Go(f, &lockdepSites_N[i])
//
// The deferred call runs after every other deferred call of the literal,
// recover included, when the goroutine ends. The method value x.m and the
// function value f are evaluated by the go statement, as the statement
// evaluated them. Go takes a func(), so only a call without arguments or
// results is wrapped: one with arguments would need their types named,
// which the file may not be able to do. Such goroutines (and those of
// calls of lock methods, which are rewritten as lock operations) are
// left alone; the validator finds them gone when the process or a test
// ends.

// goStatements rewrites the go statements the walk collected. It runs
// after the walk, which marks the calls it rewrote as lock operations.
func (r *rewriter) goStatements() {
	for _, g := range r.goStmts {
		call := g.Call
		fun := ast.Unparen(call.Fun)
		if lit, ok := fun.(*ast.FuncLit); ok {
			site := r.addSite("", g.Go, false)
			brace := &ast.BasicLit{ValuePos: lit.Body.Lbrace, Value: "{"}
			r.insertAfter(brace, r.added(addedMark, " defer "+implName+".Exited("+site+");"))
			continue
		}
		if len(call.Args) > 0 || call.Ellipsis.IsValid() || !r.plainFunc(fun) {
			continue
		}
		if sel, ok := fun.(*ast.SelectorExpr); ok && r.handled[sel] {
			continue // a lock method, rewritten as a lock operation
		}
		site := r.addSite("", g.Go, false)
		r.insertBefore(call.Pos(), call, implName+".Go(")
		// The call's opening parenthesis becomes the site's argument, and
		// its closing one closes Go's call; a line break between them
		// follows a trailing comma.
		start := r.off(call.Lparen)
		text := ", " + site
		if strings.Contains(string(r.src[start:r.off(call.Rparen)]), "\n") {
			text += ","
		}
		r.edits = append(r.edits, edit{start: start, end: start + 1, text: text, order: 1 << 29})
	}
}

// plainFunc reports whether fun, the function of a go statement, is a
// function value of type func(): no parameters, no results. Builtins and
// conversions are not.
func (r *rewriter) plainFunc(fun ast.Expr) bool {
	tv, ok := r.info.Types[fun]
	if !ok || !tv.IsValue() {
		return false
	}
	sig, ok := types.Unalias(tv.Type).Underlying().(*types.Signature)
	return ok && sig.Params().Len() == 0 && sig.Results().Len() == 0 && !sig.Variadic()
}
