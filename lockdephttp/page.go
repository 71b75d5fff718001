package lockdephttp

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/golockdep/lockdep/internal/report"
)

// view is what the page template reads.
type view struct {
	*state
	Off          bool
	Summary      string
	Findings     []finding
	Focus        string
	SVG          template.HTML // the picture, inline
	GraphProblem string        // why there is no picture
	Classes      []classRow
	Chains       string
	Held         string
	Metrics      string // where the metrics are, if this is the default mux's page
}

type finding struct {
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
func (p *page) view(r *http.Request, s *state, gr *report.Graph, focus string) *view {
	v := &view{state: s, Off: s.off, Focus: focus}
	v.Summary = fmt.Sprintf("%s, %s, %s, %s.",
		report.Count(len(s.Findings), "finding"), report.Count(len(s.Classes), "class"),
		report.Count(len(s.Dependencies), "dependency"), report.Count(len(s.Chains), "lock chain"))
	for i, f := range s.Findings {
		v.Findings = append(v.Findings, finding{
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
			v.SVG = template.HTML(pic[bytes.Index(pic, []byte("<svg")):])
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
		v.Held = report.HeldDump(s.Held)
	}
	if r.URL.Path == pagePath || r.URL.Path == pagePath+"/" {
		v.Metrics = metricsPath
	}
	return v
}

var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"round": report.Round,
	"percent": func(used, limit int) string {
		if limit <= 0 {
			return ""
		}
		return fmt.Sprintf("%.1f%%", 100*float64(used)/float64(limit))
	},
}).Parse(`<!DOCTYPE html>
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
{{if .Off -}}
<p class="warn">Validation has been off since start-up (LOCKDEP=off): there is nothing to show.</p>
{{- else if not .Validating -}}
<p class="warn">Validation is off now (lockdep.Configure(lockdep.Off), or a bound was reached: see Bounds). What follows is what it recorded until then.</p>
{{- end}}
<p>{{.Summary}}
{{if .Statistics}}Lock statistics are on.{{else}}Lock statistics are off: start the program with <code>LOCKDEP_STAT=1</code>, or call <code>lockdep.Configure(lockdep.Statistics(true))</code>.{{end}}</p>
<p>Sections: <a href="#graph">graph</a>, <a href="#findings">findings</a>, <a href="#classes">classes</a>, <a href="#bounds">bounds</a>, <a href="#chains">chains</a>, <a href="#held">held locks</a>.
Formats: <a href="?format=json">json</a>, <a href="?format=graph{{if .Focus}}&amp;focus={{.Focus}}{{end}}">graph file</a>, <a href="?format=dot{{if .Focus}}&amp;focus={{.Focus}}{{end}}">dot</a>{{if .Metrics}}, <a href="{{.Metrics}}">metrics</a>{{end}}.</p>

<h2 id="graph">Graph</h2>
{{if .Focus}}<p>Only what reaches <code>{{.Focus}}</code> or is reached from it. <a href="?#graph">Show all.</a></p>
{{end -}}
{{if .SVG}}<p class="note">A dependency goes from the class held to the class acquired; dashed: acquired for reading; bold outline: write-locked somewhere; red: on a reported cycle. Hover for where each was first seen.</p>
<div class="graph">{{.SVG}}</div>
{{else if .GraphProblem}}<p class="warn">No picture: {{.GraphProblem}}</p>
{{else}}<p class="note">No classes yet.</p>
{{end}}
<h2 id="findings">Findings</h2>
{{range .Findings}}<h3>{{.Title}}</h3>
<pre>{{.Text}}</pre>
{{else}}<p class="note">None.</p>
{{end}}
<h2 id="classes">Classes</h2>
{{if .Classes}}<table>
<tr><th>class</th><th>written</th><th class="n">acquisitions</th><th class="n">contentions</th><th class="n">wait total</th><th class="n">wait max</th><th class="n">hold max</th><th>most contended at</th></tr>
{{range .Classes}}<tr><td><a href="?focus={{.Name}}#graph">{{.Name}}</a></td><td>{{if .Written}}yes{{end}}</td>
{{- with .Stats}}<td class="n">{{.Acquisitions}}</td><td class="n">{{.Contentions}}</td><td class="n">{{round .WaitTotal}}</td><td class="n">{{round .WaitMax}}</td><td class="n">{{round .HoldMax}}</td>{{else}}<td class="n"></td><td class="n"></td><td class="n"></td><td class="n"></td><td class="n"></td>{{end -}}
<td class="sites">{{range $i, $s := .Sites}}{{if $i}}<br>{{end}}{{$s}}{{end}}</td></tr>
{{end}}</table>
{{else}}<p class="note">None.</p>
{{end}}
<h2 id="bounds">Bounds</h2>
{{if .Usage}}<table>
<tr><th>bound</th><th class="n">used</th><th class="n">limit</th><th class="n">used</th><th>raised by</th></tr>
{{range .Usage}}<tr><td>{{.Bound}}</td><td class="n">{{.Used}}</td><td class="n">{{.Limit}}</td><td class="n">{{percent .Used .Limit}}</td><td><code>{{.Setting}}</code></td></tr>
{{end}}</table>
{{else}}<p class="note">None.</p>
{{end}}
<h2 id="chains">Lock chains</h2>
{{if .Chains}}<p class="note">Each sequence of classes validated: the locks held, oldest first, then the one acquired.</p>
<pre>{{.Chains}}</pre>
{{else}}<p class="note">None.</p>
{{end}}
<h2 id="held">Held locks</h2>
{{if .Held}}<pre>{{.Held}}</pre>
{{else}}<p class="note">No goroutine holds a lock.</p>
{{end}}
<p class="note">This page shows the program's stacks and file paths: serve it on a loopback or internal address only.</p>
</body>
</html>
`))
