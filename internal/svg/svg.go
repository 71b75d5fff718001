// Package svg renders a DOT graph as SVG with Graphviz, compiled to
// WebAssembly and run in process (github.com/goccy/go-graphviz): no
// Graphviz binary is needed. It is used by the lockdep command and by
// package lockdephttp; the validator itself never imports it.
package svg

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/goccy/go-graphviz"
)

// renderMu serialises renderings: a Graphviz instance runs one at a time.
var renderMu sync.Mutex

// Render lays out the graph in DOT and returns it as an SVG document.
func Render(ctx context.Context, dot string) ([]byte, error) {
	renderMu.Lock()
	defer renderMu.Unlock()
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("starting graphviz: %w", err)
	}
	defer gv.Close()
	g, err := graphviz.ParseBytes([]byte(dot))
	if err != nil {
		return nil, fmt.Errorf("parsing the graph: %w", err)
	}
	defer g.Close()
	var buf bytes.Buffer
	if err := gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		return nil, fmt.Errorf("laying out the graph: %w", err)
	}
	return buf.Bytes(), nil
}
