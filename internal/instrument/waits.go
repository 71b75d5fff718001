package instrument

import (
	"go/ast"
	"go/types"
)

// This file rewrites the waits that are not locks (DESIGN.md §3, "Waits
// and events"): the methods of sync.WaitGroup, sync.Once and sync.Cond
// that wait or make an event. A call becomes one of lockdepimpl's
// functions, with the receiver's address first and a site whose class is
// the event's, "kind: " and the declaration of the receiver (of the
// pointer, for one reached through a pointer, as classOf names it):
//
//	wg.Wait()   →  lockdepimpl_.WGWait(&wg, &lockdepSites_N[i])       class "wait: p.T.wg"
//	wg.Done()   →  lockdepimpl_.WGDone(&wg, &lockdepSites_N[i])
//	defer wg.Done()  →  defer lockdepimpl_.WGDeferredDone(lockdepimpl_.WGBegin(&wg, &s), &s)
//	wg.Go(f)    →  lockdepimpl_.WGGo(&wg, &lockdepSites_N[i], f)
//	once.Do(f)  →  lockdepimpl_.OnceDo(&once, &lockdepSites_N[i], f)    class "once: p.T.once"
//	c.Wait()    →  lockdepimpl_.CondWait(c, &lockdepSites_N[i])         class "cond: p.T.c"
//	c.Signal()  →  lockdepimpl_.CondSignal(c, &lockdepSites_N[i])
//
// A method value wraps the receiver, as for a mutex:
//
//	wg.Done     →  lockdepimpl_.WGMethod(&wg, &lockdepSites_N[i]).Done
//
// Add is not a wait and is left alone; so are method expressions
// ((*sync.WaitGroup).Done), which are not validated, and the functions
// that sync.OnceFunc, OnceValue and OnceValues return.

// waitMethod describes one method of a sync type that waits for an event
// or makes one.
type waitMethod struct {
	impl string // function of lockdepimpl that replaces a call
	wrap string // wrapper of lockdepimpl for a method value
	kind string // the event's kind, the start of its class name
}

// waitMethods maps the full names of the methods (as returned by
// [types.Func.FullName]) to their replacements.
var waitMethods = map[string]waitMethod{
	"(*sync.WaitGroup).Wait": {impl: "WGWait", wrap: "WGMethod", kind: "wait"},
	"(*sync.WaitGroup).Done": {impl: "WGDone", wrap: "WGMethod", kind: "wait"},
	"(*sync.WaitGroup).Go":   {impl: "WGGo", wrap: "WGMethod", kind: "wait"},
	"(*sync.Once).Do":        {impl: "OnceDo", wrap: "OnceMethod", kind: "once"},
	"(*sync.Cond).Wait":      {impl: "CondWait", wrap: "CondMethod", kind: "cond"},
	"(*sync.Cond).Signal":    {impl: "CondSignal", wrap: "CondMethod", kind: "cond"},
	"(*sync.Cond).Broadcast": {impl: "CondBroadcast", wrap: "CondMethod", kind: "cond"},
}

// waitMethod returns the method of waitMethods that sel selects as a
// method value (called or not), and the selection.
func (r *rewriter) waitMethod(sel *ast.SelectorExpr) (waitMethod, *types.Selection, bool) {
	s, ok := r.info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal {
		return waitMethod{}, nil, false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return waitMethod{}, nil, false
	}
	m, ok := waitMethods[fn.FullName()]
	return m, s, ok
}

// waitCall rewrites a call of a method of waitMethods and reports
// whether call was one. The receiver and the arguments stay in place, so
// rewrites inside them stay valid; the site comes before the arguments:
//
//	wg.Go(f)  →  lockdepimpl_.WGGo(&wg, &lockdepSites_N[i], f)
func (r *rewriter) waitCall(call *ast.CallExpr, sel *ast.SelectorExpr) bool {
	m, s, ok := r.waitMethod(sel)
	if !ok {
		return false
	}
	r.handled[sel] = true
	r.handled[ast.Unparen(sel.X)] = true
	fields, amp := receiverParts(s)
	site := r.addSite(m.kind+": "+r.mutexClass(sel.X, s), sel.Sel.Pos(), false)
	r.followWG(m, sel.X, s)
	if m.impl == "WGDone" && r.deferred(call) {
		// defer wg.Done(): the goroutine makes the event from here on,
		// a region that its deferred call ends (see lockdepimpl.WGBegin).
		r.insertBefore(call.Pos(), call, implName+".WGDeferredDone("+implName+".WGBegin("+amp)
		r.replace(sel.X.End(), call.End(), call, fields+", "+slot+site+"), "+site+")")
		return true
	}
	r.insertBefore(call.Pos(), call, implName+"."+m.impl+"("+amp)
	if len(call.Args) == 0 {
		r.replace(sel.X.End(), call.End(), call, fields+", "+slot+site+")")
		return true
	}
	// The site comes before the arguments, on the line of the call.
	r.replace(sel.X.End(), call.Lparen+1, call, fields+", "+slot+site+", ")
	return true
}

// deferred reports whether call is the call of a defer statement.
func (r *rewriter) deferred(call *ast.CallExpr) bool {
	if n := len(r.stack); n >= 2 && r.stack[n-1] == call {
		d, ok := r.stack[n-2].(*ast.DeferStmt)
		return ok && d.Call == call
	}
	return false
}

// waitValue rewrites a method value of a method of waitMethods and
// reports whether sel was one:
//
//	wg.Done  →  lockdepimpl_.WGMethod(&wg, &lockdepSites_N[i]).Done
func (r *rewriter) waitValue(sel *ast.SelectorExpr) bool {
	m, s, ok := r.waitMethod(sel)
	if !ok {
		return false
	}
	r.handled[sel] = true
	r.handled[ast.Unparen(sel.X)] = true
	fields, amp := receiverParts(s)
	r.wrapReceiver(sel, m.wrap, amp, fields, m.kind+": "+r.mutexClass(sel.X, s), false)
	r.followWG(m, sel.X, s)
	return true
}

// followWG marks the site added last as one that follows its WaitGroup's
// address (Site.Follow), if m is a WaitGroup's method reached through a
// pointer: the class registered where the WaitGroup's address was taken
// (WGRef) names it then, not the pointer.
func (r *rewriter) followWG(m waitMethod, x ast.Expr, s *types.Selection) {
	if m.kind == "wait" && r.wgViaPointer(x, s) {
		r.sites[len(r.sites)-1].follow = true
	}
}
