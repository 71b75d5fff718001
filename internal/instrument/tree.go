package instrument

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/packages"
)

// A //lockdep:tree directive on a struct type's declaration, or on one of
// its fields, declares that locks of that class nest parent to child (the
// nodes of a tree, a list walked hand over hand):
//
//	type node struct {
//		mu       sync.Mutex //lockdep:tree
//		children []*node
//	}
//
//	//lockdep:tree
//	type wrapper struct {
//		sync.Mutex
//		inner io.Writer
//	}
//
// On a field, the field must be a sync.Mutex or sync.RWMutex (or a
// pointer to one); on a type, the directive applies to every such field
// of the struct, embedded or not. Every site of such a class says so
// (Site.Tree), wherever it is: a lock of the class taken while another is
// held is then no recursive locking, and the validator checks the order
// of the two instances instead.

// trees are the tree directives of the loaded packages.
type trees struct {
	classes map[string]bool         // class names declared trees
	lines   map[string]map[int]bool // file → lines of directives that apply
}

// treeDecls finds the tree directives of pkgs.
func treeDecls(pkgs []*packages.Package) trees {
	t := trees{classes: map[string]bool{}, lines: map[string]map[int]bool{}}
	for _, p := range pkgs {
		if p.TypesInfo == nil {
			continue
		}
		for _, f := range p.Syntax {
			for _, d := range f.Decls {
				gd, ok := d.(*ast.GenDecl)
				if !ok || gd.Tok != token.TYPE {
					continue
				}
				for _, spec := range gd.Specs {
					ts := spec.(*ast.TypeSpec)
					st, ok := ts.Type.(*ast.StructType)
					obj, _ := p.TypesInfo.Defs[ts.Name].(*types.TypeName)
					if !ok || obj == nil {
						continue
					}
					typeClass := obj.Pkg().Path() + "." + obj.Name()
					var all []string // the classes of its mutex fields
					for _, fld := range st.Fields.List {
						ft := p.TypesInfo.TypeOf(fld.Type)
						if ft == nil {
							continue
						}
						if _, ok := mutexPtr(types.NewPointer(deref(ft))); !ok {
							continue
						}
						var classes []string
						if len(fld.Names) == 0 {
							classes = append(classes, typeClass)
						}
						for _, n := range fld.Names {
							classes = append(classes, typeClass+"."+n.Name)
						}
						all = append(all, classes...)
						for _, cg := range []*ast.CommentGroup{fld.Doc, fld.Comment} {
							if line, ok := treeDirective(p.Fset, cg); ok {
								t.add(p.Fset.File(cg.Pos()).Name(), line, classes)
							}
						}
					}
					groups := []*ast.CommentGroup{ts.Doc, ts.Comment}
					if len(gd.Specs) == 1 {
						groups = append(groups, gd.Doc)
					}
					for _, cg := range groups {
						if line, ok := treeDirective(p.Fset, cg); ok && len(all) > 0 {
							t.add(p.Fset.File(cg.Pos()).Name(), line, all)
						}
					}
				}
			}
		}
	}
	return t
}

func (t trees) add(file string, line int, classes []string) {
	if t.lines[file] == nil {
		t.lines[file] = map[int]bool{}
	}
	t.lines[file][line] = true
	for _, c := range classes {
		t.classes[c] = true
	}
}

// treeDirective returns the line of the //lockdep:tree directive in cg.
func treeDirective(fset *token.FileSet, cg *ast.CommentGroup) (int, bool) {
	if cg == nil {
		return 0, false
	}
	for _, c := range cg.List {
		if f := strings.Fields(strings.TrimPrefix(c.Text, "//lockdep:")); strings.HasPrefix(c.Text, "//lockdep:") && len(f) == 1 && f[0] == "tree" {
			return fset.PositionFor(c.Pos(), false).Line, true
		}
	}
	return 0, false
}

// deref returns the type t points to, or t.
func deref(t types.Type) types.Type {
	if p, ok := types.Unalias(t).(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}
