package instrument

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Coverage. go test -cover has the cover tool rewrite each file of the
// covered packages to count the statements that run. The tool reads the
// files from disk, past the build's -overlay, so the lockdep command
// runs it on the rewritten files itself (through go's -toolexec); with
// Config.Coverage, the rewrite keeps what the tool records the user's:
//
//   - columns: after each edit, a /*line :L:C*/ directive gives the text
//     that follows it its position in the user's file, so that the
//     blocks the tool records (line.column,line.column) are the user's;
//     an edit that ends with a closing ) ] or } has the directive before
//     that character, which ends a statement where the user's ended;
//   - added code: the methods added for an embedded mutex and the function
//     literal that stands for a method expression hold statements the
//     tool would count. They are marked, and [CoverSource] blanks them
//     for the tool, [CoveredSource] puts them back in its output.

// The marks around added code: declarations or statements, blanked with
// spaces, or an expression, replaced with 0.
const (
	addedMark = "/*lockdep:added{*/"
	exprMark  = "/*lockdep:expr{*/"
	endMark   = "/*}lockdep*/"
)

// added marks text, code the rewrite adds (with addedMark, declarations
// or statements; with exprMark, an expression), when the file is
// rewritten for coverage.
func (r *rewriter) added(mark, text string) string {
	if !r.opts.coverage {
		return text
	}
	return mark + text + endMark
}

// keepColumns adds to each edit before the end of the file the /*line*/
// directive that keeps the columns of the text after it (see above).
func (r *rewriter) keepColumns() {
	for i := range r.edits {
		e := &r.edits[i]
		if e.start >= len(r.src) || e.text == "" {
			continue
		}
		if last := e.text[len(e.text)-1]; strings.IndexByte(")]}", last) >= 0 && e.end > 0 && r.src[e.end-1] != '\n' {
			e.text = e.text[:len(e.text)-1] + r.lineDirective(e.end-1) + e.text[len(e.text)-1:]
		} else if e.end < len(r.src) {
			e.text += r.lineDirective(e.end)
		}
	}
}

// lineDirective returns the /*line*/ directive that gives the next
// character the position of the user's file's byte at offset off: its
// line and column, and its file name when a //line directive of the
// user's file names another.
func (r *rewriter) lineDirective(off int) string {
	p := r.fset.Position(r.tf.Pos(off))
	name := ""
	if p.Filename != r.tf.Name() {
		name = p.Filename
	}
	return fmt.Sprintf("/*line %s:%d:%d*/", name, p.Line, p.Column)
}

// region is a stretch of added code in a rewritten file: [start, end) is
// between its marks.
type region struct {
	expr       bool
	start, end int
}

// regions returns the added code that src marks.
func regions(src []byte) ([]region, error) {
	var rs []region
	for i := 0; ; {
		j := bytes.Index(src[i:], []byte("/*lockdep:"))
		if j < 0 {
			return rs, nil
		}
		i += j
		var r region
		switch {
		case bytes.HasPrefix(src[i:], []byte(addedMark)):
			r.start = i + len(addedMark)
		case bytes.HasPrefix(src[i:], []byte(exprMark)):
			r.expr, r.start = true, i+len(exprMark)
		default:
			i += len("/*lockdep:")
			continue
		}
		k := bytes.Index(src[r.start:], []byte(endMark))
		if k < 0 {
			return nil, errors.New("added code without its end mark")
		}
		r.end = r.start + k
		rs = append(rs, r)
		i = r.end + len(endMark)
	}
}

// blank returns what the cover tool reads in place of the added code
// src[r.start:r.end]: spaces, or an expression, 0 then spaces; line
// breaks stay.
func (r region) blank(src []byte) []byte {
	b := bytes.Clone(src[r.start:r.end])
	for i, c := range b {
		if c != '\n' {
			b[i] = ' '
		}
	}
	if r.expr && len(b) > 0 {
		b[0] = '0'
	}
	return b
}

// CoverSource returns a file rewritten with Config.Coverage as the cover
// tool is to read it: the code the rewrite added is blanked, so that the
// tool counts the user's statements only. Every byte keeps its offset.
func CoverSource(src []byte) ([]byte, error) {
	rs, err := regions(src)
	if err != nil {
		return nil, err
	}
	out := bytes.Clone(src)
	for _, r := range rs {
		copy(out[r.start:r.end], r.blank(src))
	}
	return out, nil
}

// CoveredSource returns the cover tool's output for a file that
// CoverSource prepared, out, with the code the rewrite added put back
// from src, the rewritten file. The tool only inserts code, and inside
// added code at most before the 0 that stands for an expression.
func CoveredSource(out, src []byte) ([]byte, error) {
	want, err := regions(src)
	if err != nil {
		return nil, err
	}
	got, err := regions(out)
	if err != nil {
		return nil, err
	}
	if len(got) != len(want) {
		return nil, fmt.Errorf("the cover tool's output has %d stretches of added code, want %d", len(got), len(want))
	}
	var b bytes.Buffer
	last := 0
	for i, g := range got {
		w := want[i]
		blank := w.blank(src)
		content := out[g.start:g.end]
		if !bytes.HasSuffix(content, blank) {
			return nil, fmt.Errorf("the cover tool changed added code at offset %d", g.start)
		}
		b.Write(out[last:g.start])
		b.Write(content[:len(content)-len(blank)]) // what the tool inserted before
		b.Write(src[w.start:w.end])
		last = g.end
	}
	b.Write(out[last:])
	return b.Bytes(), nil
}
