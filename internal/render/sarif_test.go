package render

import (
	"encoding/json"
	"testing"

	"github.com/golockdep/lockdep/report"
)

// TestSARIFOutside: a finding none of whose frames is in the repository
// still has a location, as GitHub code scanning requires: its first
// frame's file, by absolute URI where that file is found.
func TestSARIFOutside(t *testing.T) {
	never := func(string) (string, bool) { return "", false }
	dep := report.Frame{Func: "example.com/dep.ab", File: "example.com/dep@v1.0.0/dep.go", Line: 7}
	for _, tc := range []struct {
		name string
		r    report.Report
		run  SARIFRun
		uri  string
		base string
		line int
	}{
		{
			name: "module-cache",
			r:    report.Report{Kind: report.Circular, Lock: report.LockRef{Class: "example.com/dep.b", At: &dep}},
			run: SARIFRun{URI: never, Abs: func(f string) (string, bool) {
				return "/home/u/go/pkg/mod/" + f, f == dep.File
			}},
			uri: "file:///home/u/go/pkg/mod/example.com/dep@v1.0.0/dep.go", line: 7,
		},
		{
			name: "absolute",
			r:    report.Report{Kind: report.Recursive, Stack: []report.Frame{{Func: "f", File: "/src/dep/dep.go", Line: 3}}},
			run:  SARIFRun{URI: never},
			uri:  "file:///src/dep/dep.go", line: 3,
		},
		{
			name: "not-found",
			r:    report.Report{Kind: report.Circular, Chain: []report.Dependency{{Class: "a", Stack: []report.Frame{{Func: "f", File: "store/store.go", Line: 42}}}}},
			run:  SARIFRun{URI: never, Abs: never},
			uri:  "store/store.go", base: "%SRCROOT%", line: 42,
		},
		{
			name: "no-frame",
			r:    report.Report{Kind: report.BadUnlock},
			run:  SARIFRun{URI: never, Fallback: "svc/go.mod"},
			uri:  "svc/go.mod", base: "%SRCROOT%", line: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l struct {
				Runs []struct {
					Results []struct {
						Locations []struct {
							PhysicalLocation struct {
								ArtifactLocation struct{ URI, URIBaseID string }
								Region           struct{ StartLine int }
							}
						}
					}
				}
			}
			if err := json.Unmarshal(renderSARIF([]report.Report{tc.r}, tc.run), &l); err != nil {
				t.Fatal(err)
			}
			locs := l.Runs[0].Results[0].Locations
			if len(locs) != 1 {
				t.Fatalf("%d locations, want 1", len(locs))
			}
			p := locs[0].PhysicalLocation
			if p.ArtifactLocation.URI != tc.uri || p.ArtifactLocation.URIBaseID != tc.base || p.Region.StartLine != tc.line {
				t.Errorf("location %+v, want %s (base %q) line %d", p, tc.uri, tc.base, tc.line)
			}
		})
	}
}
