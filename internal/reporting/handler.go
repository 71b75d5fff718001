package reporting

import (
	"io"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/report"
)

// A Handler is one output of the stream of a run's findings. Every output
// of lockdep is one: the validator's text on standard error and its
// LOCKDEP_JSON file, the lockdep command's -format, -sarif and -graph
// outputs, lockdep graph's formats and the live page's.
//
// Finding is called with each finding in the order they are made, and End
// once, after the last, with the graph the findings were made on and how
// the run ended. A handler writes a finding as it comes (text, JSON
// lines) or everything at the end (SARIF, the graph's forms). Each method
// returns the error of the handler's writer; a handler that got one keeps
// returning it.
type Handler interface {
	Finding(r *report.Report) error
	End(e *End) error
}

// End is the end of a stream.
type End struct {
	// Graph is the graph the findings were made on, with its findings;
	// nil where there is none, which the graph's forms write as an empty
	// graph.
	Graph *graphfile.Graph
	// Failure says why the run did not complete (the build failed, it
	// was interrupted); empty if it did.
	Failure string
}

// GraphOrEmpty returns the stream's graph, or an empty one where it has
// none.
func (e *End) GraphOrEmpty() *graphfile.Graph {
	if e.Graph == nil {
		gr := graphfile.Empty()
		return &gr
	}
	return e.Graph
}

// Text returns the handler that writes each finding's text form to w
// (report.Report.String), as it comes.
func Text(w io.Writer) Handler {
	return &perFinding{w: w, form: func(r *report.Report) []byte { return []byte(r.String()) }}
}

// JSON returns the handler that writes each finding to w as one line of
// JSON (report.Report.JSON), as it comes.
func JSON(w io.Writer) Handler {
	return &perFinding{w: w, form: func(r *report.Report) []byte { return append(r.JSON(), '\n') }}
}

// perFinding writes each finding in one form, and nothing at the end.
type perFinding struct {
	w    io.Writer
	form func(*report.Report) []byte
	err  error
}

func (h *perFinding) Finding(r *report.Report) error {
	if h.err == nil {
		_, h.err = h.w.Write(h.form(r))
	}
	return h.err
}

func (h *perFinding) End(*End) error { return h.err }

// GraphJSON returns the handler that writes the graph file to w at the
// end: the graph's classes, dependencies and findings, as indented JSON.
func GraphJSON(w io.Writer) Handler {
	return AtEnd(w, func(e *End) []byte { return e.GraphOrEmpty().Marshal() })
}

// DOT returns the handler that writes the graph to w at the end, in
// Graphviz's DOT language.
func DOT(w io.Writer) Handler {
	return AtEnd(w, func(e *End) []byte { return []byte(e.GraphOrEmpty().DOT()) })
}

// AtEnd returns a handler that writes what form makes of the end of the
// stream to w, and nothing before: a form of the graph, whose findings
// it holds.
func AtEnd(w io.Writer, form func(*End) []byte) Handler {
	return &atEnd{w: w, form: form}
}

type atEnd struct {
	w    io.Writer
	form func(*End) []byte
}

func (h *atEnd) Finding(*report.Report) error { return nil }

func (h *atEnd) End(e *End) error {
	_, err := h.w.Write(h.form(e))
	return err
}

// Handlers returns a handler that passes the stream to each of hs in
// turn, and returns the first error any of them returns.
func Handlers(hs ...Handler) Handler { return handlers(hs) }

type handlers []Handler

func (hs handlers) Finding(r *report.Report) error {
	var first error
	for _, h := range hs {
		if err := h.Finding(r); first == nil {
			first = err
		}
	}
	return first
}

func (hs handlers) End(e *End) error {
	var first error
	for _, h := range hs {
		if err := h.End(e); first == nil {
			first = err
		}
	}
	return first
}
