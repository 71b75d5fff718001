package instrument

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"slices"

	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// The packages to instrument that the matched packages import (the main
// module's, -pkg's) need syntax and types too. The listing that loaded
// the matched packages already gives their files and the export data of
// their imports: checkDeps type-checks them from those, in process,
// rather than with a second go command, which would repeat the listing's
// work (most of the time lockdep adds to go test).

// deps returns the packages that the packages of top import, directly or
// not, that are to be instrumented but are not among top, sorted by
// import path.
func (l *loader) deps(top []*packages.Package) []*packages.Package {
	loaded := make(map[string]bool)
	for _, p := range top {
		loaded[p.PkgPath] = true
	}
	var deps []*packages.Package
	packages.Visit(top, nil, func(p *packages.Package) {
		if p.ID != p.PkgPath || loaded[p.PkgPath] || !l.wanted(p) { // a test variant, or seen
			return
		}
		loaded[p.PkgPath] = true
		deps = append(deps, p)
	})
	slices.SortFunc(deps, func(a, b *packages.Package) int {
		if a.PkgPath < b.PkgPath {
			return -1
		}
		if a.PkgPath > b.PkgPath {
			return 1
		}
		return 0
	})
	return deps
}

// checkDeps parses and type-checks deps, packages of the listing that
// loaded top, as go/packages does the packages it loads from source: the
// packages they import come from the export data the listing made.
// Errors are left in each package's Errors, as go/packages leaves them.
func (l *loader) checkDeps(top, deps []*packages.Package) {
	var fset = top[0].Fset
	var sizes types.Sizes
	for _, p := range top {
		if p.TypesSizes != nil {
			sizes = p.TypesSizes
			break
		}
	}
	// The packages read from export data, by path, shared by every
	// package checked, as go/packages shares them.
	view := make(map[string]*types.Package)
	for _, p := range deps {
		// go/packages type-checks from source, without function bodies,
		// a package that is not matched but imports one that is, or one
		// without export data: that is done again here, bodies included.
		// Of its errors, those of the listing stay.
		p.Syntax, p.Types, p.TypesInfo, p.IllTyped = nil, nil, nil, false
		p.Errors = slices.DeleteFunc(p.Errors, func(e packages.Error) bool { return e.Kind == packages.ParseError || e.Kind == packages.TypeError })
		p.Fset = fset
		fail := func(kind packages.ErrorKind, pos, msg string) {
			p.Errors = append(p.Errors, packages.Error{Pos: pos, Msg: msg, Kind: kind})
			p.IllTyped = true
		}
		// A package the listing found errors in is type-checked all the
		// same, for the type checker's more precise errors.
		p.IllTyped = len(p.Errors) > 0
		for _, name := range p.CompiledGoFiles {
			src, ok := l.cfg.Overlay[name]
			if !ok {
				var err error
				if src, err = os.ReadFile(name); err != nil {
					fail(packages.ParseError, "", err.Error())
					continue
				}
			}
			f, err := parser.ParseFile(fset, name, src, parser.AllErrors|parser.ParseComments)
			if f != nil {
				p.Syntax = append(p.Syntax, f)
			}
			if err != nil {
				fail(packages.ParseError, "", err.Error())
			}
		}
		if len(p.Syntax) < len(p.CompiledGoFiles) {
			continue // unreadable
		}
		p.TypesInfo = &types.Info{
			Types:        make(map[ast.Expr]types.TypeAndValue),
			Defs:         make(map[*ast.Ident]types.Object),
			Uses:         make(map[*ast.Ident]types.Object),
			Implicits:    make(map[ast.Node]types.Object),
			Instances:    make(map[*ast.Ident]types.Instance),
			Scopes:       make(map[ast.Node]*types.Scope),
			Selections:   make(map[*ast.SelectorExpr]*types.Selection),
			FileVersions: make(map[*ast.File]string),
		}
		p.TypesSizes = sizes
		conf := &types.Config{
			Importer: importerFunc(func(path string) (*types.Package, error) {
				if path == "unsafe" {
					return types.Unsafe, nil
				}
				imp := p.Imports[path]
				if imp == nil {
					return nil, fmt.Errorf("no metadata for %s", path)
				}
				return readExport(fset, view, imp)
			}),
			Error: func(err error) {
				if te, ok := err.(types.Error); ok {
					fail(packages.TypeError, fset.Position(te.Pos).String(), te.Msg)
					return
				}
				fail(packages.TypeError, "", err.Error())
			},
			Sizes: sizes,
		}
		if p.Module != nil && p.Module.GoVersion != "" {
			conf.GoVersion = "go" + p.Module.GoVersion
		}
		p.Types = types.NewPackage(p.PkgPath, p.Name)
		types.NewChecker(conf, fset, p.Types, p.TypesInfo).Files(p.Syntax)
	}
}

// readExport returns the types of p, from the export data the listing
// made, read into view.
func readExport(fset *token.FileSet, view map[string]*types.Package, p *packages.Package) (*types.Package, error) {
	if t := view[p.PkgPath]; t != nil && t.Complete() {
		return t, nil
	}
	if p.ExportFile == "" {
		return nil, fmt.Errorf("no export data for %s", p.PkgPath)
	}
	f, err := os.Open(p.ExportFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %v", p.ExportFile, err)
	}
	return gcexportdata.Read(r, fset, view, p.PkgPath)
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
