package lockdephttp

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// view is what the page shows.
type view struct {
	*state
	Off      bool
	Summary  string
	Findings []findingRow
	Focus    string
	SVG      []byte // the picture, an svg element

	GraphProblem string // why there is no picture
	Classes      []classRow
	Chains       string
	Held         string
	Metrics      string // where the metrics are, if this is the default mux's page
}

type findingRow struct {
	Title string
	Text  string
}

type classRow struct {
	Name    string
	Written bool
	Stats   *report.ClassStats
	Sites   []string
}

// view prepares the page: s is the whole state, gr the graph to draw
// (focused, if asked).
func (p *page) view(r *http.Request, s *state, gr *graphfile.Graph, focus string) *view {
	v := &view{state: s, Off: s.off, Focus: focus}
	v.Summary = fmt.Sprintf("%s, %s, %s, %s.",
		reporting.Count(len(s.Findings), "finding"), reporting.Count(len(s.Classes), "class"),
		reporting.Count(len(s.Dependencies), "dependency"), reporting.Count(len(s.Chains), "lock chain"))
	for i, f := range s.Findings {
		v.Findings = append(v.Findings, findingRow{
			Title: fmt.Sprintf("%d. %s: %s", i+1, f.Kind, strings.Join(f.Classes(), ", ")),
			Text:  f.String(),
		})
	}
	if len(gr.Classes) > 0 {
		pic, err := p.layout(gr)
		if err != nil {
			v.GraphProblem = err.Error()
		} else {
			// The XML declaration has no place inside HTML. Package svg
			// escapes the names it writes.
			v.SVG = pic[bytes.Index(pic, []byte("<svg")):]
		}
	}
	// The classes: those with statistics first, most contended first,
	// then the others in the graph's order.
	written := map[string]bool{}
	for _, c := range s.Classes {
		written[c.Name] = c.Written
	}
	counted := map[string]bool{}
	for i := range s.Stats {
		st := &s.Stats[i]
		row := classRow{Name: st.Class, Written: written[st.Class], Stats: st}
		for _, site := range st.Sites {
			fn := site.At.Func
			if i := strings.LastIndexByte(fn, '/'); i >= 0 {
				fn = fn[i+1:]
			}
			row.Sites = append(row.Sites, fmt.Sprintf("%d in %s %s:%d", site.Contentions, fn, site.At.File, site.At.Line))
		}
		v.Classes = append(v.Classes, row)
		counted[st.Class] = true
	}
	for _, c := range s.Classes {
		if !counted[c.Name] {
			v.Classes = append(v.Classes, classRow{Name: c.Name, Written: c.Written})
		}
	}
	var b strings.Builder
	for _, c := range s.Chains {
		for i, l := range c {
			if i > 0 {
				b.WriteString(" -> ")
			}
			fmt.Fprintf(&b, "%s{%s}", l.Class, l.Mode)
		}
		b.WriteString("\n")
	}
	v.Chains = b.String()
	if len(s.Held) > 0 {
		v.Held = reporting.HeldDump(s.Held)
	}
	if r.URL.Path == pagePath || r.URL.Path == pagePath+"/" {
		v.Metrics = metricsPath
	}
	return v
}

// The page is written by hand rather than with html/template: the
// template package's reflection keeps every exported method of a program
// in its binary, megabytes that a debug endpoint must not cost. Every
// string from the program goes through esc, or through query inside a
// URL.

// esc escapes s for HTML text and attribute values.
func esc(s string) string { return html.EscapeString(s) }

// query escapes s as a URL query value.
func query(s string) string { return esc(url.QueryEscape(s)) }

func percent(used, limit int) string {
	if limit <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1f%%", 100*float64(used)/float64(limit))
}

// write writes the page.
func (v *view) write(b *bytes.Buffer) {
	p := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	b.WriteString(pageHead)
	switch {
	case v.Off:
		p("<p class=\"warn\">Validation has been off since start-up (LOCKDEP=off): there is nothing to show.</p>\n")
	case !v.Validating:
		p("<p class=\"warn\">Validation is off now (lockdep.Configure(lockdep.Off), or a bound was reached: see Bounds). What follows is what it recorded until then.</p>\n")
	}
	p("<p>%s\n", esc(v.Summary))
	if v.Statistics {
		p("Lock statistics are on.</p>\n")
	} else {
		p("Lock statistics are off: start the program with <code>LOCKDEP_STAT=1</code>, or call <code>lockdep.Configure(lockdep.Statistics(true))</code>.</p>\n")
	}
	focus := ""
	if v.Focus != "" {
		focus = "&amp;focus=" + query(v.Focus)
	}
	p("<p>Sections: <a href=\"#graph\">graph</a>, <a href=\"#findings\">findings</a>, <a href=\"#classes\">classes</a>, <a href=\"#bounds\">bounds</a>, <a href=\"#chains\">chains</a>, <a href=\"#held\">held locks</a>.\n")
	p("Formats: <a href=\"?format=json\">json</a>, <a href=\"?format=graph%s\">graph file</a>, <a href=\"?format=dot%s\">dot</a>", focus, focus)
	if v.Metrics != "" {
		p(", <a href=\"%s\">metrics</a>", esc(v.Metrics))
	}
	p(".</p>\n\n<h2 id=\"graph\">Graph</h2>\n")
	if v.Focus != "" {
		p("<p>Only what reaches <code>%s</code> or is reached from it. <a href=\"?#graph\">Show all.</a></p>\n", esc(v.Focus))
	}
	switch {
	case v.SVG != nil:
		p("<p class=\"note\">A dependency goes from the class held to the class acquired; dashed: acquired for reading; bold outline: write-locked somewhere; red: on a reported cycle. Hover for where each was first seen.</p>\n")
		b.WriteString("<div class=\"graph\">")
		b.Write(v.SVG) // package svg escapes what it writes
		b.WriteString("</div>\n")
	case v.GraphProblem != "":
		p("<p class=\"warn\">No picture: %s</p>\n", esc(v.GraphProblem))
	default:
		p("<p class=\"note\">No classes yet.</p>\n")
	}
	p("<h2 id=\"findings\">Findings</h2>\n")
	for _, f := range v.Findings {
		p("<h3>%s</h3>\n<pre>%s</pre>\n", esc(f.Title), esc(f.Text))
	}
	if len(v.Findings) == 0 {
		p("<p class=\"note\">None.</p>\n")
	}
	p("<h2 id=\"classes\">Classes</h2>\n")
	if len(v.Classes) > 0 {
		p("<table>\n<tr><th>class</th><th>written</th><th class=\"n\">acquisitions</th><th class=\"n\">contentions</th><th class=\"n\">wait total</th><th class=\"n\">wait max</th><th class=\"n\">hold max</th><th>most contended at</th></tr>\n")
		for _, c := range v.Classes {
			written := ""
			if c.Written {
				written = "yes"
			}
			p("<tr><td><a href=\"?focus=%s#graph\">%s</a></td><td>%s</td>", query(c.Name), esc(c.Name), written)
			if st := c.Stats; st != nil {
				p("<td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td>",
					st.Acquisitions, st.Contentions, esc(reporting.Round(st.WaitTotal)), esc(reporting.Round(st.WaitMax)), esc(reporting.Round(st.HoldMax)))
			} else {
				b.WriteString(strings.Repeat("<td class=\"n\"></td>", 5))
			}
			b.WriteString("<td class=\"sites\">")
			for i, site := range c.Sites {
				if i > 0 {
					b.WriteString("<br>")
				}
				b.WriteString(esc(site))
			}
			b.WriteString("</td></tr>\n")
		}
		p("</table>\n")
	} else {
		p("<p class=\"note\">None.</p>\n")
	}
	p("<h2 id=\"bounds\">Bounds</h2>\n")
	if len(v.Usage) > 0 {
		p("<table>\n<tr><th>bound</th><th class=\"n\">used</th><th class=\"n\">limit</th><th class=\"n\">used</th><th>raised by</th></tr>\n")
		for _, u := range v.Usage {
			p("<tr><td>%s</td><td class=\"n\">%d</td><td class=\"n\">%d</td><td class=\"n\">%s</td><td><code>%s</code></td></tr>\n",
				esc(u.Bound), u.Used, u.Limit, percent(u.Used, u.Limit), esc(u.Setting))
		}
		p("</table>\n")
	} else {
		p("<p class=\"note\">None.</p>\n")
	}
	p("<h2 id=\"chains\">Lock chains</h2>\n")
	if v.Chains != "" {
		p("<p class=\"note\">Each sequence of classes validated: the locks held, oldest first, then the one acquired.</p>\n<pre>%s</pre>\n", esc(v.Chains))
	} else {
		p("<p class=\"note\">None.</p>\n")
	}
	p("<h2 id=\"held\">Held locks</h2>\n")
	if v.Held != "" {
		p("<pre>%s</pre>\n", esc(v.Held))
	} else {
		p("<p class=\"note\">No goroutine holds a lock.</p>\n")
	}
	p("<p class=\"note\">This page shows the program's stacks and file paths: serve it on a loopback or internal address only.</p>\n</body>\n</html>\n")
}

// pageHead is the page up to its first line of content.
const pageHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lockdep</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
h3 { font-size: 1em; margin-bottom: 0.3em; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.2em 0.7em; text-align: left; vertical-align: top; border-bottom: 1px solid #eee; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
td.sites { font-size: 0.9em; overflow-wrap: anywhere; }
.note { color: #555; }
.warn { color: #c00; }
.graph { overflow: auto; max-height: 85vh; border: 1px solid #ddd; }
code { font-size: 0.95em; }
</style>
</head>
<body>
<h1>lockdep</h1>
`
