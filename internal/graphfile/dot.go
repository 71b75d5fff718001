package graphfile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/golockdep/lockdep/report"
)

// Renderings of a graph file: DOT for Graphviz (and so SVG), and text.

// classPackage returns the package path a class name starts with, and the
// rest: "example.com/m/store.Store.mu" is "example.com/m/store" and
// "Store.mu". A class of a single lock goes under "(locks without a
// class)"; a name with no package is its own.
func classPackage(name string, instance bool) (pkg, rest string) {
	if instance {
		return "(locks without a class)", name
	}
	if kind, waited, ok := report.EventOf(name); ok {
		// An event goes with what is waited for: "wait: p.Server.wg"
		// is drawn in p, as "wait: Server.wg".
		pkg, rest = classPackage(waited, false)
		return pkg, kind + ": " + rest
	}
	base := name
	if i := strings.LastIndexByte(base, '/'); i >= 0 {
		base = base[i+1:]
	}
	dot := strings.IndexByte(base, '.')
	if dot < 0 {
		return "", name
	}
	cut := len(name) - len(base) + dot
	return name[:cut], name[cut+1:]
}

// CycleEdges returns the dependencies on the reported cycles, as
// "from\x00to".
func (gr *Graph) CycleEdges() map[string]bool {
	on := map[string]bool{}
	for _, r := range gr.Findings {
		if r.Kind == report.Circular {
			for _, d := range r.Chain {
				on[d.After+"\x00"+d.Class] = true
			}
		}
	}
	return on
}

// Focus returns the part of gr that reaches class or is reached from it,
// along its dependencies; the findings that involve only those classes
// stay.
func (gr *Graph) Focus(class string) (*Graph, error) {
	out, in := map[string][]string{}, map[string][]string{}
	known := false
	for _, c := range gr.Classes {
		known = known || c.Name == class
	}
	if !known {
		return nil, fmt.Errorf("no class %q in the graph", class)
	}
	for _, d := range gr.Dependencies {
		out[d.From] = append(out[d.From], d.To)
		in[d.To] = append(in[d.To], d.From)
	}
	keep := map[string]bool{class: true}
	for _, adj := range []map[string][]string{out, in} {
		queue := []string{class}
		seen := map[string]bool{class: true}
		for len(queue) > 0 {
			c := queue[0]
			queue = queue[1:]
			for _, n := range adj[c] {
				if !seen[n] {
					seen[n], keep[n] = true, true
					queue = append(queue, n)
				}
			}
		}
	}
	f := Empty()
	f.Version = gr.Version
	for _, c := range gr.Classes {
		if keep[c.Name] {
			f.Classes = append(f.Classes, c)
		}
	}
	for _, d := range gr.Dependencies {
		if keep[d.From] && keep[d.To] {
			f.Dependencies = append(f.Dependencies, d)
		}
	}
findings:
	for _, r := range gr.Findings {
		for _, c := range r.Classes() {
			if !keep[c] {
				continue findings
			}
		}
		f.Findings = append(f.Findings, r)
	}
	return &f, nil
}

// dotEscaper escapes a DOT string; made once, as building a Replacer
// costs more than using it.
var dotEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func dotQuote(s string) string { return `"` + dotEscaper.Replace(s) + `"` }

// A Drawing is what a picture of a graph shows, whatever draws it (DOT
// for Graphviz, or an SVG picture): the one place that decides how a
// class and a dependency look.
type Drawing struct {
	// Clusters are the packages, sorted; a cluster with no label holds
	// the classes with no package, drawn without a box.
	Clusters []DrawCluster
	// Edges are the dependencies, sorted, then the loops of the classes
	// locked recursively.
	Edges []DrawEdge
	// Legend is the picture's caption, in short lines.
	Legend []string
}

// DrawCluster is a package of a Drawing, and its classes, sorted.
type DrawCluster struct {
	Label   string // the package path after the prefix all share
	Tooltip string // the package path
	Nodes   []DrawNode
}

// DrawNode is a class of a Drawing.
type DrawNode struct {
	Name    string // the class: the node's identity
	Label   string // the name after the package
	Tooltip string
	Bold    bool // write-locked somewhere
	Red     bool // on a reported cycle, or locked recursively
	Event   bool // a wait's pseudo-lock (report.EventOf), drawn as an ellipse
}

// DrawEdge is a dependency of a Drawing: from the class held to the class
// acquired, or a loop (From == To) for recursive locking.
type DrawEdge struct {
	From, To string
	Label    string // the mode (W or R), or "recursive"
	Tooltip  string
	Dashed   bool // a read acquisition
	Dotted   bool // a loop
	Red      bool // on a reported cycle, or a loop
}

// Red is the colour of the reported cycles and recursive locking.
const Red = "#cc0000"

// Drawing describes the picture of gr: classes clustered by package (each
// cluster labelled with its path after the prefix all packages share,
// the legend naming that prefix), a dependency from the class held to the
// class acquired, dashed for a read acquisition, the dependencies of
// reported cycles and the classes locked recursively (a loop) in red, and
// classes that are write-locked with a bold outline. Classes and
// dependencies come out sorted, so that one graph always draws the same.
func (gr *Graph) Drawing() *Drawing {
	d := new(Drawing)
	byPkg := map[string][]Class{}
	var pkgs []string
	for _, c := range gr.Classes {
		pkg, _ := classPackage(c.Name, c.Instance)
		if _, ok := byPkg[pkg]; !ok {
			pkgs = append(pkgs, pkg)
		}
		byPkg[pkg] = append(byPkg[pkg], c)
	}
	sort.Strings(pkgs)
	prefix := commonDir(pkgs)
	onCycle := gr.CycleEdges()
	inCycle := map[string]bool{}
	for k := range onCycle {
		from, to, _ := strings.Cut(k, "\x00")
		inCycle[from], inCycle[to] = true, true
	}
	recursive := gr.RecursiveClasses()
	for _, pkg := range pkgs {
		cl := DrawCluster{Tooltip: pkg}
		if pkg != "" {
			cl.Label = strings.TrimPrefix(pkg, prefix)
		}
		cs := byPkg[pkg]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		for _, c := range cs {
			_, short := classPackage(c.Name, c.Instance)
			cl.Nodes = append(cl.Nodes, DrawNode{
				Name: c.Name, Label: short, Tooltip: c.Name,
				Bold: c.Written, Red: inCycle[c.Name] || recursive[c.Name] != "",
				Event: report.IsEvent(c.Name),
			})
		}
		d.Clusters = append(d.Clusters, cl)
	}
	deps := append([]Dependency(nil), gr.Dependencies...)
	sort.SliceStable(deps, func(i, j int) bool {
		a, b := deps[i], deps[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Mode > b.Mode // W before R
	})
	for _, dep := range deps {
		tip := dep.From + " -> " + dep.To
		if len(dep.Stack) > 0 {
			tip += "\n" + dep.Stack[0].String()
		}
		if dep.Origin != "" {
			tip += "\nrecorded by " + dep.Origin
		}
		d.Edges = append(d.Edges, DrawEdge{
			From: dep.From, To: dep.To, Label: dep.Mode, Tooltip: tip,
			Dashed: dep.Mode == "R", Red: onCycle[dep.From+"\x00"+dep.To],
		})
	}
	var loops []string
	for c := range recursive {
		loops = append(loops, c)
	}
	sort.Strings(loops)
	for _, c := range loops {
		d.Edges = append(d.Edges, DrawEdge{From: c, To: c, Label: "recursive", Tooltip: c + ": " + recursive[c], Dotted: true, Red: true})
	}
	if prefix != "" {
		d.Legend = append(d.Legend, "Packages under "+prefix)
	}
	d.Legend = append(d.Legend,
		"A \u2192 B: B taken while A held; R (dashed): for reading",
		"Red: cycles and recursive locking; bold: write-locked")
	return d
}

// DOT renders gr in Graphviz's DOT language, laid out left to right, as
// [Graph.Drawing] describes it.
func (gr *Graph) DOT() string { return gr.Drawing().DOT() }

// DOT renders d in Graphviz's DOT language, laid out left to right.
func (d *Drawing) DOT() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("digraph lockdep {\n")
	// newrank ranks the nodes of all clusters together: without it, many
	// dependencies between clusters make dot give up on the clusters.
	p("\trankdir=LR;\n\tnewrank=true;\n\tfontname=\"Helvetica\";\n")
	p("\tnode [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n")
	p("\tedge [fontname=\"Helvetica\", fontsize=9];\n")
	red := `color="` + Red + `", fontcolor="` + Red + `"`
	for i, cl := range d.Clusters {
		indent := "\t"
		if cl.Label != "" {
			p("\tsubgraph cluster_%d {\n\t\tlabel=%s;\n\t\ttooltip=%s;\n", i, dotQuote(cl.Label), dotQuote(cl.Tooltip))
			p("\t\tstyle=rounded;\n\t\tcolor=\"#999999\";\n\t\tfontsize=11;\n")
			indent = "\t\t"
		}
		for _, n := range cl.Nodes {
			attrs := []string{"label=" + dotQuote(n.Label), "tooltip=" + dotQuote(n.Tooltip)}
			if n.Bold {
				attrs = append(attrs, "penwidth=2")
			}
			if n.Red {
				attrs = append(attrs, red)
			}
			if n.Event {
				attrs = append(attrs, "shape=ellipse")
			}
			p("%s%s [%s];\n", indent, dotQuote(n.Name), strings.Join(attrs, ", "))
		}
		if cl.Label != "" {
			p("\t}\n")
		}
	}
	for _, e := range d.Edges {
		attrs := []string{"label=" + dotQuote(e.Label)}
		switch {
		case e.Dashed:
			attrs = append(attrs, "style=dashed")
		case e.Dotted:
			attrs = append(attrs, "style=dotted")
		}
		if e.Red {
			attrs = append(attrs, red, "penwidth=2")
		}
		attrs = append(attrs, "tooltip="+dotQuote(e.Tooltip))
		p("\t%s -> %s [%s];\n", dotQuote(e.From), dotQuote(e.To), strings.Join(attrs, ", "))
	}
	// The legend, last, so that no cluster takes its label; in short
	// lines, centred, with some padding around the picture: Graphviz
	// sizes text by Helvetica's widths, and a browser without that font
	// draws it wider.
	p("\tlabel=%s;\n\tlabelloc=b;\n\tfontsize=10;\n\tpad=0.25;\n", dotQuote(strings.Join(d.Legend, "\n")))
	p("}\n")
	return b.String()
}

// commonDir returns the longest prefix, ending in a slash, that the
// package paths share ("" for none); the parenthesised pseudo-package of
// locks without a class does not count.
func commonDir(pkgs []string) string {
	prefix, first := "", true
	for _, pkg := range pkgs {
		if pkg == "" || strings.HasPrefix(pkg, "(") {
			continue
		}
		if first {
			prefix, first = pkg, false
			continue
		}
		n := 0
		for n < len(prefix) && n < len(pkg) && prefix[n] == pkg[n] {
			n++
		}
		prefix = prefix[:n]
	}
	// Keep at least the last element of each path.
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		return prefix[:i+1]
	}
	return ""
}

// RecursiveClasses returns the classes of the recursive-locking findings,
// each with its headline and detail.
func (gr *Graph) RecursiveClasses() map[string]string {
	rec := map[string]string{}
	for _, r := range gr.Findings {
		if r.Kind != report.Recursive || rec[r.Lock.Class] != "" {
			continue
		}
		h := r.Headline
		if h == "" {
			h = r.Kind.Headline()
		}
		if r.Detail != "" {
			h += ": " + r.Detail
		}
		rec[r.Lock.Class] = h
	}
	return rec
}
