package lockdephttp_test

import (
	"strings"
	"testing"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/validate"
	"github.com/golockdep/lockdep/lockdephttp"
	"github.com/golockdep/lockdep/report"
	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape gets the metrics and parses them with Prometheus's own parser of
// the text format, into family name -> label value -> value.
func scrape(t *testing.T) map[string]map[string]float64 {
	t.Helper()
	res, body := get(t, lockdephttp.MetricsHandler(), "/debug/lockdep/metrics")
	if ct := res.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the metrics do not parse: %v\n%s", err, body)
	}
	out := map[string]map[string]float64{}
	for name, mf := range mfs {
		if mf.GetHelp() == "" {
			t.Errorf("%s has no HELP", name)
		}
		out[name] = map[string]float64{}
		for _, m := range mf.GetMetric() {
			label := ""
			if len(m.GetLabel()) == 1 {
				label = m.GetLabel()[0].GetValue()
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[name][label] = m.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[name][label] = m.GetGauge().GetValue()
			default:
				t.Errorf("%s is a %v", name, mf.GetType())
			}
		}
	}
	return out
}

// TestMetrics: the metrics parse, and say what lockdep.Stats, Findings and
// the bounds' usage say, for a workload with known contention and a class
// name that needs escaping.
func TestMetrics(t *testing.T) {
	defer lockdephttp.Fresh(true)()
	shop(t)
	const odd = "example.com/odd.\"quoted\" \\ class\nname"
	nest(classed(odd), classed("example.com/odd.other"))
	got := scrape(t)

	want := map[string]map[string]float64{
		"lockdep_acquisitions_total": {}, "lockdep_contentions_total": {}, "lockdep_wait_seconds_total": {},
		"lockdep_wait_seconds_max": {}, "lockdep_hold_seconds_max": {},
		"lockdep_findings":           {"circular": 1, "recursive": 1, "bad_unlock": 0, "assertion": 0, "bad_subclass": 0, "timeout": 0, "exited_holding": 0},
		"lockdep_bound_used":         {},
		"lockdep_bound_limit":        {},
		"lockdep_validating":         {"": 1},
		"lockdep_statistics_enabled": {"": 1},
	}
	stats := lockdep.Stats()
	for _, s := range stats {
		want["lockdep_acquisitions_total"][s.Class] = float64(s.Acquisitions)
		want["lockdep_contentions_total"][s.Class] = float64(s.Contentions)
		want["lockdep_wait_seconds_total"][s.Class] = s.WaitTotal.Seconds()
		want["lockdep_wait_seconds_max"][s.Class] = s.WaitMax.Seconds()
		want["lockdep_hold_seconds_max"][s.Class] = s.HoldMax.Seconds()
	}
	for _, u := range validate.Current().Usage() {
		want["lockdep_bound_used"][u.Bound] = float64(u.Used)
		want["lockdep_bound_limit"][u.Bound] = float64(u.Limit)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	// What the workload made, exactly: cacheMu is taken by two nests, by
	// the test while workers queue, and by each worker.
	const acquired = 2 + 1 + contended
	if got["lockdep_contentions_total"][cacheMu] != contended || got["lockdep_acquisitions_total"][cacheMu] != acquired {
		t.Errorf("%s: %v acquisitions, %v contentions; want %d, %d", cacheMu, got["lockdep_acquisitions_total"][cacheMu], got["lockdep_contentions_total"][cacheMu], acquired, contended)
	}
	if got["lockdep_wait_seconds_total"][cacheMu] <= 0 || got["lockdep_acquisitions_total"][odd] != 1 || len(stats) != 7 {
		t.Errorf("%d classes with statistics; %s waited %vs; %q acquired %v times", len(stats), cacheMu, got["lockdep_wait_seconds_total"][cacheMu], odd, got["lockdep_acquisitions_total"][odd])
	}
}

// TestMetricsOff: with validation off since start-up, the metrics still
// parse, with no class and every count zero.
func TestMetricsOff(t *testing.T) {
	defer lockdephttp.Off()()
	got := scrape(t)
	for name, series := range got {
		for label, v := range series {
			if v != 0 {
				t.Errorf("%s{%q} = %v", name, label, v)
			}
		}
	}
	if len(got["lockdep_findings"]) != len(report.Kinds()) || len(got["lockdep_acquisitions_total"]) != 0 {
		t.Errorf("metrics: %v", got)
	}
}
