package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/svg"
)

// GraphText returns the handler that writes the graph to w at the end,
// for a terminal (see graphText).
func GraphText(w io.Writer) reporting.Handler {
	return reporting.AtEnd(w, func(e *reporting.End) []byte { return []byte(graphText(e.GraphOrEmpty())) })
}

// SVG returns the handler that draws the graph as an SVG picture, written
// to w at the end.
func SVG(w io.Writer) reporting.Handler {
	return reporting.AtEnd(w, func(e *reporting.End) []byte { return svg.Render(e.GraphOrEmpty().Drawing()) })
}

// graphText renders gr for a terminal: each class, whether it is written (and
// locked recursively, if a finding says so), and the classes acquired
// while it is held, with where that was first seen; the dependencies of
// reported cycles are marked.
func graphText(gr *graphfile.Graph) string {
	var b strings.Builder
	out := map[string][]graphfile.Dependency{}
	for _, d := range gr.Dependencies {
		out[d.From] = append(out[d.From], d)
	}
	onCycle := gr.CycleEdges()
	recursive := gr.RecursiveClasses()
	fmt.Fprintf(&b, "%s, %s, %s\n", reporting.Count(len(gr.Classes), "class"), reporting.Count(len(gr.Dependencies), "dependency"), reporting.Count(len(gr.Findings), "finding"))
	for _, c := range gr.Classes {
		b.WriteString("\n" + c.Name)
		var notes []string
		if c.Written {
			notes = append(notes, "written")
		}
		if recursive[c.Name] != "" {
			notes = append(notes, "locked recursively")
		}
		if len(notes) > 0 {
			b.WriteString(" (" + strings.Join(notes, ", ") + ")")
		}
		b.WriteString("\n")
		for _, d := range out[c.Name] {
			mark := "  "
			if onCycle[d.From+"\x00"+d.To] {
				mark = " *"
			}
			fmt.Fprintf(&b, "%s -> %s {%s}", mark, d.To, d.Mode)
			if len(d.Stack) > 0 {
				b.WriteString(", at: " + d.Stack[0].String())
			}
			if d.Origin != "" {
				b.WriteString(", recorded by " + d.Origin)
			}
			b.WriteString("\n")
		}
	}
	if len(onCycle) > 0 {
		b.WriteString("\n* on a reported cycle\n")
	}
	return b.String()
}
