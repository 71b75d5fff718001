package report

import (
	"fmt"
	"sort"
	"strings"
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

// cycleEdges returns the dependencies on the reported cycles, as
// "from\x00to".
func (gr *Graph) cycleEdges() map[string]bool {
	on := map[string]bool{}
	for _, r := range gr.Findings {
		if r.Kind == Circular {
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
	f := EmptyGraph()
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

// DOT renders gr in Graphviz's DOT language, laid out left to right:
// classes clustered by package (each cluster labelled with its path
// after the prefix all packages share, the legend naming that prefix), a
// dependency from the class held to the class acquired, dashed for a read
// acquisition, the dependencies of reported cycles and the classes
// locked recursively (a loop) in red, and classes that are write-locked
// with a bold outline. Classes and dependencies come out sorted, so that
// one graph always renders the same.
func (gr *Graph) DOT() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("digraph lockdep {\n")
	// newrank ranks the nodes of all clusters together: without it, many
	// dependencies between clusters make dot give up on the clusters.
	p("\trankdir=LR;\n\tnewrank=true;\n\tfontname=\"Helvetica\";\n")
	p("\tnode [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=11];\n")
	p("\tedge [fontname=\"Helvetica\", fontsize=9];\n")
	byPkg := map[string][]GraphClass{}
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
	onCycle := gr.cycleEdges()
	inCycle := map[string]bool{}
	for k := range onCycle {
		from, to, _ := strings.Cut(k, "\x00")
		inCycle[from], inCycle[to] = true, true
	}
	recursive := gr.recursiveClasses()
	for i, pkg := range pkgs {
		indent := "\t"
		if pkg != "" {
			label := strings.TrimPrefix(pkg, prefix)
			p("\tsubgraph cluster_%d {\n\t\tlabel=%s;\n\t\ttooltip=%s;\n", i, dotQuote(label), dotQuote(pkg))
			p("\t\tstyle=rounded;\n\t\tcolor=\"#999999\";\n\t\tfontsize=11;\n")
			indent = "\t\t"
		}
		cs := byPkg[pkg]
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
		for _, c := range cs {
			_, short := classPackage(c.Name, c.Instance)
			attrs := []string{"label=" + dotQuote(short), "tooltip=" + dotQuote(c.Name)}
			if c.Written {
				attrs = append(attrs, "penwidth=2")
			}
			if inCycle[c.Name] || recursive[c.Name] != "" {
				attrs = append(attrs, `color="#cc0000"`, `fontcolor="#cc0000"`)
			}
			p("%s%s [%s];\n", indent, dotQuote(c.Name), strings.Join(attrs, ", "))
		}
		if pkg != "" {
			p("\t}\n")
		}
	}
	deps := append([]GraphDep(nil), gr.Dependencies...)
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
	for _, d := range deps {
		attrs := []string{"label=" + dotQuote(d.Mode)}
		if d.Mode == "R" {
			attrs = append(attrs, "style=dashed")
		}
		if onCycle[d.From+"\x00"+d.To] {
			attrs = append(attrs, `color="#cc0000"`, `fontcolor="#cc0000"`, "penwidth=2")
		}
		tip := d.From + " -> " + d.To
		if len(d.Stack) > 0 {
			tip += "\n" + frameText(d.Stack[0])
		}
		if d.Origin != "" {
			tip += "\nrecorded by " + d.Origin
		}
		attrs = append(attrs, "tooltip="+dotQuote(tip))
		p("\t%s -> %s [%s];\n", dotQuote(d.From), dotQuote(d.To), strings.Join(attrs, ", "))
	}
	var loops []string
	for c := range recursive {
		loops = append(loops, c)
	}
	sort.Strings(loops)
	for _, c := range loops {
		p("\t%s -> %s [label=\"recursive\", style=dotted, color=\"#cc0000\", fontcolor=\"#cc0000\", penwidth=2, tooltip=%s];\n",
			dotQuote(c), dotQuote(c), dotQuote(c+": "+recursive[c]))
	}
	// The legend, last, so that no cluster takes its label; in short
	// lines, centred, with some padding around the picture: Graphviz
	// sizes text by Helvetica's widths, and a browser without that font
	// draws it wider.
	legend := "A \u2192 B: B taken while A held; R (dashed): for reading\\n" +
		"Red: cycles and recursive locking; bold: write-locked"
	if prefix != "" {
		legend = "Packages under " + prefix + "\\n" + legend
	}
	p("\tlabel=\"%s\";\n\tlabelloc=b;\n\tfontsize=10;\n\tpad=0.25;\n", strings.ReplaceAll(legend, `"`, `\"`))
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

// recursiveClasses returns the classes of the recursive-locking findings,
// each with its headline and detail.
func (gr *Graph) recursiveClasses() map[string]string {
	rec := map[string]string{}
	for _, r := range gr.Findings {
		if r.Kind != Recursive || rec[r.Lock.Class] != "" {
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

// Text renders gr for a terminal: each class, whether it is written (and
// locked recursively, if a finding says so), and the classes acquired
// while it is held, with where that was first seen; the dependencies of
// reported cycles are marked.
func (gr *Graph) Text() string {
	var b strings.Builder
	out := map[string][]GraphDep{}
	for _, d := range gr.Dependencies {
		out[d.From] = append(out[d.From], d)
	}
	onCycle := gr.cycleEdges()
	recursive := gr.recursiveClasses()
	fmt.Fprintf(&b, "%s, %s, %s\n", Count(len(gr.Classes), "class"), Count(len(gr.Dependencies), "dependency"), Count(len(gr.Findings), "finding"))
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
				b.WriteString(", at: " + frameText(d.Stack[0]))
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

// Count says n things: "1 class", "2 classes", "0 dependencies".
func Count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	switch {
	case strings.HasSuffix(thing, "ss"):
		thing += "es"
	case strings.HasSuffix(thing, "y"):
		thing = thing[:len(thing)-1] + "ies"
	default:
		thing += "s"
	}
	return fmt.Sprintf("%d %s", n, thing)
}
