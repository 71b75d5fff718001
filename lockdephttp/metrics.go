package lockdephttp

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/report"
)

// MetricsHandler returns the handler of the metrics: the lock statistics
// per class, the findings per kind and the use of each bound, in the
// Prometheus text exposition format 0.0.4 (see the package
// documentation). It is safe for concurrent use.
func MetricsHandler() http.Handler { return http.HandlerFunc(serveMetrics) }

func serveMetrics(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	writeMetrics(&b)
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Write(b.Bytes())
}

// A sample is one series of a metric family: a label value, or none.
type sample struct {
	label string
	value float64
}

// perClass are the families of the lock statistics, one series a class.
var perClass = []struct {
	name, typ, help string
	value           func(report.ClassStats) float64
}{
	{"lockdep_acquisitions_total", "counter", "Acquisitions of locks of the class while lock statistics were kept.",
		func(s report.ClassStats) float64 { return float64(s.Acquisitions) }},
	{"lockdep_contentions_total", "counter", "Acquisitions that found the lock taken and waited for it.",
		func(s report.ClassStats) float64 { return float64(s.Contentions) }},
	{"lockdep_wait_seconds_total", "counter", "Time spent waiting for locks of the class.",
		func(s report.ClassStats) float64 { return s.WaitTotal.Seconds() }},
	{"lockdep_wait_seconds_max", "gauge", "Longest wait for a lock of the class.",
		func(s report.ClassStats) float64 { return s.WaitMax.Seconds() }},
	{"lockdep_hold_seconds_max", "gauge", "Longest hold of a lock of the class.",
		func(s report.ClassStats) float64 { return s.HoldMax.Seconds() }},
}

// writeMetrics writes the validator's metrics to b.
func writeMetrics(b *bytes.Buffer) {
	v := validate.Current()
	var (
		stats    []report.ClassStats
		findings []report.Report
		usage    []reporting.BoundUsage
		on, stat float64
	)
	if v != nil {
		stats, findings, usage = v.Stats(), v.Findings(), v.Usage()
		if validate.Active() == v {
			on = 1
			if v.StatsOn() {
				stat = 1
			}
		}
	}
	for _, f := range perClass {
		ss := make([]sample, len(stats))
		for i, s := range stats {
			ss[i] = sample{s.Class, f.value(s)}
		}
		family(b, f.name, f.typ, f.help, "class", ss)
	}
	count := map[report.Kind]int{}
	for _, f := range findings {
		count[f.Kind]++
	}
	var ss []sample
	for _, k := range report.Kinds() {
		ss = append(ss, sample{k.String(), float64(count[k])})
	}
	family(b, "lockdep_findings", "gauge", "Findings reported so far, each problem once, by kind.", "kind", ss)
	used, limit := make([]sample, len(usage)), make([]sample, len(usage))
	for i, u := range usage {
		used[i], limit[i] = sample{u.Bound, float64(u.Used)}, sample{u.Bound, float64(u.Limit)}
	}
	family(b, "lockdep_bound_used", "gauge", "How much of the bound is used; at the limit, validation stops.", "bound", used)
	family(b, "lockdep_bound_limit", "gauge", "The bound's limit (LOCKDEP_MAX_* raise them).", "bound", limit)
	family(b, "lockdep_validating", "gauge", "1 while lock validation is on.", "", []sample{{"", on}})
	family(b, "lockdep_statistics_enabled", "gauge", "1 while lock statistics are kept (LOCKDEP_STAT=1).", "", []sample{{"", stat}})
}

// family writes a metric family: its HELP and TYPE lines (help is one of
// the texts above, which need no escape), then a line per sample,
// labelled with label="value" unless label is empty.
func family(b *bytes.Buffer, name, typ, help, label string, ss []sample) {
	b.WriteString("# HELP " + name + " " + help + "\n")
	b.WriteString("# TYPE " + name + " " + typ + "\n")
	for _, s := range ss {
		b.WriteString(name)
		if label != "" {
			b.WriteString("{" + label + `="` + labelEscaper.Replace(s.label) + `"}`)
		}
		b.WriteString(" " + strconv.FormatFloat(s.value, 'g', -1, 64) + "\n")
	}
}

// labelEscaper escapes a label value as the text format wants: backslash,
// double quote and line feed.
var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
