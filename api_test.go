package lockdep_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// internalAllowed are the exported names of public packages that may
// name an internal package, each with the reason.
var internalAllowed = map[string]string{
	// Rewritten code declares one Site per call; the validator keeps
	// state in it. The package is for generated code only.
	"lockdepimpl.Site": "the engine's static site record",
}

// TestPublicAPI: go doc of every public package reads as a manual. No
// exported name is an alias into an internal package (go doc would show
// "type Lock = report.Lock" with no field), no exported constant or
// variable takes its value from one (go doc would show
// "MaxSubclasses = validate.MaxSubclasses" and not the number), and no
// exported signature or field has a type that a user cannot name.
func TestPublicAPI(t *testing.T) {
	var problems []string
	for _, dir := range publicDirs(t) {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range internalUses(f) {
				if _, ok := internalAllowed[f.Name.Name+"."+u.name]; !ok {
					problems = append(problems, filepath.ToSlash(name)+": "+u.String())
				}
			}
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
}

// publicDirs returns the directories of the module's public packages:
// not internal, not a command, not an example or test data.
func publicDirs(t *testing.T) []string {
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		switch name := d.Name(); {
		case path == ".":
		case name == "internal" || name == "testdata" || name == "cmd" || name == "examples" || name == "bench" ||
			strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_"):
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
			return filepath.SkipDir // another module
		}
		dirs = append(dirs, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// internalUse is an exported declaration that names an internal package.
type internalUse struct {
	name string // the declared name, Type.Method for a method
	what string // what the declaration is
	ref  string // the internal name it uses
}

func (u internalUse) String() string { return u.what + " " + u.name + " uses " + u.ref }

// internalUses returns the exported declarations of f that name a package
// whose import path has an internal element.
func internalUses(f *ast.File) []internalUse {
	internal := map[string]bool{} // names of the file's internal imports
	for _, imp := range f.Imports {
		path, _ := strconv.Unquote(imp.Path.Value)
		if !strings.Contains("/"+path+"/", "/internal/") {
			continue
		}
		name := path[strings.LastIndexByte(path, '/')+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		internal[name] = true
	}
	// ref returns the first internal name n mentions, or "".
	ref := func(n ast.Node) string {
		found := ""
		if n == nil {
			return ""
		}
		ast.Inspect(n, func(n ast.Node) bool {
			if s, ok := n.(*ast.SelectorExpr); ok && found == "" {
				if id, ok := s.X.(*ast.Ident); ok && internal[id.Name] {
					found = id.Name + "." + s.Sel.Name
				}
			}
			return found == ""
		})
		return found
	}
	// exportedParts keeps the exported fields and methods of a struct or
	// interface type, whose types go doc shows; unexported ones it hides.
	exportedParts := func(e ast.Expr) ast.Expr {
		var list *ast.FieldList
		switch t := e.(type) {
		case *ast.StructType:
			list = t.Fields
		case *ast.InterfaceType:
			list = t.Methods
		default:
			return e
		}
		kept := &ast.FieldList{}
		for _, fld := range list.List {
			if len(fld.Names) == 0 || fld.Names[0].IsExported() {
				kept.List = append(kept.List, fld)
			}
		}
		return &ast.StructType{Fields: kept}
	}
	var uses []internalUse
	add := func(name, what string, n ast.Node) {
		if r := ref(n); r != "" {
			uses = append(uses, internalUse{name, what, r})
		}
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					if !s.Name.IsExported() {
						continue
					}
					if s.Assign.IsValid() {
						add(s.Name.Name, "alias", s.Type)
					} else {
						add(s.Name.Name, "type", exportedParts(s.Type))
					}
				case *ast.ValueSpec:
					for i, n := range s.Names {
						if !n.IsExported() {
							continue
						}
						what := "variable"
						if d.Tok == token.CONST {
							what = "constant"
						}
						add(n.Name, what, s.Type)
						if i < len(s.Values) {
							add(n.Name, what, s.Values[i])
						}
					}
				}
			}
		case *ast.FuncDecl:
			if !d.Name.IsExported() {
				continue
			}
			name := d.Name.Name
			if d.Recv != nil {
				recv := d.Recv.List[0].Type
				if st, ok := recv.(*ast.StarExpr); ok {
					recv = st.X
				}
				id, ok := recv.(*ast.Ident)
				if !ok || !id.IsExported() {
					continue
				}
				name = id.Name + "." + name
			}
			add(name, "func", d.Type)
		}
	}
	return uses
}
