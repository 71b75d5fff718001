package instrument

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Most of what lockdep adds to a go test of a module whose build is
// cached is Rewrite's: the go list of the packages with the export data
// of all they import, and the type-checking, a quarter of a second on the
// smallest module. The same files rewritten the same way give the same
// result, so Rewrite keeps its results in Config.CacheDir, under a key
// that names everything a result depends on:
//
//   - the lockdep executable, and the Config (directory, patterns, tags,
//     flags, coverage, tests);
//   - the go command's environment (every GO* and CGO_* variable);
//   - the name, size and modification time of every source file, go.mod,
//     go.sum, go.work and vendor/modules.txt below Config.Trees (the main
//     modules, local replacements): what the module cache and GOROOT hold
//     does not change under a go.mod that says the same.
//
// A kept result is used only if the files it rewrote still hold what it
// rewrote, byte for byte: a file the key missed cannot bring back code
// that is no longer there. A result with packages that do not type-check,
// or one made with an overlay, is not kept.

// maxKept and maxKeptBytes bound the results kept; the least recently
// used go first.
const (
	maxKept      = 64
	maxKeptBytes = 128 << 20
)

// cacheVersion changes when what a kept result holds changes.
const cacheVersion = "lockdep-rewrite 2" // 2: Checked and Chans kept

// keptResult is a Result as the cache keeps it.
type keptResult struct {
	Files   map[string][]byte
	Notes   []string
	Sites   int
	Checked int
	Chans   int
	Sources map[string][]byte
	Edits   map[string][]keptEdit
}

type keptEdit struct {
	Start, End int
	Text       string
	Order      int
}

// cacheKey returns the key of the result of Rewrite as l makes it, or ""
// if it is not to be kept.
func (l *loader) cacheKey() string {
	cfg := l.cfg
	if cfg.CacheDir == "" || len(cfg.Trees) == 0 || len(cfg.Overlay) > 0 || slices.ContainsFunc(cfg.Patterns, inSkipped) {
		return ""
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", cacheVersion, runtime.Version())
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	fmt.Fprintf(h, "exe %s %d %d\n", exe, fi.Size(), fi.ModTime().UnixNano())
	c := cfg
	c.Overlay, c.CacheDir, c.Dir = nil, "", l.dir
	if json.NewEncoder(h).Encode(c) != nil {
		return ""
	}
	var env []string
	for _, kv := range l.env {
		if strings.HasPrefix(kv, "GOFLAGS=") && strings.Contains(kv, "overlay") {
			return "" // files in place of others, that the key does not name
		}
		if strings.HasPrefix(kv, "GO") || strings.HasPrefix(kv, "CGO_") {
			env = append(env, kv)
		}
	}
	slices.Sort(env)
	fmt.Fprintf(h, "env %q\n", env)
	for _, tree := range cfg.Trees {
		err := filepath.WalkDir(tree, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != tree && skipped(d.Name()) {
					return filepath.SkipDir
				}
				return nil
			}
			name := d.Name()
			if !source(name) {
				return nil
			}
			fi, err := d.Info()
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "file %s %d %d\n", path, fi.Size(), fi.ModTime().UnixNano())
			return nil
		})
		if err != nil {
			return ""
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// skipped reports whether the key passes over a directory of that name:
// the go command's ./... does too (testdata, and names starting with . or
// _), and so does node_modules.
func skipped(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules"
}

// inSkipped reports whether a package pattern or file names something in
// a directory the key passes over: such a rewrite is not kept.
func inSkipped(pattern string) bool {
	for _, elem := range strings.Split(filepath.ToSlash(pattern), "/") {
		if elem != "." && elem != ".." && elem != "..." && skipped(elem) {
			return true
		}
	}
	return false
}

// source reports whether a file of that name can change what a build
// compiles.
func source(name string) bool {
	switch name {
	case "go.mod", "go.sum", "go.work", "go.work.sum", "modules.txt":
		return true
	}
	switch filepath.Ext(name) {
	case ".go", ".s", ".c", ".h", ".cc", ".cpp", ".cxx", ".hh", ".hpp", ".hxx", ".m", ".f", ".F", ".for", ".f90", ".syso", ".swig", ".swigcxx":
		return true
	}
	return false
}

// kept returns the result kept under key in dir, if the files it
// rewrote still hold what it rewrote; else nil.
func kept(dir, key string) *Result {
	path := filepath.Join(dir, key+".gob")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var k keptResult
	if gob.NewDecoder(bytes.NewReader(b)).Decode(&k) != nil {
		return nil
	}
	for f, src := range k.Sources {
		if now, err := os.ReadFile(f); err != nil || !bytes.Equal(now, src) {
			return nil
		}
	}
	t := time.Now()
	os.Chtimes(path, t, t) // used
	r := &Result{Files: k.Files, Notes: k.Notes, Sites: k.Sites, Checked: k.Checked, Chans: k.Chans, sources: k.Sources, edits: map[string][]edit{}}
	for f, es := range k.Edits {
		for _, e := range es {
			r.edits[f] = append(r.edits[f], edit{start: e.Start, end: e.End, text: e.Text, order: e.Order})
		}
	}
	return r
}

// keep stores r under key in dir, and removes the results least recently
// used beyond maxKept. Failing to keep it costs only time: errors are
// ignored.
func keep(dir, key string, r *Result) {
	if len(r.Broken) > 0 {
		return
	}
	k := keptResult{Files: r.Files, Notes: r.Notes, Sites: r.Sites, Checked: r.Checked, Chans: r.Chans, Sources: r.sources, Edits: map[string][]keptEdit{}}
	for f, es := range r.edits {
		for _, e := range es {
			k.Edits[f] = append(k.Edits[f], keptEdit{e.start, e.end, e.text, e.order})
		}
	}
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(&k) != nil || os.MkdirAll(dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, key+".*.tmp")
	if err != nil {
		return
	}
	_, werr := tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(dir, key+".gob")) != nil {
		os.Remove(tmp.Name())
		return
	}
	trim(dir)
}

// trim removes the results least recently used beyond maxKept, or
// beyond maxKeptBytes in all.
func trim(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type entry struct {
		name       string
		used, size int64
	}
	var es []entry
	for _, e := range entries {
		if fi, err := e.Info(); err == nil && strings.HasSuffix(e.Name(), ".gob") {
			es = append(es, entry{e.Name(), fi.ModTime().UnixNano(), fi.Size()})
		}
	}
	slices.SortFunc(es, func(a, b entry) int { return cmp.Compare(b.used, a.used) })
	var total int64
	for i, e := range es {
		total += e.size
		if i >= maxKept || total > maxKeptBytes {
			os.Remove(filepath.Join(dir, e.name))
		}
	}
}
