package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/render"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
	"github.com/google/go-cmp/cmp"
)

// TestFormatNames: the formats of findings and of graphs, as the usage
// errors of test, run, merge and graph list them, and -o's extension.
func TestFormatNames(t *testing.T) {
	if got, want := formatNames(false), "text, json or sarif"; got != want {
		t.Errorf("formats of findings %q, want %q", got, want)
	}
	if got, want := formatNames(true), "text, dot, svg or json"; got != want {
		t.Errorf("formats of graphs %q, want %q", got, want)
	}
	for _, tc := range []struct{ format, out, want string }{
		{"", "", "text"},
		{"", "g.SVG", "svg"},
		{"", "g.gv", "dot"},
		{"", "g.json", "json"},
		{"", "g.png", "text"},
		{"dot", "g.json", "dot"},
	} {
		if f, ok := graphFormat(tc.format, tc.out); !ok || f.name != tc.want {
			t.Errorf("graphFormat(%q, %q) = %q, %v; want %q", tc.format, tc.out, f.name, ok, tc.want)
		}
	}
	if _, ok := graphFormat("sarif", ""); ok {
		t.Error("sarif is a format of graphs")
	}
}

// TestOutputs: the outputs of a run are handlers of one stream. Each
// finding reaches the -format handler as it comes, known ones marked
// (text: in the headline; JSON: "known": true), and the SARIF file
// unmarked; at the end, the SARIF log says why the run did not complete,
// and the graph file holds the graph.
func TestOutputs(t *testing.T) {
	dir := t.TempDir()
	found := []report.Report{
		{Version: report.Version, Kind: report.Circular, Headline: report.Circular.Headline(), Lock: report.LockRef{Class: "m.B", Mode: "W"},
			Chain: []report.Dependency{{Class: "m.A", Mode: "W", After: "m.B"}, {Class: "m.B", Mode: "W", After: "m.A"}}},
		{Version: report.Version, Kind: report.Recursive, Headline: report.Recursive.Headline(), Lock: report.LockRef{Class: "m.N", Mode: "W"}, SameInstance: true},
	}
	base := &baseline{path: "lockdep.baseline", known: map[string]bool{reporting.Key(&found[1]): true}}
	files := outputFiles{sarif: "out.sarif", sarifFlag: "-sarif", graph: "out.json", graphFlag: "-graph"}
	c := &outputConfig{base: base, sarifRun: func() render.SARIFRun { return render.SARIFRun{ToolVersion: "test"} }}

	for _, format := range []string{"text", "json", "sarif"} {
		t.Run(format, func(t *testing.T) {
			var stdout bytes.Buffer
			out, err := openOutputs(format, &stdout, dir, files, c)
			if err != nil {
				t.Fatal(err)
			}
			for i := range found {
				if err := out.Finding(&found[i]); err != nil {
					t.Fatal(err)
				}
			}
			gr := graphfile.Empty()
			gr.Classes = []graphfile.Class{{Name: "m.A"}, {Name: "m.B"}}
			gr.Findings = found
			if err := out.end(&reporting.End{Graph: &gr, Failure: "lockdep test: build failed"}); err != nil {
				t.Fatal(err)
			}
			switch format {
			case "text":
				if got := strings.Count(stdout.String(), "WARNING: "); got != 2 {
					t.Errorf("%d reports, want 2:\n%s", got, stdout.String())
				}
				if !strings.Contains(stdout.String(), "WARNING: possible recursive locking detected (known: listed in lockdep.baseline)\n") {
					t.Errorf("the known finding is not marked:\n%s", stdout.String())
				}
			case "json":
				var known []bool
				for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
					var r report.Report
					if err := json.Unmarshal([]byte(line), &r); err != nil {
						t.Fatal(err)
					}
					known = append(known, r.Known)
				}
				if diff := cmp.Diff([]bool{false, true}, known); diff != "" {
					t.Errorf("known (-want +got):\n%s", diff)
				}
			case "sarif":
				if !bytes.Equal(stdout.Bytes(), readFile(t, filepath.Join(dir, "out.sarif"))) {
					t.Errorf("the SARIF log on stdout is not the -sarif file's")
				}
			}
			sarif := string(readFile(t, filepath.Join(dir, "out.sarif")))
			for _, want := range []string{`"executionSuccessful": false`, "lockdep test: build failed", `"ruleId": "circular"`, `"ruleId": "recursive"`} {
				if !strings.Contains(sarif, want) {
					t.Errorf("the SARIF file lacks %s:\n%s", want, sarif)
				}
			}
			if strings.Contains(sarif, "known") {
				t.Errorf("the SARIF file marks known findings:\n%s", sarif)
			}
			back, err := graphfile.ReadFile(filepath.Join(dir, "out.json"))
			if err != nil {
				t.Fatal(err)
			}
			if len(back.Classes) != 2 || len(back.Findings) != 2 || back.Findings[1].Known {
				t.Errorf("the graph file: %d classes, %d findings, the second known %v; want 2, 2, unmarked", len(back.Classes), len(back.Findings), back.Findings[1].Known)
			}
		})
	}

	if _, err := openOutputs("text", new(bytes.Buffer), dir, outputFiles{graph: "none/g.json", graphFlag: "-o"}, c); err == nil || !strings.HasPrefix(err.Error(), "-o: cannot write the output file: ") {
		t.Errorf("an output file that cannot be created: %v", err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
