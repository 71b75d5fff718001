package instrument

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/go/packages"
)

// selfModule is the validator's own module. Its packages that make up the
// validator are never instrumented; its examples are user code.
const selfModule = "github.com/golockdep/lockdep"

// validator reports whether path is a package of the validator itself.
func validator(path string) bool {
	path = strings.TrimSuffix(path, "_test")
	if path == selfModule {
		return true
	}
	for _, dir := range []string{"/internal", "/lockdepimpl", "/lockdeptest", "/cmd"} {
		if p := selfModule + dir; path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// maxErrors is how many package errors Rewrite lists.
const maxErrors = 5

// Config says which packages [Rewrite] loads and how.
type Config struct {
	Dir      string   // working directory (module root or below)
	Patterns []string // package patterns, e.g. ./...
	Extra    []string // extra module path patterns to instrument besides the main module (e.g. "example.com/dep/...")
	Tags     string   // -tags value, may be ""
	Tests    bool     // load test packages too (true for `lockdep test`)
	Env      []string // extra environment for go/packages (may be nil)
	// BuildFlags are more flags for the go command, such as -mod=vendor
	// or -modfile=file.
	BuildFlags []string
	// Overlay maps absolute file paths to the contents the build sees in
	// their place (go build's -overlay).
	Overlay map[string][]byte
	// Coverage says the build instruments coverage (go test -cover): the
	// rewritten files are then made for the cover tool as well (see
	// CoverSource).
	Coverage bool
	// CacheDir, if set, is where results are kept for a Rewrite of the
	// same files the same way (see cache.go); Trees are the directories
	// whose files a result depends on besides the module cache and GOROOT:
	// the main modules' and local replacements'. Without Trees, nothing
	// is kept.
	CacheDir string
	Trees    []string
}

// Result is the outcome of [Rewrite].
type Result struct {
	// Files maps absolute original file paths to rewritten contents. Files
	// without any rewritten site are absent.
	Files map[string][]byte
	// Notes has one line for each file left alone and why (cgo files, ...)
	// and for each lockdep directive that does nothing ("x.go:12:
	// //lockdep:nested 9: ..."), by file, then line.
	Notes []string
	// Sites is the number of rewritten call sites. Of them, Checked are
	// the lock, WaitGroup, Once and Cond operations, validated whatever
	// the options, and Chans the channel operations, validated only with
	// LOCKDEP_CHANNELS=1; the others are go statements, which validate
	// nothing on their own.
	Sites, Checked, Chans int
	// Broken lists the packages left as they are because they do not
	// type-check (the build reports why), and Errors the first few of
	// their errors, with positions relative to Config.Dir.
	Broken []string
	Errors []string

	// By file, the original contents and the edits that made Files.
	sources map[string][]byte
	edits   map[string][]edit
}

// Position maps a position in a rewritten file, as the go command reports
// it when it compiles or vets Files[file], to the user's file: the line is
// the same (every rewrite keeps lines; those added after the last one map
// to its end), and the column that of the original text. A position in
// text that the rewrite inserted maps to where that text is inserted,
// and inserted says so. Positions in other files come back as they are.
func (r *Result) Position(file string, line, col int) (origLine, origCol int, inserted bool) {
	edits, ok := r.edits[file]
	if !ok {
		return line, col, false
	}
	return originalPosition(r.sources[file], r.Files[file], edits, line, col)
}

// Rewrite loads the packages matched by cfg.Patterns, and the packages they
// depend on, and rewrites the Go files of those that belong to the main
// module or match cfg.Extra (see [rewriteFile]). With cfg.Tests, the test
// files of the matched packages are rewritten too. The validator's own
// packages are never rewritten.
//
// Packages that do not type-check, and those that import them, are left
// alone and listed in Result.Broken: the build that follows reports their
// errors, and the other packages are still instrumented.
func Rewrite(cfg Config) (*Result, error) {
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", cfg.Dir, err)
	}
	l := &loader{cfg: cfg, dir: dir, broken: map[string]bool{}}
	l.flags = append(l.flags, cfg.BuildFlags...)
	if cfg.Tags != "" {
		l.flags = append(l.flags, "-tags="+cfg.Tags)
	}
	l.env = append(os.Environ(), cfg.Env...)
	for _, p := range cfg.Extra {
		re, err := patternRegexp(p)
		if err != nil {
			return nil, fmt.Errorf("parsing pattern %s: %w", p, err)
		}
		l.extra = append(l.extra, re)
	}

	key := l.cacheKey()
	if key != "" {
		if r := kept(cfg.CacheDir, key); r != nil {
			return r, nil
		}
	}

	// One listing finds the packages the patterns match, type-checked,
	// and the packages they import, with their files and export data;
	// those to instrument as well (the main module's, -pkg's) are then
	// type-checked from those (see deps.go). With an overlay, export data
	// may not match the files: they get a listing of their own.
	top, err := l.load(cfg.Patterns, cfg.Tests)
	if err != nil {
		return nil, err
	}
	deps := l.deps(top)
	if len(deps) > 0 && len(cfg.Overlay) > 0 {
		paths := make([]string, len(deps))
		for i, p := range deps {
			paths[i] = p.PkgPath
		}
		if deps, err = l.load(paths, false); err != nil {
			return nil, err
		}
	} else if len(deps) > 0 {
		l.checkDeps(top, deps)
	}
	var pkgs []*packages.Package
	for _, loaded := range [][]*packages.Package{top, deps} {
		l.errors(loaded)
		for _, p := range loaded {
			if len(p.Errors) == 0 && !p.IllTyped && l.wanted(p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	res, err := l.rewrite(pkgs)
	if err != nil {
		return nil, err
	}
	for p := range l.broken {
		res.Broken = append(res.Broken, p)
	}
	slices.Sort(res.Broken)
	res.Errors = l.errs
	if key != "" {
		keep(cfg.CacheDir, key, res)
	}
	return res, nil
}

// loader carries the settings of one Rewrite.
type loader struct {
	cfg    Config
	dir    string
	flags  []string
	env    []string
	extra  []*regexp.Regexp
	broken map[string]bool // packages with errors
	errs   []string
	trees  trees // the packages' tree directives
}

// cmdlinePath is the import path the go command gives the package of .go
// files named on its command line (go run main.go).
const cmdlinePath = "command-line-arguments"

// wanted reports whether p is to be instrumented: a package of the main
// module, or of a module -pkg names, or of files named on the command
// line.
func (l *loader) wanted(p *packages.Package) bool {
	if strings.TrimSuffix(p.PkgPath, "_test") == cmdlinePath && !strings.HasSuffix(p.ID, ".test") {
		return true // (it has no module)
	}
	m := p.Module
	// (A vendored module has no directory; -pkg can still name it.)
	if m == nil || (m.Dir == "" && m.Main) || p.PkgPath == "sync" || validator(p.PkgPath) {
		return false
	}
	if p.Name == "main" && strings.HasSuffix(p.ID, ".test") {
		return false // the generated main package of a test binary
	}
	if m.Main {
		return true
	}
	for _, re := range l.extra {
		if re.MatchString(m.Path) || re.MatchString(p.PkgPath) {
			return true
		}
	}
	return false
}

// load type-checks the packages that patterns match.
func (l *loader) load(patterns []string, tests bool) ([]*packages.Package, error) {
	cfg := &packages.Config{
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles |
			packages.NeedSyntax | packages.NeedTypes | packages.NeedTypesInfo |
			packages.NeedModule | packages.NeedImports | packages.NeedExportFile | packages.NeedTypesSizes,
		Dir:        l.dir,
		Env:        l.env,
		BuildFlags: l.flags,
		Tests:      tests,
		Overlay:    l.cfg.Overlay,
	}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("loading %s: %w", strings.Join(patterns, " "), err)
	}
	return pkgs, nil
}

// errors notes the packages of pkgs that have errors, and the first few
// errors.
func (l *loader) errors(pkgs []*packages.Package) {
	seen := make(map[string]bool)
	for _, p := range pkgs {
		if len(p.Errors) == 0 && !p.IllTyped {
			continue
		}
		l.broken[cmp.Or(p.PkgPath, p.ID)] = true // or one it imports (a package that does not exist has no path)
		errs := p.Errors
		// The go command's report of a compile error repeats, less
		// precisely, what the type checker found.
		if slices.ContainsFunc(errs, func(e packages.Error) bool { return e.Kind == packages.TypeError }) {
			errs = slices.DeleteFunc(slices.Clone(errs), func(e packages.Error) bool { return e.Kind != packages.TypeError })
		}
		for _, e := range errs {
			line := e.Msg
			if e.Pos != "" && e.Pos != "-" {
				line = l.relPos(e.Pos) + ": " + e.Msg
			}
			if seen[line] {
				continue
			}
			seen[line] = true
			if len(l.errs) < maxErrors {
				l.errs = append(l.errs, line)
			}
		}
	}
}

// relPos makes the file name of a file:line:col position relative to the
// working directory.
func (l *loader) relPos(pos string) string {
	file, rest := pos, ""
	// Strip :line and :line:col from the end.
	for n := 0; n < 2; n++ {
		i := strings.LastIndexByte(file, ':')
		if i < 0 {
			break
		}
		if _, err := strconv.Atoi(file[i+1:]); err != nil {
			break
		}
		file, rest = file[:i], file[i:]+rest
	}
	return l.rel(file) + rest
}

// rel returns name relative to the working directory when it is below it.
func (l *loader) rel(name string) string {
	if r, err := filepath.Rel(l.dir, name); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return name
}

// rewrite rewrites the files of the loaded packages. A file that belongs to
// several variants of a package (with and without its tests) is rewritten
// once; it gets the same result from each.
func (l *loader) rewrite(pkgs []*packages.Package) (*Result, error) {
	slices.SortFunc(pkgs, func(a, b *packages.Package) int { return strings.Compare(a.ID, b.ID) })
	l.trees = treeDecls(pkgs)
	files := numberFiles(pkgs)

	res := &Result{Files: make(map[string][]byte), sources: make(map[string][]byte), edits: make(map[string][]edit)}
	notes := make(map[string]bool)
	done := make(map[string]bool)
	userMain := make(map[string]string) // tested package → the name of the package declaring TestMain
	for _, p := range pkgs {
		goFiles := make(map[string]bool)
		for _, name := range p.GoFiles {
			goFiles[name] = true
		}
		compiled := make(map[string]bool)
		for _, f := range p.Syntax {
			name := p.Fset.File(f.FileStart).Name()
			compiled[name] = true
			if done[name] {
				continue
			}
			done[name] = true
			if !goFiles[name] {
				continue // generated by cgo from a file noted below
			}
			fr, err := l.rewriteOne(p, f, name, slices.Index(files[p.PkgPath], name))
			if err != nil {
				notes[fmt.Sprintf("skipped %s: %v", l.rel(name), err)] = true
				continue
			}
			res.add(name, fr, notes)
			if fr.testMain {
				userMain[testedPath(p)] = p.Name
			}
		}
		for _, name := range p.GoFiles {
			if !compiled[name] && !done[name] {
				done[name] = true
				why := "not compiled"
				if importsC(name) {
					why = errCgo.Error()
				}
				notes[fmt.Sprintf("skipped %s: %s", l.rel(name), why)] = true
			}
		}
	}
	for file, src := range testMains(pkgs, userMain) {
		res.Files[file] = src
	}
	for n := range notes {
		res.Notes = append(res.Notes, n)
	}
	slices.SortFunc(res.Notes, compareNotes)
	return res, nil
}

// numberFiles returns, by package path, the names of the files of each
// package across its variants, sorted: a file's index there gives it a
// site array name that no other file of its package shares.
func numberFiles(pkgs []*packages.Package) map[string][]string {
	files := make(map[string][]string) // package path → file names
	for _, p := range pkgs {
		for _, name := range p.GoFiles {
			if !slices.Contains(files[p.PkgPath], name) {
				files[p.PkgPath] = append(files[p.PkgPath], name)
			}
		}
	}
	for _, names := range files {
		slices.Sort(names)
	}
	return files
}

// add adds the rewrite of the file name to r, if it changed the file,
// and its notes to notes.
func (r *Result) add(name string, fr fileResult, notes map[string]bool) {
	for _, n := range fr.notes {
		notes[n] = true
	}
	if fr.changed {
		r.Files[name] = fr.out
		r.sources[name], r.edits[name] = fr.src, fr.edits
		r.Sites += fr.sites
		r.Checked += fr.checked
		r.Chans += fr.chans
	}
}

// testMains returns the generated TestMain file of each package that
// pkgs test, by file name. A test binary exits through lockdepimpl (see
// testmain.go): its generated TestMain goes in the package that declares
// the package's own (userMain: tested package path → the name of that
// package), else in the package with its test files (the external test
// package if there is no other).
func testMains(pkgs []*packages.Package, userMain map[string]string) map[string][]byte {
	tested := make(map[string]*packages.Package)
	for _, p := range pkgs {
		if !isTestVariant(p) || len(p.GoFiles) == 0 {
			continue
		}
		if q, ok := tested[testedPath(p)]; !ok || q.Name != pkgName(q) {
			tested[testedPath(p)] = p
		}
	}
	files := make(map[string][]byte, len(tested))
	for path, p := range tested {
		name, wrapped := p.Name, false
		if n, ok := userMain[path]; ok {
			name, wrapped = n, true
		}
		files[filepath.Join(filepath.Dir(p.GoFiles[0]), TestMainFile)] = testMainSource(name, wrapped)
	}
	return files
}

// compareNotes orders notes by the file and line they start with
// ("dir/x.go:12: ..."), lines in numeric order; notes that name no line
// come first, in the order of their text.
func compareNotes(a, b string) int {
	fa, la, _ := notePos(a)
	fb, lb, _ := notePos(b)
	return cmp.Or(strings.Compare(fa, fb), cmp.Compare(la, lb), strings.Compare(a, b))
}

// notePos returns the file and line a note starts with, if it does.
func notePos(note string) (file string, line int, ok bool) {
	pos, _, ok := strings.Cut(note, ": ")
	if !ok {
		return "", 0, false
	}
	i := strings.LastIndexByte(pos, ':')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(pos[i+1:])
	if err != nil {
		return "", 0, false
	}
	return pos[:i], n, true
}

// isTestVariant reports whether p is a package as compiled for its test
// binary: the package with its test files, or its external test package.
func isTestVariant(p *packages.Package) bool {
	return strings.HasSuffix(p.ID, ".test]")
}

// testedPath returns the import path of the package a test variant tests.
func testedPath(p *packages.Package) string {
	return strings.TrimSuffix(p.PkgPath, "_test")
}

// pkgName returns the name of the package p tests: its own, or, for an
// external test package, that name without "_test".
func pkgName(p *packages.Package) string {
	return strings.TrimSuffix(p.Name, "_test")
}

// rewriteOne rewrites one file of p.
func (l *loader) rewriteOne(p *packages.Package, f *ast.File, name string, index int) (fileResult, error) {
	src, ok := l.cfg.Overlay[name]
	if !ok {
		var err error
		if src, err = os.ReadFile(name); err != nil {
			return fileResult{}, err
		}
	}
	rel := moduleRelPath(name) // for files named on the command line, which have no module
	if p.Module != nil {
		if r, err := filepath.Rel(p.Module.Dir, name); err == nil && !strings.HasPrefix(r, "..") {
			rel = filepath.ToSlash(r)
		}
	}
	opts := fileOptions{coverage: l.cfg.Coverage, trees: l.trees}
	if strings.TrimSuffix(p.PkgPath, "_test") == cmdlinePath {
		opts.classPath = dirImportPath(filepath.Dir(name))
		if opts.classPath != "" && strings.HasSuffix(p.PkgPath, "_test") {
			opts.classPath += "_test"
		}
	}
	return rewriteFile(p.Fset, f, src, p.TypesInfo, p.Types, index, rel, opts)
}

// dirImportPath returns the import path of the package in dir, from the
// go.mod file of the module holding it; "" outside any module.
func dirImportPath(dir string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			mod := modfile.ModulePath(data)
			rel, err := filepath.Rel(d, dir)
			if mod == "" || err != nil {
				return ""
			}
			return path.Join(mod, filepath.ToSlash(rel))
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// importsC reports whether the file imports "C".
func importsC(name string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
	if err != nil {
		return false
	}
	for _, imp := range f.Imports {
		if imp.Path.Value == `"C"` {
			return true
		}
	}
	return false
}

// patternRegexp compiles a package path pattern as the go command reads
// them: "..." matches any string, and a trailing "/..." also matches the
// path before it ("example.com/dep/..." matches "example.com/dep").
func patternRegexp(pattern string) (*regexp.Regexp, error) {
	re := regexp.QuoteMeta(pattern)
	re = strings.ReplaceAll(re, `\.\.\.`, `.*`)
	if strings.HasSuffix(re, `/.*`) {
		re = strings.TrimSuffix(re, `/.*`) + `(/.*)?`
	}
	return regexp.Compile("^" + re + "$")
}
