package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// The go command compiles the files that lockdep rewrote, and the
// TestMain files it generated, from its temporary directory, and names
// them so in what it prints: a build error, a vet report. Those files are
// gone when lockdep exits. sourceNames puts the user's names back:
//
//   - a rewritten file becomes the user's file, at the same line (every
//     rewrite keeps lines) and at the column of the original text; an
//     error inside what lockdep inserted says so;
//   - a generated file is named where it would be in the user's tree,
//     and is shown once the go command is done (with -work, which keeps
//     it, it keeps its real name);
//   - a file of lockdep's vendor directory (see vendor.go) is named as
//     the user's vendored file it stands for.

// sourceFile is one file the go command compiles in place of the user's.
type sourceFile struct {
	orig      string // the user's path; for a generated file, where it would be
	generated bool
	out       []byte // what lockdep wrote
}

// sourceNames rewrites the go command's output lines; see above.
type sourceNames struct {
	dir    string                 // the go command's working directory
	prefix string                 // the directory of the files, with a trailing separator
	files  map[string]*sourceFile // by base name in prefix
	keep   bool                   // -work: the files stay
	// position maps a position in a rewritten file (by the user's path)
	// to the user's file: instrument.Result.Position.
	position func(file string, line, col int) (int, int, bool)

	// vendor maps lockdep's vendor directory to the user's, each with a
	// trailing separator; empty without one.
	vendor [2]string

	mu    sync.Mutex
	named map[string]*sourceFile // generated files named in the output, by base name
}

// setVendor says that lockdep's vendor directory dst stands for the
// user's, src.
func (n *sourceNames) setVendor(dst, src string) {
	if dst != "" && src != "" {
		name := src
		if rel, err := filepath.Rel(n.dir, src); err == nil && len(rel) < len(src) {
			name = rel
		}
		sep := string(filepath.Separator)
		n.vendor = [2]string{dst + sep, name + sep}
	}
}

// newSourceNames returns the names of the files that writeOverlay wrote
// into srcDir: files maps the file written to what it stands for, and
// position maps positions in the rewritten files to the user's.
func newSourceNames(dir, srcDir string, files map[string]*sourceFile, position func(string, int, int) (int, int, bool), keep bool) *sourceNames {
	n := &sourceNames{
		dir: dir, prefix: srcDir + string(filepath.Separator), files: map[string]*sourceFile{},
		keep: keep, position: position, named: map[string]*sourceFile{},
	}
	for p, f := range files {
		n.files[filepath.Base(p)] = f
	}
	return n
}

// line returns an output line with the names of lockdep's files replaced
// as described above. Lines of JSON (go test -json, go vet -json) have
// the names in JSON strings.
func (n *sourceNames) line(s string) string {
	if n == nil {
		return s
	}
	esc := func(s string) string { return s }
	if strings.HasPrefix(s, "{") {
		esc = jsonEscape
	}
	if n.vendor[0] != "" {
		s = strings.ReplaceAll(s, esc(n.vendor[0]), esc(n.vendor[1]))
	}
	prefix := esc(n.prefix)
	if !strings.Contains(s, prefix) {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, prefix)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		s = s[i+len(prefix):]
		end := strings.IndexByte(s, ':')
		if end < 0 {
			end = len(s)
		}
		base := s[:end]
		f := n.files[base]
		if f == nil {
			b.WriteString(prefix)
			continue
		}
		s = s[end:]
		lineNo, col, rest := position(s)
		s = rest
		if f.generated {
			n.mu.Lock()
			n.named[base] = f
			n.mu.Unlock()
			if n.keep {
				b.WriteString(prefix + base)
			} else {
				b.WriteString(esc(n.display(f.orig)))
			}
			b.WriteString(formatPos(lineNo, col))
			continue
		}
		b.WriteString(esc(n.display(f.orig)))
		inserted := false
		if lineNo > 0 {
			lineNo, col, inserted = n.position(f.orig, lineNo, col)
		}
		b.WriteString(formatPos(lineNo, col))
		if inserted && strings.HasPrefix(s, ": ") {
			b.WriteString(": in code lockdep inserted here")
		}
	}
	b.WriteString(s)
	return b.String()
}

// position reads ":line:col" or ":line" at the start of s, and returns
// them (0 when absent) and what follows.
func position(s string) (line, col int, rest string) {
	nums := [2]int{}
	for k := 0; k < 2; k++ {
		if !strings.HasPrefix(s, ":") {
			break
		}
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		v, err := strconv.Atoi(s[1:j])
		if err != nil {
			break
		}
		nums[k], s = v, s[j:]
	}
	return nums[0], nums[1], s
}

// formatPos formats ":line:col", leaving out what is 0.
func formatPos(line, col int) string {
	switch {
	case line == 0:
		return ""
	case col == 0:
		return ":" + strconv.Itoa(line)
	}
	return ":" + strconv.Itoa(line) + ":" + strconv.Itoa(col)
}

// display names path as the go command names files: relative to its
// working directory when that is shorter, with ./ for a file in it.
func (n *sourceNames) display(path string) string {
	rel, err := filepath.Rel(n.dir, path)
	if err != nil || len(rel) >= len(path) {
		return path
	}
	if filepath.Dir(rel) == "." {
		return "." + string(filepath.Separator) + rel
	}
	return rel
}

// showGenerated prints, for each generated file the output named, that
// it is lockdep's, with its contents unless -work keeps it.
func (n *sourceNames) showGenerated(w io.Writer) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	var bases []string
	for base := range n.named {
		bases = append(bases, base)
	}
	slices.SortFunc(bases, func(a, b string) int { return strings.Compare(n.named[a].orig, n.named[b].orig) })
	for _, base := range bases {
		f := n.named[base]
		if n.keep {
			fmt.Fprintf(w, "lockdep: %s%s is generated by lockdep (kept by -work)\n", n.prefix, base)
			continue
		}
		fmt.Fprintf(w, "lockdep: %s is generated by lockdep, not a file of yours (-work keeps it); it reads:\n", n.display(f.orig))
		for i, l := range strings.Split(strings.TrimSuffix(string(f.out), "\n"), "\n") {
			fmt.Fprintf(w, "\t%3d  %s\n", i+1, l)
		}
	}
}

// jsonEscape returns s as it is inside a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
