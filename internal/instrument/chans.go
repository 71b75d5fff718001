package instrument

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"
)

// Channels. A channel operation is validated as a wait and an event of
// the channel's two event classes, "send: X" and "receive: X", where X is
// the class of the channel's declaration (classOf: a field, a variable, a
// parameter). A call of lockdepimpl goes before the statement that does
// the operation, on its line, with the channel's len and cap evaluated
// there (see lockdepimpl/chan.go):
//
//	ch <- v          →  lockdepimpl_.Send(ch, &S[i], &S[j], len(ch), cap(ch)); ch <- v
//	v, ok := <-ch    →  lockdepimpl_.Recv(ch, &S[i], &S[j], len(ch), cap(ch)); v, ok := <-ch
//	close(ch)        →  lockdepimpl_.Close(ch, &S[j]); close(ch)
//	defer close(ch)  →  defer lockdepimpl_.Close(ch, &S[j]); defer close(ch)
//
// The channel is passed as the instance of its events.
//
// A receive is found in the expressions that a statement evaluates
// unconditionally (an expression statement, an assignment, a return, a
// send's value, and the init of an if or a switch), not in a function
// literal nor in the right operand of && or ||. A range over a channel
// validates its first receive before the loop and each later one at the
// start of the body (where the goroutine holds what it held at that
// receive, and has taken since its previous one what the body took):
//
//	for v := range ch {  →  lockdepimpl_.Recv(...); for v := range ch { lockdepimpl_.Recv(...);
//
// A select with no default, and no case on a timer (a channel of
// time.Time: time.After, a Timer's or Ticker's C) nor on a context's
// Done, is a wait on each of its cases; a context may end by a deadline
// or by its parent's cancellation, which no lock orders. A receive case
// on a done channel (of struct{}) in a select with other cases is its
// way out, not what it waits for: a select that hands work over or gives
// up once closed blocks only while the work is stuck, and the work
// case's own wait says when. Each case taken makes its event at the
// start of its body, in every select:
//
//	select {                 →  lockdepimpl_.SelectSend(out, &S[i], len(out), cap(out)); select {
//	case out <- v:           →  case out <- v: lockdepimpl_.Made(out, &S[j]);
//
// A select with both a send and a receive case on one channel (a
// Replace of the latest value) has one ready whenever the channel is
// buffered: it is a wait only on an unbuffered channel (SelectBoth).
//
// The channel expression is evaluated more than once, so only expressions
// without side effects are rewritten: variables, field selections,
// dereferences and index expressions of those with such indexes; a
// channel a call returns (ctx.Done(), s.events()) is not validated. A
// statement that is not in a statement list (the init or post statement
// of a for, say) is left alone.

// channelOps rewrites the channel operations of n, a node the walk
// visits (r.stack ends with it).
func (r *rewriter) channelOps(n ast.Node) {
	switch n := n.(type) {
	case *ast.SendStmt, *ast.ExprStmt, *ast.AssignStmt, *ast.ReturnStmt, *ast.DeferStmt, *ast.IfStmt, *ast.SwitchStmt, *ast.TypeSwitchStmt:
		r.channelStmt(n.(ast.Stmt))
	case *ast.RangeStmt:
		r.rangeChan(n)
	case *ast.SelectStmt:
		r.selectStmt(n)
	}
}

// chanOf returns the channel type of e, or nil.
func (r *rewriter) chanOf(e ast.Expr) *types.Chan {
	t := r.info.TypeOf(e)
	if t == nil {
		return nil
	}
	c, _ := types.Unalias(t).Underlying().(*types.Chan)
	return c
}

// isTimer reports whether ch is a clock's channel, of time.Time
// (time.After, time.Tick, a Timer's or a Ticker's C): what it waits for
// comes with time, not from a goroutine that may need a lock.
func isTimer(ch *types.Chan) bool {
	n, ok := types.Unalias(ch.Elem()).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "time" && n.Obj().Name() == "Time"
}

// isContextDone reports whether e is a call of the Done method of a
// context (a type with the methods of context.Context).
func (r *rewriter) isContextDone(e ast.Expr) bool {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "Done" {
		return false
	}
	t := r.info.TypeOf(sel.X)
	if t == nil {
		return false
	}
	for _, m := range []string{"Deadline", "Err", "Value"} {
		if obj, _, _ := types.LookupFieldOrMethod(t, true, nil, m); obj == nil {
			return false
		}
	}
	return true
}

// pure reports whether evaluating e again has no side effect and gives
// the same channel: a variable, a field selection, a dereference or an
// index expression of those, with a constant or such an index.
func (r *rewriter) pure(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return r.pure(e.X)
	case *ast.Ident:
		_, ok := r.info.Uses[e].(*types.Var)
		return ok
	case *ast.BasicLit:
		return true
	case *ast.SelectorExpr:
		if s, ok := r.info.Selections[e]; ok {
			return s.Kind() == types.FieldVal && r.pure(e.X)
		}
		_, ok := r.info.Uses[e.Sel].(*types.Var) // otherpkg.Var
		return ok
	case *ast.StarExpr:
		return r.pure(e.X)
	case *ast.IndexExpr:
		if tv, ok := r.info.Types[e.X]; !ok || !tv.IsValue() {
			return false // an instantiation
		}
		return r.pure(e.X) && r.pure(e.Index)
	}
	return false
}

// chanText returns the text that evaluates the channel expression e
// again, and whether e may be evaluated again (see pure) as a channel
// that is not a clock's.
func (r *rewriter) chanText(e ast.Expr) (string, bool) {
	ch := r.chanOf(e)
	if ch == nil || isTimer(ch) || !r.pure(e) {
		return "", false
	}
	return types.ExprString(e), true
}

// chanSites adds the sites of the two event classes of channel e, at
// pos: the one an operation waits for (kind "send" or "receive") and the
// other, which it makes.
func (r *rewriter) chanSites(e ast.Expr, kind string, pos token.Pos) (wait, made string) {
	class := r.classOf(e)
	other := "receive"
	if kind == "receive" {
		other = "send"
	}
	return r.addSite(kind+": "+class, pos, false), r.addSite(other+": "+class, pos, false)
}

// listStmt returns the statement that stands in a statement list for
// the statement the walk is at (itself, or the labeled statement around
// it), or nil if it is not in one.
func (r *rewriter) listStmt() ast.Stmt {
	i := len(r.stack) - 1
	n, _ := r.stack[i].(ast.Stmt)
	for i > 0 {
		l, ok := r.stack[i-1].(*ast.LabeledStmt)
		if !ok || l.Stmt != n {
			break
		}
		n, i = l, i-1
	}
	if i == 0 || n == nil {
		return nil
	}
	var list []ast.Stmt
	switch p := r.stack[i-1].(type) {
	case *ast.BlockStmt:
		list = p.List
	case *ast.CaseClause:
		list = p.Body
	case *ast.CommClause:
		list = p.Body
	}
	for _, s := range list {
		if s == n {
			return n
		}
	}
	return nil
}

// prefix inserts text, statements that end with "; ", before s, a
// statement of a list.
func (r *rewriter) prefix(s ast.Stmt, text string) {
	if text != "" {
		r.insertBefore(s.Pos(), s, r.added(addedMark, text))
	}
}

// prefixAt returns where the calls that go before s go: before s, where
// at, the statement of the list, is s or a label on it, unless s is a
// statement that a break or a continue names by its label (a switch, a
// select, a loop), which the label must stay on.
func prefixAt(at, s ast.Stmt) ast.Stmt {
	switch s.(type) {
	case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt, *ast.RangeStmt, *ast.ForStmt:
		return at
	}
	return s
}

// channelStmt rewrites the sends, receives and closes of s, a statement
// of a list, that s makes unconditionally.
func (r *rewriter) channelStmt(s ast.Stmt) {
	at := r.listStmt()
	if at == nil {
		return
	}
	at = prefixAt(at, s)
	pos := at.Pos() // of the sites: the line of the calls
	var b strings.Builder
	var exprs []ast.Expr
	switch s := s.(type) {
	case *ast.SendStmt:
		exprs = []ast.Expr{s.Value}
	case *ast.ExprStmt:
		if ch, ok := r.closeArg(s.X); ok {
			r.closeText(&b, "", ch, pos)
			r.prefix(at, b.String())
			return
		}
		exprs = []ast.Expr{s.X}
	case *ast.AssignStmt:
		exprs = s.Rhs
	case *ast.ReturnStmt:
		exprs = s.Results
	case *ast.DeferStmt:
		if ch, ok := r.closeArg(s.Call); ok {
			r.closeText(&b, "defer ", ch, pos)
			r.prefix(at, b.String())
		}
		return
	case *ast.IfStmt:
		if s.Init == nil {
			exprs = []ast.Expr{s.Cond}
		}
	case *ast.SwitchStmt:
		if s.Init == nil && s.Tag != nil {
			exprs = []ast.Expr{s.Tag}
		}
	}
	if init := initOf(s); init != nil {
		switch init := init.(type) {
		case *ast.AssignStmt:
			exprs = init.Rhs
		case *ast.ExprStmt:
			exprs = []ast.Expr{init.X}
		}
	}
	for _, e := range exprs {
		r.receives(&b, e, pos)
	}
	if send, ok := s.(*ast.SendStmt); ok {
		if text, ok := r.chanText(send.Chan); ok {
			wait, made := r.chanSites(send.Chan, "send", pos)
			b.WriteString(implName + ".Send(" + text + ", " + wait + ", " + made + ", len(" + text + "), cap(" + text + ")); ")
		}
	}
	r.prefix(at, b.String())
}

// initOf returns the init statement of an if or a switch.
func initOf(s ast.Stmt) ast.Stmt {
	switch s := s.(type) {
	case *ast.IfStmt:
		return s.Init
	case *ast.SwitchStmt:
		return s.Init
	case *ast.TypeSwitchStmt:
		return s.Init
	}
	return nil
}

// receives writes to b a call of Recv, with sites at pos, for each
// receive that evaluating e makes unconditionally, in the order of the
// source.
func (r *rewriter) receives(b *strings.Builder, e ast.Expr, pos token.Pos) {
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.BinaryExpr:
			if n.Op == token.LAND || n.Op == token.LOR {
				r.receives(b, n.X, pos)
				return false
			}
		case *ast.UnaryExpr:
			if n.Op != token.ARROW {
				break
			}
			if text, ok := r.chanText(n.X); ok {
				wait, made := r.chanSites(n.X, "receive", pos)
				b.WriteString(implName + ".Recv(" + text + ", " + wait + ", " + made + ", len(" + text + "), cap(" + text + ")); ")
			}
		}
		return true
	})
}

// closeArg returns the channel that e, a call of the builtin close,
// closes.
func (r *rewriter) closeArg(e ast.Expr) (ast.Expr, bool) {
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return nil, false
	}
	id, ok := ast.Unparen(call.Fun).(*ast.Ident)
	if !ok {
		return nil, false
	}
	if b, ok := r.info.Uses[id].(*types.Builtin); !ok || b.Name() != "close" {
		return nil, false
	}
	return call.Args[0], true
}

// closeText writes to b the call of Close, after keyword ("" or
// "defer "), for a close of ch, with its site at pos.
func (r *rewriter) closeText(b *strings.Builder, keyword string, ch ast.Expr, pos token.Pos) {
	text, ok := r.chanText(ch)
	if !ok {
		return
	}
	made := r.addSite("receive: "+r.classOf(ch), pos, false)
	b.WriteString(keyword + implName + ".Close(" + text + ", " + made + "); ")
}

// rangeChan rewrites a range over a channel: its first receive before
// the loop, each later one at the start of the body.
func (r *rewriter) rangeChan(rs *ast.RangeStmt) {
	text, ok := r.chanText(rs.X)
	if !ok {
		return
	}
	at := r.listStmt()
	if at == nil {
		return
	}
	recv := func(pos token.Pos) string {
		wait, made := r.chanSites(rs.X, "receive", pos)
		return implName + ".Recv(" + text + ", " + wait + ", " + made + ", len(" + text + "), cap(" + text + ")); "
	}
	r.prefix(at, recv(at.Pos()))
	if rs.Tok == token.DEFINE && r.shadows(rs.X, rs.Key, rs.Value) {
		return // the body sees the loop's variables under the channel's names
	}
	r.insertAfter(&ast.BasicLit{ValuePos: rs.Body.Lbrace, Value: "{"}, r.added(addedMark, " "+recv(rs.Body.Lbrace)))
}

// shadows reports whether one of the variables vars declares a name that
// e uses.
func (r *rewriter) shadows(e ast.Expr, vars ...ast.Expr) bool {
	names := map[string]bool{}
	for _, v := range vars {
		if id, ok := v.(*ast.Ident); ok {
			names[id.Name] = true
		}
	}
	found := false
	ast.Inspect(e, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && names[id.Name] {
			found = true
		}
		return !found
	})
	return found
}

// selectStmt rewrites a select: a wait on each case's event before it
// when it waits (see the top of this file), and the event each case
// taken makes at the start of its body.
func (r *rewriter) selectStmt(s *ast.SelectStmt) {
	waits := true
	type chanCase struct {
		cc   *ast.CommClause
		ch   ast.Expr
		kind string // of the event the case waits for
		text string // of ch, if it can be evaluated again; "" if not
	}
	var cases []chanCase
	for _, c := range s.Body.List {
		cc := c.(*ast.CommClause)
		var ch ast.Expr
		kind := "receive"
		switch comm := cc.Comm.(type) {
		case nil:
			waits = false // default
			continue
		case *ast.SendStmt:
			ch, kind = comm.Chan, "send"
		case *ast.ExprStmt:
			ch = recvChan(comm.X)
		case *ast.AssignStmt:
			if len(comm.Rhs) == 1 {
				ch = recvChan(comm.Rhs[0])
			}
		}
		if ch == nil {
			continue
		}
		if t := r.chanOf(ch); t == nil || isTimer(t) || r.isContextDone(ch) {
			waits = false
			continue
		}
		cases = append(cases, chanCase{cc: cc, ch: ch, kind: kind})
	}
	// A receive of struct{} (a done channel, closed to say stop) is the
	// select's way out, as a context's Done is, when it has other cases:
	// those are what it waits for.
	escapes := 0
	for _, c := range cases {
		if r.isDone(c.ch, c.kind) {
			escapes++
		}
	}
	// A select that both sends to and receives from one channel, as a
	// Replace of the latest value does, has a case ready whenever the
	// channel is buffered: SelectBoth waits for its two events only if
	// it is not.
	kinds := map[string]map[string]bool{}
	for i := range cases {
		c := &cases[i]
		c.text, _ = r.chanText(c.ch)
		if c.text != "" {
			if kinds[c.text] == nil {
				kinds[c.text] = map[string]bool{}
			}
			kinds[c.text][c.kind] = true
		}
	}
	at := r.listStmt()
	var b strings.Builder
	for _, c := range cases {
		text := c.text
		if text == "" {
			continue
		}
		other := "receive"
		if c.kind == "receive" {
			other = "send"
		}
		if both := kinds[text]; len(both) == 2 {
			if waits && at != nil && c.kind == "send" {
				send := r.addSite("send: "+r.classOf(c.ch), at.Pos(), false)
				recv := r.addSite("receive: "+r.classOf(c.ch), at.Pos(), false)
				b.WriteString(implName + ".SelectBoth(" + text + ", " + send + ", " + recv + ", cap(" + text + ")); ")
			}
		} else if waits && at != nil && (escapes == len(cases) || !r.isDone(c.ch, c.kind)) {
			fn := ".SelectRecv("
			if c.kind == "send" {
				fn = ".SelectSend("
			}
			wait := r.addSite(c.kind+": "+r.classOf(c.ch), at.Pos(), false)
			b.WriteString(implName + fn + text + ", " + wait + ", len(" + text + "), cap(" + text + ")); ")
		}
		made := r.addSite(other+": "+r.classOf(c.ch), c.cc.Colon, false)
		if as, ok := c.cc.Comm.(*ast.AssignStmt); ok && as.Tok == token.DEFINE && r.shadows(c.ch, as.Lhs...) {
			text = "nil" // the body sees the case's variables under the channel's names
		}
		r.insertAfter(&ast.BasicLit{ValuePos: c.cc.Colon, Value: ":"}, r.added(addedMark, " "+implName+".Made("+text+", "+made+");"))
	}
	if at != nil {
		r.prefix(at, b.String())
	}
}

// isDone reports whether a case of kind on channel ch receives from a
// done channel, a channel of struct{}.
func (r *rewriter) isDone(ch ast.Expr, kind string) bool {
	t := r.chanOf(ch)
	if t == nil || kind != "receive" {
		return false
	}
	st, ok := t.Elem().Underlying().(*types.Struct)
	return ok && st.NumFields() == 0
}

// recvChan returns the channel that e receives from, if e is a receive.
func recvChan(e ast.Expr) ast.Expr {
	if u, ok := ast.Unparen(e).(*ast.UnaryExpr); ok && u.Op == token.ARROW {
		return u.X
	}
	return nil
}
