// Package svg draws a lock graph as an SVG picture, in pure Go and in
// one pass: no Graphviz, no WebAssembly, nothing to start. It is used by
// package lockdephttp for the live page and by the lockdep command's
// graph -format svg; the validator itself never imports it.
//
// The layout is layered (Sugiyama's method), written for lock graphs:
// dependencies point from left to right wherever the graph allows (the
// cycles' back edges are reversed, then drawn right to left); each class
// goes in the column of its longest chain of dependencies from a class
// that nothing precedes; a dependency that spans columns passes through
// a waypoint in each; the classes of each column are ordered by the
// barycentre of their neighbours, sweeping both ways, and the order with
// the fewest crossings is kept. Each package is a horizontal lane with a
// box around its classes, so that a package's classes stay together.
//
// Text is drawn in a monospaced font and measured by its number of
// characters, with a margin: a label never overflows its box, whatever
// monospaced font the viewer has. Class names longer than a box's line
// are wrapped after a dot or a slash.
//
// The picture names each class and dependency for tests and tools: a
// class is <g class="node" data-name="CLASS">, a dependency <g
// class="edge" data-from="A" data-to="B">, whose first path has the
// colour of the dependency in its stroke attribute; a class's title (its
// tooltip) is its name.
package svg

import (
	"fmt"
	"html"
	"strings"

	"github.com/golockdep/lockdep/internal/graphfile"
)

// Text metrics. The fonts are monospaced: at size s, a character is at
// most about 0.6s wide (DejaVu Sans Mono, Liberation Mono, Menlo,
// Consolas, Courier); charWidth counts 0.64s, a margin for the rest.
const (
	fontFamily  = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace"
	nodeFont    = 12.0
	clusterFont = 12.0
	edgeFont    = 10.0
	legendFont  = 11.0
	lineHeight  = 1.3 // times the font size

	maxLabel = 40 // characters on one line of a class's label
)

func charWidth(size float64) float64 { return 0.64 * size }

// textWidth is the width of s, drawn in a font of the given size.
func textWidth(s string, size float64) float64 {
	return float64(len([]rune(s))) * charWidth(size)
}

// Spacing, in pixels.
const (
	nodePadX   = 10.0 // between a label and its box, left and right
	nodePadY   = 6.0  // above and below
	columnGap  = 64.0 // between columns, room for the edges' labels
	rowGap     = 16.0 // between the boxes of a column in a lane
	laneGap    = 18.0 // between lanes
	lanePad    = 10.0 // between a package's box and its classes
	margin     = 16.0 // around the picture
	waypointH  = 8.0  // the height a waypoint takes in its column
	loopHeight = 22.0 // the room above a box with a loop
)

// Render returns the picture of d as an SVG document.
func Render(d *graphfile.Drawing) []byte {
	l := layout(d)
	var b strings.Builder
	l.write(&b, d)
	return []byte(b.String())
}

// esc escapes s for XML text and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// num formats a coordinate.
func num(f float64) string {
	s := fmt.Sprintf("%.1f", f)
	return strings.TrimSuffix(s, ".0")
}

// wrap splits a class's label into lines of at most maxLabel characters,
// breaking after a dot, a slash, a closing bracket or an at sign where it
// can.
func wrap(label string) []string {
	var lines []string
	r := []rune(label)
	for len(r) > maxLabel {
		cut := maxLabel
		for i := maxLabel; i > maxLabel/3; i-- {
			if strings.ContainsRune("./)]@:", r[i-1]) {
				cut = i
				break
			}
		}
		lines = append(lines, string(r[:cut]))
		r = r[cut:]
	}
	return append(lines, string(r))
}

// write writes the picture.
func (l *picture) write(b *strings.Builder, d *graphfile.Drawing) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	w, h := l.width, l.height
	p("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	p("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%s\" height=\"%s\" viewBox=\"0 0 %s %s\" font-family=\"%s\">\n",
		num(w), num(h), num(w), num(h), fontFamily)
	p("<defs>\n")
	for _, m := range []struct{ id, color string }{{"lockdep-arrow", "#333333"}, {"lockdep-arrow-red", graphfile.Red}} {
		p("<marker id=\"%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" markerHeight=\"9\" orient=\"auto\">"+
			"<path d=\"M0,1 L10,5 L0,9 z\" fill=\"%s\"/></marker>\n", m.id, m.color)
	}
	p("</defs>\n")
	p("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n")
	for _, c := range l.clusters {
		if c.label == "" || !c.drawn {
			continue
		}
		p("<g class=\"cluster\"><title>%s</title>", esc(c.tooltip))
		p("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"8\" fill=\"none\" stroke=\"#999999\"/>",
			num(c.x), num(c.y), num(c.w), num(c.h))
		p("<text x=\"%s\" y=\"%s\" font-size=\"%s\" fill=\"#444444\">%s</text></g>\n",
			num(c.x+lanePad), num(c.y+clusterFont*lineHeight), num(clusterFont), esc(c.label))
	}
	for _, e := range l.edges {
		l.writeEdge(p, e)
	}
	for _, v := range l.vertices {
		if v.node == nil {
			continue
		}
		n := v.node
		stroke, width := "#333333", 1.0
		if n.Bold {
			width = 2
		}
		text := "#222222"
		if n.Red {
			stroke, text = graphfile.Red, graphfile.Red
		}
		p("<g class=\"node\" data-name=\"%s\"><title>%s</title>", esc(n.Name), esc(n.Tooltip))
		if n.Event {
			// A wait's pseudo-lock: an ellipse, as Graphviz draws it.
			p("<ellipse cx=\"%s\" cy=\"%s\" rx=\"%s\" ry=\"%s\" fill=\"white\" stroke=\"%s\" stroke-width=\"%s\"/>",
				num(v.x), num(v.y), num(v.w/2+6), num(v.h/2+2), stroke, num(width))
		} else {
			p("<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"6\" fill=\"white\" stroke=\"%s\" stroke-width=\"%s\"/>",
				num(v.x-v.w/2), num(v.y-v.h/2), num(v.w), num(v.h), stroke, num(width))
		}
		top := v.y - v.h/2 + nodePadY
		for i, line := range v.lines {
			p("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"%s\" fill=\"%s\">%s</text>",
				num(v.x), num(top+(float64(i)+0.8)*nodeFont*lineHeight), num(nodeFont), text, esc(line))
		}
		p("</g>\n")
	}
	y := l.legendY
	for _, line := range d.Legend {
		y += legendFont * lineHeight
		p("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"%s\" fill=\"#444444\">%s</text>\n",
			num(w/2), num(y), num(legendFont), esc(line))
	}
	p("</svg>\n")
}

// writeEdge writes a dependency: a smooth path through its points, an
// arrowhead at the class acquired, and its label near its start.
func (l *picture) writeEdge(p func(string, ...any), e *edge) {
	stroke, marker, width := "#333333", "lockdep-arrow", 1.0
	if e.Red {
		stroke, marker, width = graphfile.Red, "lockdep-arrow-red", 2
	}
	dash := ""
	switch {
	case e.Dashed:
		dash = ` stroke-dasharray="6,4"`
	case e.Dotted:
		dash = ` stroke-dasharray="2,3"`
	}
	var d strings.Builder
	pts := e.points
	fmt.Fprintf(&d, "M%s,%s", num(pts[0].x), num(pts[0].y))
	if e.loop {
		// Up from the box's top and back down into it.
		a, z := pts[0], pts[1]
		fmt.Fprintf(&d, " C%s,%s %s,%s %s,%s", num(a.x), num(a.y-loopHeight), num(z.x), num(z.y-loopHeight), num(z.x), num(z.y))
	} else {
		// A direct dependency bends by its offset; one through
		// waypoints is offset there.
		bend := 0.0
		if len(pts) == 2 {
			bend = e.bend
		}
		for i := 1; i < len(pts); i++ {
			a, z := pts[i-1], pts[i]
			dx := (z.x - a.x) / 2
			fmt.Fprintf(&d, " C%s,%s %s,%s %s,%s", num(a.x+dx), num(a.y+bend), num(z.x-dx), num(z.y+bend), num(z.x), num(z.y))
		}
	}
	p("<g class=\"edge\" data-from=\"%s\" data-to=\"%s\"><title>%s</title>", esc(e.From), esc(e.To), esc(e.Tooltip))
	p("<path d=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\"%s marker-end=\"url(#%s)\"/>", d.String(), stroke, num(width), dash, marker)
	color := "#333333"
	if e.Red {
		color = graphfile.Red
	}
	// A white outline keeps the label legible over the lines it crosses.
	p("<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" font-size=\"%s\" fill=\"%s\" stroke=\"white\" stroke-width=\"3\" paint-order=\"stroke\">%s</text></g>\n",
		num(e.labelX), num(e.labelY), num(edgeFont), color, esc(e.Label))
}
