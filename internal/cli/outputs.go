package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/golockdep/lockdep/internal/render"
	"github.com/golockdep/lockdep/internal/reporting"
)

// Every output of lockdep is a handler of one stream (package reporting):
// the findings as they are made, then the graph they were made on and how
// the run ended. This file is the one place that says which handler writes
// which format, for lockdep test, run, merge and graph alike.

// A format is one of the forms lockdep writes.
type format struct {
	name string
	// findings returns the handler that prints a run's findings in this
	// format (lockdep test, run and merge: -format, and -sarif); nil if
	// the format is not one of findings.
	findings func(c *outputConfig, w io.Writer) reporting.Handler
	// graph returns the handler that writes the graph in this format
	// (lockdep graph's -format; the graph files of test -graph and merge
	// -o); nil if the format is not one of graphs.
	graph func(w io.Writer) reporting.Handler
	// exts are the extensions of lockdep graph's -o file that choose the
	// format when -format is not given.
	exts []string
}

var formats = []format{
	{name: "text", findings: (*outputConfig).text, graph: render.GraphText, exts: []string{".txt"}},
	{name: "dot", graph: reporting.DOT, exts: []string{".dot", ".gv"}},
	{name: "svg", graph: render.SVG, exts: []string{".svg"}},
	{name: "json", findings: (*outputConfig).json, graph: reporting.GraphJSON, exts: []string{".json"}},
	{name: "sarif", findings: (*outputConfig).sarif},
}

// outputConfig is what the handlers of findings need besides a writer.
type outputConfig struct {
	// base marks the findings it lists as known, in text and JSON; it
	// may be nil.
	base *baseline
	// sarifRun says, when a SARIF log is written, how to locate its
	// findings: the module is known only once the run started.
	sarifRun func() render.SARIFRun
}

func (c *outputConfig) text(w io.Writer) reporting.Handler {
	return c.base.marking(reporting.Text(w), c.base.markText)
}

func (c *outputConfig) json(w io.Writer) reporting.Handler {
	return c.base.marking(reporting.JSON(w), markJSON)
}

func (c *outputConfig) sarif(w io.Writer) reporting.Handler { return render.SARIF(w, c.sarifRun) }

// formatNamed returns the format of that name, if it is one of findings
// (graph false) or of graphs (graph true).
func formatNamed(name string, graph bool) (format, bool) {
	for _, f := range formats {
		if f.name == name && (graph && f.graph != nil || !graph && f.findings != nil) {
			return f, true
		}
	}
	return format{}, false
}

// formatNames lists the formats of findings or of graphs: "text, json or
// sarif".
func formatNames(graph bool) string {
	var names []string
	for _, f := range formats {
		if graph && f.graph != nil || !graph && f.findings != nil {
			names = append(names, f.name)
		}
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// checkFormat checks the -format of lockdep test, run or merge.
func checkFormat(stderr io.Writer, cmd, format string) error {
	if _, ok := formatNamed(format, false); !ok {
		return usageError(stderr, cmd, "-format must be %s, not %q", formatNames(false), format)
	}
	return nil
}

// graphFormat returns the format of lockdep graph: -format, else the one
// the -o file's extension names, else text.
func graphFormat(name, out string) (format, bool) {
	if name == "" {
		name = "text"
		ext := strings.ToLower(filepath.Ext(out))
		for _, f := range formats {
			for _, e := range f.exts {
				if e == ext && f.graph != nil {
					name = f.name
				}
			}
		}
	}
	return formatNamed(name, true)
}

// outputs are the handlers of a run of lockdep test, run or merge: its
// findings in -format on stdout, and its -sarif and graph files.
type outputs struct {
	reporting.Handler
	files []*os.File
}

// outputFiles names the files of a run: SARIF and graph (each empty for
// none), and the flags that named them, for errors.
type outputFiles struct {
	sarif, graph         string
	sarifFlag, graphFlag string
}

// openOutputs returns the outputs of a run: findings in format to w, and
// the files, which it creates now (relative to dir), so that a path that
// cannot be written fails before anything is built.
func openOutputs(format string, w io.Writer, dir string, files outputFiles, c *outputConfig) (*outputs, error) {
	f, ok := formatNamed(format, false)
	if !ok {
		return nil, fmt.Errorf("unknown format %q", format) // checked with the flags
	}
	out := &outputs{}
	hs := []reporting.Handler{f.findings(c, w)}
	for _, o := range []struct {
		path, flag string
		handler    func(io.Writer) reporting.Handler
	}{
		{files.sarif, files.sarifFlag, func(w io.Writer) reporting.Handler { return c.sarif(w) }},
		{files.graph, files.graphFlag, reporting.GraphJSON},
	} {
		if o.path == "" {
			continue
		}
		file, err := os.Create(absIn(dir, o.path))
		if err != nil {
			out.close()
			return nil, fmt.Errorf("%s: cannot write the output file: %w", o.flag, err)
		}
		out.files = append(out.files, file)
		hs = append(hs, o.handler(namedWriter{file}))
	}
	out.Handler = reporting.Handlers(hs...)
	return out, nil
}

// end ends the stream, whatever the outcome of the run, and closes the
// files: each is written, and says why the run did not complete if it
// did not. It returns the first error, naming its file.
func (o *outputs) end(e *reporting.End) error {
	err := o.End(e)
	if cerr := o.close(); err == nil {
		err = cerr
	}
	return err
}

// close closes the files, and returns the first error.
func (o *outputs) close() error {
	var first error
	for _, f := range o.files {
		if err := f.Close(); err != nil && first == nil {
			first = fmt.Errorf("writing %s: %w", f.Name(), err)
		}
	}
	o.files = nil
	return first
}

// namedWriter is a file whose write errors name it.
type namedWriter struct{ f *os.File }

func (w namedWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if err != nil {
		err = fmt.Errorf("writing %s: %w", w.f.Name(), err)
	}
	return n, err
}

// failure says why a run did not complete, for the end of its stream:
// err, unless it only carries the exit status of failed tests or of
// findings.
func failure(cmd string, err error) string {
	if err == nil {
		return ""
	}
	var ee *exitError
	if errors.As(err, &ee) && ee.err == nil {
		return ""
	}
	return "lockdep " + cmd + ": " + err.Error()
}
