// Package svgtest reads back, for tests, the pictures that package svg
// draws with Graphviz.
package svgtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Picture is what a Graphviz SVG document shows: its nodes, by title (a
// class), and its edges, by title ("from->to"), with the colour each edge
// is drawn in.
type Picture struct {
	Nodes map[string]bool
	Edges map[string]string
}

// Parse reads a Graphviz SVG document, or the first svg element of an
// HTML page.
func Parse(data []byte) (*Picture, error) {
	start, end := bytes.Index(data, []byte("<svg")), bytes.LastIndex(data, []byte("</svg>"))
	if start < 0 || end < start {
		return nil, errors.New("no svg element")
	}
	p := &Picture{Nodes: map[string]bool{}, Edges: map[string]string{}}
	dec := xml.NewDecoder(bytes.NewReader(data[start : end+len("</svg>")]))
	var class, title string
	inTitle := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return p, nil
		}
		if err != nil {
			return nil, fmt.Errorf("the SVG does not parse as XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			attr := func(name string) string {
				for _, a := range tok.Attr {
					if a.Name.Local == name {
						return a.Value
					}
				}
				return ""
			}
			switch tok.Name.Local {
			case "g":
				if c := attr("class"); c != "" {
					class, title = c, "" // node, edge, cluster or graph
				}
			case "title":
				inTitle = true
			case "path":
				if class == "edge" && title != "" {
					if _, seen := p.Edges[title]; !seen {
						p.Edges[title] = attr("stroke")
					}
				}
			}
		case xml.EndElement:
			if inTitle && class == "node" {
				p.Nodes[title] = true
			}
			inTitle = false
		case xml.CharData:
			if inTitle && (class == "node" || class == "edge") {
				title += string(tok)
			}
		}
	}
}
