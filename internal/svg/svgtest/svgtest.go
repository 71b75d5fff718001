// Package svgtest reads back, for tests, the pictures that package svg
// draws.
package svgtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Picture is what an SVG picture of package svg shows: its classes, by
// name, and its dependencies, by "from->to", with the colour each is
// drawn in.
type Picture struct {
	Nodes map[string]bool
	Edges map[string]string
	// Texts are the lines of text the picture holds, in order.
	Texts []string
}

// Parse reads an SVG document, or the first svg element of an HTML page.
func Parse(data []byte) (*Picture, error) {
	start, end := bytes.Index(data, []byte("<svg")), bytes.LastIndex(data, []byte("</svg>"))
	if start < 0 || end < start {
		return nil, errors.New("no svg element")
	}
	p := &Picture{Nodes: map[string]bool{}, Edges: map[string]string{}}
	dec := xml.NewDecoder(bytes.NewReader(data[start : end+len("</svg>")]))
	edge := "" // the dependency whose group the decoder is in
	inText := false
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
				switch attr("class") {
				case "node":
					p.Nodes[attr("data-name")] = true
					edge = ""
				case "edge":
					edge = attr("data-from") + "->" + attr("data-to")
				default:
					edge = ""
				}
			case "path":
				if edge != "" {
					if _, seen := p.Edges[edge]; !seen {
						p.Edges[edge] = attr("stroke")
					}
				}
			case "text":
				inText = true
				p.Texts = append(p.Texts, "")
			}
		case xml.EndElement:
			if tok.Name.Local == "text" {
				inText = false
			}
		case xml.CharData:
			if inText {
				p.Texts[len(p.Texts)-1] += string(tok)
			}
		}
	}
}
