package instrument

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	// implPath is the run-time support package that rewritten code calls.
	implPath = "github.com/golockdep/lockdep/lockdepimpl"
	// implName and syncName are the import names added to rewritten files;
	// the trailing underscore keeps them clear of user identifiers.
	implName = "lockdepimpl_"
	syncName = "lockdepsync_"
	// recvName is the parameter of the function literals that replace
	// method expressions.
	recvName = "lockdepR_"
)

// errCgo is returned by [rewriteFile] for files that import "C".
var errCgo = errors.New("cgo file")

// syncMethod describes one method of sync.Mutex or sync.RWMutex.
type syncMethod struct {
	impl    string // function of lockdepimpl that replaces a call
	result  string // result type of the method ("" for none)
	rw      bool   // method of sync.RWMutex
	acquire bool   // the method takes the lock (a //lockdep:nested directive applies)
}

// syncMethods maps the full names of the instrumented methods (as returned by
// [types.Func.FullName]) to their replacements.
var syncMethods = map[string]syncMethod{
	"(*sync.Mutex).Lock":       {impl: "Lock", acquire: true},
	"(*sync.Mutex).Unlock":     {impl: "Unlock"},
	"(*sync.Mutex).TryLock":    {impl: "TryLock", result: "bool", acquire: true},
	"(*sync.RWMutex).Lock":     {impl: "WLock", rw: true, acquire: true},
	"(*sync.RWMutex).Unlock":   {impl: "WUnlock", rw: true},
	"(*sync.RWMutex).TryLock":  {impl: "WTryLock", result: "bool", rw: true, acquire: true},
	"(*sync.RWMutex).RLock":    {impl: "RLock", rw: true, acquire: true},
	"(*sync.RWMutex).RUnlock":  {impl: "RUnlock", rw: true},
	"(*sync.RWMutex).TryRLock": {impl: "TryRLock", result: "bool", rw: true, acquire: true},
	"(*sync.RWMutex).RLocker":  {impl: "RLocker", result: syncName + ".Locker", rw: true},
}

// moduleRelPath returns filename relative to the nearest directory above it
// that holds a go.mod file, with forward slashes.
func moduleRelPath(filename string) string {
	for dir := filepath.Dir(filename); ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			if rel, err := filepath.Rel(dir, filename); err == nil {
				return filepath.ToSlash(rel)
			}
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return filepath.Base(filename)
}

// fileResult is what rewriteFile makes of one file.
type fileResult struct {
	out      []byte
	sites    int
	checked  int      // of sites, those validated whatever the options: see Result.Checked
	chans    int      // of sites, those of channel operations
	changed  bool     // out differs from the source
	notes    []string // about the file's lockdep directives, each starting with rel:line
	testMain bool     // the file declares TestMain, renamed (see testmain.go)
	src      []byte   // the source
	edits    []edit   // the edits that made out from src, in order
}

// rewriteFile rewrites one parsed, type-checked file of package pkg: every
// call, method value and method expression of a sync.Mutex or sync.RWMutex
// method, and every *sync.Mutex or *sync.RWMutex that escapes into a
// non-empty interface, is replaced on its own line by a call into the
// lockdepimpl package. fileIndex names the file's site array
// (lockdepSites_N) and must be unique among the files of the package; rel
// is the file's path relative to its module's root, as site records name
// it.
//
// It returns the new contents and the number of rewritten sites (a file
// with nothing to rewrite comes back unchanged, with no sites), notes
// about the file's lockdep directives (see directive.go) and whether it
// declares TestMain. Files that import "C" are rejected with an error.
func rewriteFile(fset *token.FileSet, file *ast.File, src []byte, info *types.Info, pkg *types.Package, fileIndex int, rel string, opts fileOptions) (fileResult, error) {
	if pkg.Path() == "sync" {
		return fileResult{out: src}, nil
	}
	for _, imp := range file.Imports {
		if imp.Path.Value == `"C"` {
			return fileResult{}, errCgo
		}
	}
	tf := fset.File(file.FileStart)
	if tf == nil || tf.Size() != len(src) {
		return fileResult{}, errors.New("positions do not match the source")
	}
	r := &rewriter{
		fset:      fset,
		tf:        tf,
		file:      file,
		src:       src,
		info:      info,
		pkg:       pkg,
		rel:       rel,
		opts:      opts,
		sitesName: "lockdepSites_" + strconv.Itoa(fileIndex),
		handled:   make(map[ast.Node]bool),
	}
	r.walk()
	r.goStatements()
	r.embeddedMethods()
	r.directives()
	testMain := r.testExit()
	r.mainExit()
	if len(r.sites) == 0 && !testMain && !r.exits {
		return fileResult{out: src, notes: r.notes}, nil
	}
	r.addHeaderAndSites()
	if opts.coverage {
		r.keepColumns()
	}
	out, err := applyEdits(src, r.edits)
	if err != nil {
		return fileResult{}, err
	}
	fr := fileResult{out: out, sites: len(r.sites), changed: true, notes: r.notes, testMain: testMain, src: src, edits: r.edits}
	for _, site := range r.sites {
		switch kind, _, _ := strings.Cut(site.class, ": "); {
		case kind == "send" || kind == "receive":
			fr.chans++
		case site.class != "": // a go statement's site has no class
			fr.checked++
		}
	}
	return fr, nil
}

// rewriter holds the state of one file's rewrite.
type rewriter struct {
	fset      *token.FileSet
	tf        *token.File
	file      *ast.File
	src       []byte
	info      *types.Info
	pkg       *types.Package
	rel       string // file path relative to its module root
	opts      fileOptions
	sitesName string // lockdepSites_N

	edits    []edit
	sites    []siteRecord
	needSync bool              // the file needs the lockdepsync_ import
	handled  map[ast.Node]bool // nodes already rewritten
	stack    []ast.Node        // path from the file to the current node
	notes    []string
	params   map[types.Object]bool // parameters, results and receivers (see isParam)
	exits    bool                  // os.Exit was rewritten (see testmain.go)
	goStmts  []*ast.GoStmt         // the go statements, rewritten after the walk
}

// fileOptions are the settings of one file's rewrite that do not come
// from the file itself.
type fileOptions struct {
	// classPath, if set, replaces the package path at the start of the
	// file's class names: the files of a command-line-arguments package
	// (go run main.go) get the import path of their directory, so that
	// they name their locks as the package form (go run .) does.
	classPath string
	// coverage says the build instruments coverage too (see cover.go).
	coverage bool
	// trees are the tree directives of the packages loaded (see tree.go).
	trees trees
}

// siteRecord is one element of the file's site array.
type siteRecord struct {
	class   string
	line    int
	acquire bool // the site takes a lock: a //lockdep:nested directive may apply
	nested  int  // the subclass that directive gives
	follow  bool // the site reaches its WaitGroup through a pointer (Site.Follow)
}

// edit replaces src[start:end] with text; start == end inserts.
type edit struct {
	start, end int
	text       string
	// order breaks ties between edits at the same start: lower first.
	// Prefix insertions use minus the span of their node, so that an outer
	// node's prefix comes before an inner one's.
	order int
}

func (r *rewriter) off(p token.Pos) int { return r.tf.Offset(p) }

func (r *rewriter) line(p token.Pos) int { return r.fset.PositionFor(p, false).Line }

// addSite records a site at pos and returns the expression that points at
// its record. Sites of acquisitions say so with acquire.
func (r *rewriter) addSite(class string, pos token.Pos, acquire bool) string {
	r.sites = append(r.sites, siteRecord{class: class, line: r.line(pos), acquire: acquire})
	return fmt.Sprintf("&%s[%d]", r.sitesName, len(r.sites)-1)
}

// insertBefore adds text at p, before any insertion at p for a node inside n.
func (r *rewriter) insertBefore(p token.Pos, n ast.Node, text string) {
	r.edits = append(r.edits, edit{start: r.off(p), end: r.off(p), text: text, order: -int(n.End() - n.Pos())})
}

// insertAfter adds text at the end of n, after any insertion there for a
// node inside n.
func (r *rewriter) insertAfter(n ast.Node, text string) {
	end := r.off(n.End())
	r.edits = append(r.edits, edit{start: end, end: end, text: text, order: int(n.End() - n.Pos())})
}

// wrap rewrites the expression e as a call of lockdepimpl's function fn
// with e and a new site of the given class: fn(e, &lockdepSites_N[i]).
func (r *rewriter) wrap(e ast.Expr, fn, class string, acquire bool) {
	r.handled[e] = true
	r.handled[ast.Unparen(e)] = true
	site := r.addSite(class, e.Pos(), acquire)
	r.insertBefore(e.Pos(), e, implName+"."+fn+"(")
	r.insertAfter(e, ", "+site+")")
}

// replace replaces [from, to) with text, keeping the replaced newlines: they
// are put where slot is in text (a place where a line break changes nothing,
// such as after a comma or an opening brace).
func (r *rewriter) replace(from, to token.Pos, n ast.Node, text string) {
	start, end := r.off(from), r.off(to)
	nl := strings.Repeat("\n", bytes.Count(r.src[start:end], []byte("\n")))
	r.edits = append(r.edits, edit{start: start, end: end, text: strings.Replace(text, slot, nl, 1), order: int(n.End() - n.Pos())})
}

// replaceSpan replaces the text from from to to, on one line, with text.
func (r *rewriter) replaceSpan(from, to token.Pos, text string) {
	r.edits = append(r.edits, edit{start: r.off(from), end: r.off(to), text: text})
}

// slot marks where replace puts the newlines of the replaced text.
const slot = "\x00"

// walk visits the file and records the edits. A node is visited before
// the nodes inside it, so a rewrite of the whole (an escape, say) marks the
// parts it covers as handled before they are seen.
func (r *rewriter) walk() {
	ast.Inspect(r.file, func(n ast.Node) bool {
		if n == nil {
			r.stack = r.stack[:len(r.stack)-1]
			return true
		}
		r.stack = append(r.stack, n)
		r.channelOps(n)
		switch n := n.(type) {
		case *ast.CallExpr:
			r.call(n)
			r.escapesInCall(n)
			r.allocsInAppend(n)
		case *ast.SelectorExpr:
			r.selector(n)
		case *ast.AssignStmt:
			r.escapesInAssign(n)
			r.allocsInAssign(n)
		case *ast.ValueSpec:
			r.escapesInValueSpec(n)
			r.allocsInValueSpec(n)
		case *ast.ReturnStmt:
			r.escapesInReturn(n)
		case *ast.CompositeLit:
			r.escapesInCompositeLit(n)
			r.allocsInCompositeLit(n)
		case *ast.SendStmt:
			r.escapesInSend(n)
		case *ast.UnaryExpr:
			r.addressOf(n)
		case *ast.GoStmt:
			r.goStmts = append(r.goStmts, n) // see goexit.go
		}
		return true
	})
}

// method returns the sync method selected by sel, if any, and the selection.
func (r *rewriter) method(sel *ast.SelectorExpr) (syncMethod, *types.Selection, bool) {
	s, ok := r.info.Selections[sel]
	if !ok || (s.Kind() != types.MethodVal && s.Kind() != types.MethodExpr) {
		return syncMethod{}, nil, false
	}
	fn, ok := s.Obj().(*types.Func)
	if !ok || fn.Pkg() == nil || fn.Pkg().Path() != "sync" {
		return syncMethod{}, nil, false
	}
	m, ok := syncMethods[fn.FullName()]
	return m, s, ok
}

// embedPath returns the explicit field path (".A.Mutex") that a method
// promoted through embedded fields reaches its mutex by, and whether that
// mutex is held by value (so that its address must be taken).
func embedPath(s *types.Selection) (fields string, byValue bool) {
	t := s.Recv()
	idx := s.Index()
	var b strings.Builder
	for _, i := range idx[:len(idx)-1] {
		st, _ := structOf(t)
		if st == nil || i >= st.NumFields() {
			break
		}
		f := st.Field(i)
		b.WriteString("." + f.Name())
		t = f.Type()
	}
	_, isPtr := types.Unalias(t).Underlying().(*types.Pointer)
	return b.String(), !isPtr
}

// mutexClass returns the class of the mutex that a method selection s on
// receiver expression x operates on.
func (r *rewriter) mutexClass(x ast.Expr, s *types.Selection) string {
	idx := s.Index()
	if len(idx) == 1 {
		return r.classOf(x)
	}
	return r.pathClass(s.Recv(), idx[:len(idx)-1], func() string { return r.classOf(x) })
}

// call rewrites R.Lock() and friends. Where R's mutex is declared in view
// (a variable, a field), the call becomes one of lockdepimpl's functions
// with a site of the declaration's class:
//
//	R.Lock()  →  lockdepimpl_.Lock(&R, &lockdepSites_N[i])
//
// Where it is reached through a pointer (see viaPointer), or R is an
// interface or a type parameter, the receiver is wrapped and the method
// called on the wrapper, which finds the class at run time:
//
//	m.Lock()  →  lockdepimpl_.Ptr(m, &lockdepSites_N[i]).Lock()
//	l.Lock()  →  lockdepimpl_.Any(l, &lockdepSites_N[i]).Lock()
//
// R stays in place, so rewrites inside it stay valid.
func (r *rewriter) call(call *ast.CallExpr) {
	sel, ok := call.Fun.(*ast.SelectorExpr) // (mu.Lock)() is rewritten as a method value
	if !ok {
		return
	}
	if r.waitCall(call, sel) || r.dynamic(sel) {
		return
	}
	m, s, ok := r.method(sel)
	if !ok || s.Kind() != types.MethodVal {
		return
	}
	r.handled[sel] = true
	r.handled[ast.Unparen(sel.X)] = true // &x.mu as a receiver is the call's own
	fields, amp := receiverParts(s)
	if r.viaPointer(sel.X, s) {
		r.wrapReceiver(sel, wrapper(m.rw, true), amp, fields, r.mutexClass(sel.X, s), m.acquire)
		return
	}
	site := r.addSite(r.mutexClass(sel.X, s), sel.Sel.Pos(), m.acquire)
	r.insertBefore(call.Pos(), call, implName+"."+m.impl+"("+amp)
	r.replace(sel.X.End(), call.End(), call, fields+", "+slot+site+")")
}

// wrapReceiver rewrites the receiver of a method call or method value as
// a call of lockdepimpl's function wrap (Ptr, RWPtr or Any) with a site of
// the given class; amp and fields are those of receiverParts:
//
//	m.Lock  →  lockdepimpl_.Ptr(m, &lockdepSites_N[i]).Lock
func (r *rewriter) wrapReceiver(sel *ast.SelectorExpr, wrap, amp, fields, class string, acquire bool) {
	site := r.addSite(class, sel.Sel.Pos(), acquire)
	r.insertBefore(sel.Pos(), sel, implName+"."+wrap+"("+amp)
	r.replace(sel.X.End(), sel.Sel.Pos(), sel, fields+", "+slot+site+").")
}

// wrapper names lockdepimpl's wrapper of a *sync.Mutex (of a
// *sync.RWMutex if rw) used as a value: Locker where the mutex's
// declaration is in view, Ptr where it is reached through a pointer (see
// follow.go); RWLocker and RWPtr for an RWMutex.
func wrapper(rw, ptr bool) string {
	w := "Locker"
	if ptr {
		w = "Ptr"
	}
	if rw {
		w = "RW" + w
	}
	return w
}

// results returns, for a function that stands in for method m, its result
// type followed by a space and the "return " its body needs; both are
// empty for a method without a result.
func (r *rewriter) results(m syncMethod) (result, ret string) {
	if m.result == "" {
		return "", ""
	}
	if strings.HasPrefix(m.result, syncName) {
		r.needSync = true
	}
	return m.result + " ", "return "
}

// receiverParts returns what follows the receiver expression to reach the
// mutex (the embedded fields' path) and what precedes it ("&" when the
// mutex is reached by value).
func receiverParts(s *types.Selection) (fields, amp string) {
	fields, byValue := embedPath(s)
	if byValue {
		amp = "&"
	}
	return fields, amp
}

// selector rewrites method values and method expressions of sync methods:
//
//	mu.Lock              →  lockdepimpl_.Locker(&mu, &lockdepSites_N[i]).Lock
//	m.Lock               →  lockdepimpl_.Ptr(m, &lockdepSites_N[i]).Lock
//	(*sync.Mutex).Lock   →  func(lockdepR_ (*sync.Mutex)) { lockdepimpl_.Ptr(lockdepR_, &lockdepSites_N[i]).Lock() }
func (r *rewriter) selector(sel *ast.SelectorExpr) {
	if r.handled[sel] || r.waitValue(sel) {
		return
	}
	m, s, ok := r.method(sel)
	if !ok {
		return
	}
	r.handled[sel] = true
	r.handled[ast.Unparen(sel.X)] = true
	fields, amp := receiverParts(s)
	if s.Kind() == types.MethodVal {
		r.wrapReceiver(sel, wrapper(m.rw, r.viaPointer(sel.X, s)), amp, fields, r.mutexClass(sel.X, s), m.acquire)
		return
	}
	// Method expression. The receiver is a parameter: a mutex embedded by
	// value in it is a field, with its class; otherwise the mutex is
	// reached through a pointer, whose fallback class is named after the
	// enclosing function and receiver type.
	recv := types.TypeString(s.Recv(), types.RelativeTo(r.pkg))
	class := r.pkg.Path()
	if fn := r.enclosingName(sel.Pos()); fn != "" {
		class += "." + fn
	}
	class += ".(" + recv + ")"
	var call string
	if idx := s.Index(); len(idx) > 1 && amp == "&" {
		class = r.pathClass(s.Recv(), idx[:len(idx)-1], func() string { return class })
		call = implName + "." + m.impl + "(&" + recvName + fields + ", " + r.addSite(class, sel.Sel.Pos(), m.acquire) + ")"
	} else {
		call = implName + "." + wrapper(m.rw, true) + "(" + amp + recvName + fields + ", " + r.addSite(class, sel.Sel.Pos(), m.acquire) + ")." + sel.Sel.Name + "()"
	}
	result, ret := r.results(m)
	// The literal's statement is not the user's (see cover.go).
	open, end := "", ""
	if r.opts.coverage {
		open, end = exprMark, endMark
	}
	r.insertBefore(sel.Pos(), sel, open+"func("+recvName+" ")
	r.replace(sel.X.End(), sel.End(), sel, ") "+result+"{"+slot+" "+ret+call+" }"+end)
}

// addHeaderAndSites adds the imports on the package-clause line and the site
// array after the last line.
func (r *rewriter) addHeaderAndSites() {
	header := "; import " + implName + " " + strconv.Quote(implPath)
	if r.needSync {
		header += "; import " + syncName + ` "sync"`
	}
	end := r.off(r.file.Name.End())
	r.edits = append(r.edits, edit{start: end, end: end, text: header})

	var b strings.Builder
	if len(r.src) > 0 && r.src[len(r.src)-1] != '\n' {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "\nvar _ = %s.V1\n\nvar %s = [...]%s.Site{\n", implName, r.sitesName, implName)
	for _, s := range r.sites {
		fmt.Fprintf(&b, "\t{Class: %s, File: %s, Line: %d", strconv.Quote(r.className(s.class)), strconv.Quote(r.rel), s.line)
		if s.nested != 0 {
			fmt.Fprintf(&b, ", Nested: %d", s.nested)
		}
		if r.opts.trees.classes[s.class] {
			b.WriteString(", Tree: true")
		}
		if s.follow {
			b.WriteString(", Follow: true")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	r.edits = append(r.edits, edit{start: len(r.src), end: len(r.src), text: b.String(), order: 1 << 30})
}

// className returns the name of class in the site records (see
// fileOptions.classPath). An event's class keeps its kind ("send: ").
func (r *rewriter) className(class string) string {
	kind, name, ok := strings.Cut(class, ": ")
	if !ok {
		kind, name = "", class
	} else {
		kind += ": "
	}
	if r.opts.classPath != "" {
		if rest, ok := strings.CutPrefix(name, r.pkg.Path()+"."); ok {
			return kind + r.opts.classPath + "." + rest
		}
	}
	return class
}

// applyEdits applies non-overlapping edits to src and checks that no line
// moved: each edit keeps the number of newlines it replaces, except for the
// lines added after the end of the file. It sorts edits in the order it
// applies them.
func applyEdits(src []byte, edits []edit) ([]byte, error) {
	slices.SortStableFunc(edits, func(a, b edit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return a.order - b.order
	})
	var out bytes.Buffer
	last := 0
	for _, e := range edits {
		if e.start < last || e.end < e.start || e.end > len(src) {
			return nil, fmt.Errorf("overlapping edits at offset %d", e.start)
		}
		if e.start < len(src) && bytes.Count(src[e.start:e.end], []byte("\n")) != strings.Count(e.text, "\n") {
			return nil, fmt.Errorf("edit at offset %d would move lines", e.start)
		}
		out.Write(src[last:e.start])
		out.WriteString(e.text)
		last = e.end
	}
	out.Write(src[last:])
	return out.Bytes(), nil
}

// originalPosition maps a position (line and column, 1-based, in bytes)
// of out, made from src by edits (as sorted by applyEdits), to src's. A
// position in text an edit wrote maps to where that edit is in src, and
// inserted says so: the lines added after src's last line map to its
// end.
func originalPosition(src, out []byte, edits []edit, line, col int) (origLine, origCol int, inserted bool) {
	start := lineStart(out, line)
	if start < 0 || col < 1 {
		return line, col, false
	}
	off := min(start+col-1, len(out))
	so := -1   // off in src
	delta := 0 // the output's length minus the source's, before off
	for _, e := range edits {
		at := e.start + delta // where e's text is in out
		if off < at {
			break
		}
		if off < at+len(e.text) {
			so, inserted = e.start, true
			break
		}
		delta += len(e.text) - (e.end - e.start)
	}
	if so < 0 {
		so = off - delta
	}
	so = min(max(so, 0), len(src))
	origLine = 1 + bytes.Count(src[:so], []byte("\n"))
	origCol = so - bytes.LastIndexByte(src[:so], '\n')
	return origLine, origCol, inserted
}

// lineStart returns the offset of line n (1-based) of b, or -1.
func lineStart(b []byte, n int) int {
	off := 0
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(b[off:], '\n')
		if j < 0 {
			return -1
		}
		off += j + 1
	}
	return off
}
