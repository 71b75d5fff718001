package instrument

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/testmod"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/mod/modfile"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestRewrite runs each testdata/NAME.txtar, a tiny module whose go.mod says
// LOCKDEP_ROOT for the path of this repository (or LOCKDEP_RUNTIME for
// the run-time module that the command builds with, whose go line and
// requirements are those of an old Go), through Rewrite. Rewritten
// files are compared with testdata/NAME/FILE.golden, the notes with
// testdata/NAME/notes.golden; a file without a golden file must not be
// rewritten. Every rewrite must keep the line of every original line, and the
// rewritten module must pass go vet once lockdepimpl exists.
//
// Lines of the archive's comment can change the defaults (./..., tests
// loaded): "patterns: ./a ./b", "extra: example.com/dep/...", "tags: x",
// "tests: false"; "requires cgo" skips the case when cgo is unavailable.
func TestRewrite(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	archives, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(archives) == 0 {
		t.Fatal("no testdata/*.txtar")
	}
	compile := compileCheck(t)
	runtime := runtimeModule(t)
	for _, file := range archives {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg := Config{Patterns: []string{"./..."}, Tests: true}
			for _, line := range strings.Split(string(ar.Comment), "\n") {
				key, value, _ := strings.Cut(line, ":")
				switch key {
				case "requires cgo":
					if !cgoAvailable() {
						t.Skip("cgo is not available")
					}
				case "patterns":
					cfg.Patterns = strings.Fields(value)
				case "extra":
					cfg.Extra = strings.Fields(value)
				case "tags":
					cfg.Tags = strings.TrimSpace(value)
				case "tests":
					cfg.Tests = strings.TrimSpace(value) == "true"
				}
			}
			dir, lockdep := writeModule(t, name, ar, root, goSum, runtime)
			cfg.Dir = dir

			res, err := Rewrite(cfg)
			if err != nil {
				t.Fatal(err)
			}
			goldenDir := filepath.Join("testdata", name)
			got := make(map[string][]byte) // golden file name → contents
			sites := 0
			for path, out := range res.Files {
				rel, err := filepath.Rel(dir, path)
				if err != nil {
					t.Fatal(err)
				}
				got[filepath.ToSlash(rel)+".golden"] = out
				if filepath.Base(path) == TestMainFile {
					continue // a new file, the generated TestMain
				}
				orig, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				sites += checkLines(t, rel, orig, out)
				checkPositions(t, rel, res, path, orig)
			}
			if sites != res.Sites {
				t.Errorf("Result.Sites = %d, files hold %d sites", res.Sites, sites)
			}
			if len(res.Notes) > 0 {
				got["notes.golden"] = []byte(strings.Join(res.Notes, "\n") + "\n")
			}
			compareGolden(t, goldenDir, got)
			if compile != nil {
				compile(t, dir, lockdep, cfg, res.Files)
			}
		})
	}
}

// writeModule returns a directory holding the archive's files (see
// testmod.Dir: the tests only read it), with LOCKDEP_ROOT in go.mod
// replaced by root and LOCKDEP_RUNTIME by rt, and the go.sum of the one
// used (root's covers lockdep's own requirements), and the directory of
// the lockdep module the module requires.
func writeModule(t *testing.T, name string, ar *txtar.Archive, root string, goSum []byte, rt string) (dir, lockdep string) {
	t.Helper()
	lockdep = root
	var files []txtar.File
	for _, f := range ar.Files {
		data := f.Data
		if f.Name == "go.mod" {
			if bytes.Contains(data, []byte("LOCKDEP_RUNTIME")) {
				lockdep = rt
				data = bytes.ReplaceAll(data, []byte("LOCKDEP_RUNTIME"), []byte(rt))
			}
			data = bytes.ReplaceAll(data, []byte("LOCKDEP_ROOT"), []byte(root))
		}
		files = append(files, txtar.File{Name: f.Name, Data: data})
	}
	if lockdep == rt {
		var err error
		if goSum, err = os.ReadFile(filepath.Join(rt, "go.sum")); err != nil {
			t.Fatal(err)
		}
	}
	files = append(files, txtar.File{Name: "go.sum", Data: goSum})
	return testmod.Dir(t, name, files), lockdep
}

// runtimeModule returns a directory holding the run-time module that the
// command embeds (../cli/runtime.txtar, kept up to date by that package's
// tests).
func runtimeModule(t *testing.T) string {
	ar, err := txtar.ParseFile(filepath.Join("..", "cli", "runtime.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	return testmod.Dir(t, "runtime", ar.Files)
}

var (
	sitesArray = regexp.MustCompile(`(?m)^var (lockdepSites_\d+) = \[\.\.\.\]lockdepimpl_\.Site\{$`)
	siteLine   = regexp.MustCompile(`(?m)^\t\{Class: "[^"]*", File: "[^"]*", Line: (\d+)(?:, Nested: [1-7])?(?:, Follow: true)?\},$`)
)

// checkLines checks that out keeps every line of orig at its line number:
// the lines that differ hold the package clause or rewritten sites, each
// site record's line refers to the site on that line, and the only lines
// added follow the original last line. It returns the number of sites.
func checkLines(t *testing.T, name string, orig, out []byte) int {
	t.Helper()
	if _, err := parser.ParseFile(token.NewFileSet(), name, out, parser.SkipObjectResolution); err != nil {
		t.Errorf("%s: rewritten file does not parse: %v", name, err)
	}
	origLines := strings.Split(strings.TrimSuffix(string(orig), "\n"), "\n")
	outLines := strings.Split(string(out), "\n")
	if len(outLines) < len(origLines) {
		t.Fatalf("%s: %d lines, was %d", name, len(outLines), len(origLines))
	}
	tail := strings.Join(outLines[len(origLines):], "\n")
	m := sitesArray.FindStringSubmatch(tail)
	if m == nil || !strings.Contains(tail, "var _ = lockdepimpl_.V1") {
		t.Fatalf("%s: no site array after the last original line:\n%s", name, tail)
	}
	array := m[1]
	pkgLine := -1
	f, err := parser.ParseFile(token.NewFileSet(), name, orig, parser.PackageClauseOnly)
	if err == nil {
		// In a fresh file set, a Pos is the 1-based offset.
		pkgLine = bytes.Count(orig[:int(f.Name.End())-1], []byte("\n")) + 1
	}
	changed := make(map[int]bool)
	for i, line := range origLines {
		if outLines[i] == line {
			continue
		}
		changed[i+1] = true
		// A call split over lines starts on a line without its site; a
		// package's own TestMain is renamed (see testmain.go).
		if i+1 != pkgLine && !strings.Contains(outLines[i], "lockdepimpl_.") && !strings.Contains(outLines[i], "&"+array+"[") &&
			strings.Replace(line, "func TestMain(", "func "+userTestMain+"(", 1) != outLines[i] {
			t.Errorf("%s:%d: line changed without a site:\n\twas %s\n\tnow %s", name, i+1, line, outLines[i])
		}
	}
	if !strings.Contains(outLines[pkgLine-1], `; import lockdepimpl_ "github.com/golockdep/lockdep/lockdepimpl"`) {
		t.Errorf("%s:%d: no import on the package clause line: %s", name, pkgLine, outLines[pkgLine-1])
	}
	records := siteLine.FindAllStringSubmatch(tail, -1)
	for i, rec := range records {
		line, _ := strconv.Atoi(rec[1])
		if line < 1 || line > len(origLines) || !changed[line] ||
			!strings.Contains(outLines[line-1], fmt.Sprintf("&%s[%d]", array, i)) {
			t.Errorf("%s: site %d says line %d, which does not hold it", name, i, line)
		}
	}
	return len(records)
}

// checkPositions checks Result.Position on every byte of a rewritten
// file: a byte that the rewrite kept maps to the same byte of the
// original, at the same line; a byte it wrote maps to the place of the
// edit, and says so. Some bytes must be each.
func checkPositions(t *testing.T, name string, res *Result, path string, orig []byte) {
	t.Helper()
	out := res.Files[path]
	origLines := bytes.Count(orig, []byte("\n")) + 1
	kept, wrote := 0, 0
	line, col := 1, 1
	for i, c := range out {
		l, k, inserted := res.Position(path, line, col)
		switch {
		case l < 1 || l > origLines || k < 1:
			t.Errorf("%s: %d:%d maps to %d:%d, outside the original", name, line, col, l, k)
		case inserted:
			wrote++
		case l != line:
			t.Errorf("%s: %d:%d (kept) maps to line %d", name, line, col, l)
		default:
			kept++
			off := lineStart(orig, l) + k - 1
			if off >= len(orig) || orig[off] != c {
				t.Errorf("%s: %d:%d (%q, kept) maps to %d:%d, which is not it", name, line, col, c, l, k)
			}
		}
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		if t.Failed() && i > 0 {
			return // one report is enough
		}
	}
	if kept == 0 || wrote == 0 {
		t.Errorf("%s: %d bytes kept, %d written: Position does not tell them apart", name, kept, wrote)
	}
	if l, k, inserted := res.Position(path+".other", 3, 7); l != 3 || k != 7 || inserted {
		t.Errorf("Position of a file not rewritten = %d:%d %v, want 3:7 false", l, k, inserted)
	}
}

// compareGolden compares got (golden file name → contents) with the golden
// files under dir, or rewrites them with -update.
func compareGolden(t *testing.T, dir string, got map[string][]byte) {
	t.Helper()
	var existing []string
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".golden") {
			rel, _ := filepath.Rel(dir, path)
			existing = append(existing, filepath.ToSlash(rel))
		}
		return nil
	})
	if *update {
		for _, name := range existing {
			if _, ok := got[name]; !ok {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, data := range got {
			path := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, name := range existing {
		if _, ok := got[name]; !ok {
			t.Errorf("%s: expected a rewrite (golden file exists), got none", name)
		}
	}
	names := make([]string, 0, len(got))
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Errorf("%s: unexpected rewrite (no golden file; run with -update):\n%s", name, got[name])
			continue
		}
		if diff := cmp.Diff(string(want), string(got[name])); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// compileCheck returns a function that runs go vet on a rewritten module
// through an overlay, or nil (after logging why) when this repository has no
// lockdepimpl package yet. The module and the lockdep module it requires
// make a workspace, so that each compiles at its own go line: a module
// whose go line is older than lockdep's keeps it (in module mode, the go
// command would raise it to that of its dependency).
func compileCheck(t *testing.T) func(t *testing.T, dir, lockdep string, cfg Config, files map[string][]byte) {
	cmd := exec.Command("go", "list", "./lockdepimpl")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Logf("skipping the compile check of rewritten modules: no lockdepimpl package yet: %s", bytes.TrimSpace(out))
		return nil
	}
	return func(t *testing.T, dir, lockdep string, cfg Config, files map[string][]byte) {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(lockdep, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		mod, err := modfile.ParseLax("go.mod", data, nil)
		if err != nil || mod.Go == nil {
			t.Fatalf("%s/go.mod: no go line (%v)", lockdep, err)
		}
		tmp := t.TempDir()
		work := filepath.Join(tmp, "go.work")
		if err := os.WriteFile(work, []byte(fmt.Sprintf("go %s\n\nuse (\n\t%s\n\t%s\n)\n", mod.Go.Version, dir, lockdep)), 0o644); err != nil {
			t.Fatal(err)
		}
		overlay := struct{ Replace map[string]string }{Replace: make(map[string]string)}
		i := 0
		for path, data := range files {
			i++
			dst := filepath.Join(tmp, fmt.Sprintf("%d_%s", i, filepath.Base(path)))
			if err := os.WriteFile(dst, data, 0o644); err != nil {
				t.Fatal(err)
			}
			overlay.Replace[path] = dst
		}
		js, err := json.Marshal(overlay)
		if err != nil {
			t.Fatal(err)
		}
		ov := filepath.Join(tmp, "overlay.json")
		if err := os.WriteFile(ov, js, 0o644); err != nil {
			t.Fatal(err)
		}
		args := []string{"vet", "-overlay=" + ov}
		if cfg.Tags != "" {
			args = append(args, "-tags="+cfg.Tags)
		}
		cmd := exec.Command("go", append(args, "./...")...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK="+work, "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("go vet of the rewritten module: %v\n%s", err, out)
		}
	}
}

func cgoAvailable() bool {
	out, err := exec.Command("go", "env", "CGO_ENABLED").Output()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		return false
	}
	_, err = exec.LookPath("gcc")
	return err == nil
}
