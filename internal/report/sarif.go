package report

import (
	"encoding/json"
	"fmt"
	"strings"
)

// SARIF 2.1.0, the subset code-scanning services read: one run, one rule
// per report kind, one result per finding located at the lock's site,
// with the chain's sites as related locations.

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID               string       `json:"id"`
	ShortDescription sarifMessage `json:"shortDescription"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID           string          `json:"ruleId"`
	Level            string          `json:"level"`
	Message          sarifMessage    `json:"message"`
	Locations        []sarifLocation `json:"locations"`
	RelatedLocations []sarifLocation `json:"relatedLocations,omitempty"`
}

type sarifLocation struct {
	ID               int           `json:"id,omitempty"`
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifMessage `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

func sarifLoc(id int, f *Frame, msg string) sarifLocation {
	l := sarifLocation{ID: id, PhysicalLocation: sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: f.File},
		Region:           sarifRegion{StartLine: f.Line},
	}}
	if msg != "" {
		l.Message = &sarifMessage{Text: msg}
	}
	return l
}

// SARIF renders findings as a SARIF 2.1.0 log of one run by the named
// tool version.
func SARIF(findings []Report, toolVersion string) []byte {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "lockdep",
			Version:        toolVersion,
			InformationURI: "https://pkg.go.dev/github.com/golockdep/lockdep",
		}},
		Results: []sarifResult{},
	}
	for _, k := range Kinds() {
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: k.String(), ShortDescription: sarifMessage{Text: k.Headline()}})
	}
	for _, r := range findings {
		res := sarifResult{RuleID: r.Kind.String(), Level: "error", Locations: []sarifLocation{}}
		msg := r.Headline + ": " + r.Lock.Class
		switch {
		case r.Kind == Circular:
			var cs []string
			for i := len(r.Chain) - 1; i >= 0; i-- {
				cs = append(cs, r.Chain[i].Class)
			}
			msg = fmt.Sprintf("%s: %s --> %s", r.Headline, strings.Join(cs, " --> "), cs[0])
		case r.Holding != nil:
			msg += " while holding " + r.Holding.Class
		}
		res.Message = sarifMessage{Text: msg}
		if at := r.Lock.At; at != nil {
			res.Locations = append(res.Locations, sarifLoc(0, at, ""))
		}
		for i, d := range r.Chain {
			if len(d.Stack) > 0 {
				res.RelatedLocations = append(res.RelatedLocations,
					sarifLoc(i+1, &d.Stack[0], fmt.Sprintf("%s acquired while holding %s", d.Class, d.After)))
			}
		}
		run.Results = append(run.Results, res)
	}
	b, _ := json.MarshalIndent(sarifLog{
		Version: "2.1.0",
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Runs:    []sarifRun{run},
	}, "", "\t")
	return append(b, '\n')
}
