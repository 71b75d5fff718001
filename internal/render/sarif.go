// Package render holds the renderers that only the lockdep command
// needs: SARIF, the text of a graph file and the table of lock
// statistics. What a validated process itself prints (a report's text
// and JSON, a graph's DOT) is in the run-time packages report, finding and
// graphfile; keeping these out of them keeps them out of every test
// binary the command builds.
package render

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// SARIF 2.1.0, the subset code-scanning services read: one run, one rule
// per report kind, one result per finding located at the lock's site,
// with the chain's sites as related locations. Locations are relative to
// the repository root, %SRCROOT%. Every result has a location, which the
// schema does not require but GitHub code scanning does (it rejects the
// whole file otherwise): a finding none of whose frames is in the
// repository is located at its first frame's file, by absolute URI
// where that file is found.

type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
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
	ID                   string       `json:"id"`
	Name                 string       `json:"name"`
	ShortDescription     sarifMessage `json:"shortDescription"`
	FullDescription      sarifMessage `json:"fullDescription"`
	Help                 sarifHelp    `json:"help"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifMessage struct {
	Text string `json:"text"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string       `json:"level"`
	Message sarifMessage `json:"message"`
}

type sarifResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	RelatedLocations    []sarifLocation   `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
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
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
}

// ruleHelp is, per kind, what the rule detects and how to fix it; a kind
// without an entry gets its headline.
var ruleHelp = map[report.Kind]struct{ full, help string }{
	report.Circular: {
		"Lock classes are acquired in an order that forms a cycle: each lock of the chain was held while the next was taken, and the last while the first was taken. Goroutines that run those code paths at the same time deadlock, although this run did not.",
		"Take the locks of the chain in one global order everywhere, or release one before taking the next. The report's chain gives, for each dependency, the stack that first created it.",
	},
	report.Recursive: {
		"A goroutine acquires a lock of a class it already holds: the same lock (a certain self-deadlock; sync locks are not reentrant), a second RLock of an RWMutex (it blocks as soon as a writer waits), or another lock of the same class (two goroutines taking two of them in opposite orders deadlock).",
		"Do not take the same lock twice: split the function into a locked and an unlocked variant. If two locks of one class are nested on purpose, always in one order, take the inner one with LockNested (or mark the line //lockdep:nested).",
	},
	report.BadUnlock: {
		"A lock that is not held is unlocked, or an RWMutex is unlocked in the mode it was not locked in. Go ends the program with a fatal error when this happens.",
		"Unlock each lock once, in the mode it was locked in, on every path; prefer defer right after the Lock.",
	},
	report.Assertion: {
		"AssertHeld, AssertRHeld or AssertNotHeld found the lock in another state than the code expects.",
		"Hold the lock (or not) as the assertion says on every path that reaches it.",
	},
	report.BadSubclass: {
		"LockNested or RLockNested was called with a subclass outside the range the validator supports.",
		"Use a subclass from 0 to 7.",
	},
	report.Timeout: {
		"A goroutine waited for a lock longer than the watchdog's timeout: a deadlock, or a lock held for too long.",
		"The report lists the locks each goroutine held: find the one that never releases its lock, or shorten the critical section.",
	},
	report.ExitedHolding: {
		"A goroutine ended while it held a lock, and no goroutine unlocked it after: another goroutine waits for it for good, or the test or the process ended with it still locked. Ending with a lock held is legal only when another goroutine unlocks it (a hand-off).",
		"Unlock the lock on every path out of the function that locks it, with a defer right after the Lock where possible; if the lock is handed to another goroutine, make sure that goroutine unlocks it.",
	},
}

// SARIFRun says how a SARIF log is made: which version of lockdep ran,
// where the files of the findings are in the repository, and whether the
// run completed.
type SARIFRun struct {
	ToolVersion string
	// URI returns the URI, relative to the repository root, of a frame's
	// file; false for a file outside the repository, which is then not
	// a location.
	URI func(file string) (string, bool)
	// Abs returns the absolute path of a frame's file that URI does not
	// place in the repository (a dependency's, in the module cache or
	// elsewhere; the standard library's), if it finds the file: a result
	// without a location in the repository is located there. It may be
	// nil.
	Abs func(file string) (string, bool)
	// Fallback is the URI, relative to the repository root, at which a
	// finding without any frame is located: the module's go.mod. Empty
	// means "go.mod".
	Fallback string
	// Failure, if not empty, says why the run did not complete: the build
	// failed, the tests were interrupted. executionSuccessful is then false.
	Failure string
}

// SARIF returns the handler that writes the findings of a stream to w as
// one SARIF 2.1.0 log, at the end. It calls run then, for how to make the
// log; the end's Failure, if any, says that the run did not complete.
func SARIF(w io.Writer, run func() SARIFRun) reporting.Handler {
	h := &sarifHandler{}
	h.Handler = reporting.AtEnd(w, func(e *reporting.End) []byte {
		r := run()
		if e.Failure != "" {
			r.Failure = e.Failure
		}
		return renderSARIF(h.findings, r)
	})
	return h
}

// sarifHandler keeps the findings for the log it writes at the end.
type sarifHandler struct {
	reporting.Handler
	findings []report.Report
}

func (h *sarifHandler) Finding(r *report.Report) error {
	h.findings = append(h.findings, *r)
	return nil
}

// renderSARIF renders findings as a SARIF 2.1.0 log of one run.
func renderSARIF(findings []report.Report, run SARIFRun) []byte {
	r := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "lockdep",
			Version:        run.ToolVersion,
			InformationURI: "https://pkg.go.dev/github.com/golockdep/lockdep",
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: run.Failure == ""}},
		Results:     []sarifResult{},
	}
	if run.Failure != "" {
		r.Invocations[0].Notifications = []sarifNotification{{Level: "error", Message: sarifMessage{Text: run.Failure}}}
	}
	ruleIndex := map[report.Kind]int{}
	for i, k := range report.Kinds() {
		ruleIndex[k] = i
		h, ok := ruleHelp[k]
		if !ok {
			h.full, h.help = k.Headline(), k.Headline()
		}
		rule := sarifRule{
			ID:               k.String(),
			Name:             ruleName(k),
			ShortDescription: sarifMessage{Text: k.Headline()},
			FullDescription:  sarifMessage{Text: h.full},
			Help:             sarifHelp{Text: h.help, Markdown: h.help},
		}
		rule.DefaultConfiguration.Level = "error"
		r.Tool.Driver.Rules = append(r.Tool.Driver.Rules, rule)
	}
	uri := run.URI
	if uri == nil {
		uri = func(file string) (string, bool) { return file, file != "" }
	}
	loc := func(id int, f *report.Frame, msg string) (sarifLocation, bool) {
		u, ok := uri(f.File)
		if !ok {
			return sarifLocation{}, false
		}
		line := f.Line
		if line < 1 {
			line = 1 // unknown; SARIF lines start at 1
		}
		l := sarifLocation{ID: id, PhysicalLocation: sarifPhysical{
			ArtifactLocation: sarifArtifact{URI: u, URIBaseID: "%SRCROOT%"},
			Region:           sarifRegion{StartLine: line},
		}}
		if msg != "" {
			l.Message = &sarifMessage{Text: msg}
		}
		return l, true
	}
	for _, f := range findings {
		key := sha256.Sum256([]byte(reporting.Key(&f)))
		res := sarifResult{
			RuleID: f.Kind.String(), RuleIndex: ruleIndex[f.Kind], Level: sarifLevel(&f),
			Locations:           []sarifLocation{},
			PartialFingerprints: map[string]string{"lockdepKey/v1": hex.EncodeToString(key[:16])},
		}
		msg := f.Headline + ": " + f.Lock.Class
		switch {
		case f.Kind == report.Circular && len(f.Chain) > 0:
			var cs []string
			for i := len(f.Chain) - 1; i >= 0; i-- {
				cs = append(cs, f.Chain[i].Class)
			}
			msg = fmt.Sprintf("%s: %s --> %s", f.Headline, strings.Join(cs, " --> "), cs[0])
		case f.Holding != nil:
			msg += " while holding " + f.Holding.Class
		}
		res.Message = sarifMessage{Text: msg}
		// The lock's site, else the first frame of the stack in the
		// repository.
		var candidates []report.Frame
		if f.Lock.At != nil {
			candidates = append(candidates, *f.Lock.At)
		}
		candidates = append(candidates, f.Stack...)
		for i := range candidates {
			if l, ok := loc(0, &candidates[i], ""); ok {
				res.Locations = append(res.Locations, l)
				break
			}
		}
		if len(res.Locations) == 0 {
			res.Locations = append(res.Locations, run.outside(&f))
		}
		for i, d := range f.Chain {
			for j := range d.Stack {
				if l, ok := loc(i+1, &d.Stack[j], fmt.Sprintf("%s acquired while holding %s", d.Class, d.After)); ok {
					res.RelatedLocations = append(res.RelatedLocations, l)
					break
				}
			}
		}
		if e := f.Exit; e != nil {
			related := func(fr *report.Frame, msg string) {
				if fr == nil {
					return
				}
				if l, ok := loc(len(res.RelatedLocations)+1, fr, msg); ok {
					res.RelatedLocations = append(res.RelatedLocations, l)
				}
			}
			related(e.Started, "the goroutine that held the lock was started here")
			related(e.Ended, "the goroutine that held the lock ended here")
			for i := range f.Waiters {
				if w := f.Waiters[i].Waiting; w != nil {
					related(w.At, fmt.Sprintf("goroutine %d waits for %s here", f.Waiters[i].ID, w.Class))
				}
			}
		}
		r.Results = append(r.Results, res)
	}
	b, _ := json.MarshalIndent(sarifLog{
		Version: "2.1.0",
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Runs:    []sarifRun{r},
	}, "", "\t")
	return append(b, '\n')
}

// outside locates a finding none of whose frames is in the repository:
// at its first frame's file, by absolute URI if Abs finds the file (or
// the path is absolute), else relative to %SRCROOT% as the frame names
// it (relative to the root of the module that recorded it); a finding
// without frames at Fallback.
func (run SARIFRun) outside(f *report.Report) sarifLocation {
	var first *report.Frame
	switch {
	case f.Lock.At != nil:
		first = f.Lock.At
	case len(f.Stack) > 0:
		first = &f.Stack[0]
	default:
		for _, d := range f.Chain {
			if len(d.Stack) > 0 {
				first = &d.Stack[0]
				break
			}
		}
	}
	if first == nil && f.Holding != nil {
		first = f.Holding.At
	}
	if first == nil || first.File == "" {
		uri := run.Fallback
		if uri == "" {
			uri = "go.mod"
		}
		return sarifLocation{
			PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri, URIBaseID: "%SRCROOT%"}, Region: sarifRegion{StartLine: 1}},
			Message:          &sarifMessage{Text: "The finding has no source location."},
		}
	}
	line := first.Line
	if line < 1 {
		line = 1 // unknown; SARIF lines start at 1
	}
	art := sarifArtifact{URI: filepath.ToSlash(first.File), URIBaseID: "%SRCROOT%"}
	abs, ok := "", false
	if run.Abs != nil {
		abs, ok = run.Abs(first.File)
	}
	if !ok && filepath.IsAbs(first.File) {
		abs, ok = first.File, true
	}
	if ok {
		art = sarifArtifact{URI: fileURI(abs)}
	}
	return sarifLocation{
		PhysicalLocation: sarifPhysical{ArtifactLocation: art, Region: sarifRegion{StartLine: line}},
		Message:          &sarifMessage{Text: "No frame of this finding is in the repository: this is the first."},
	}
}

// fileURI returns the file URI of an absolute path.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/...
	}
	return (&url.URL{Scheme: "file", Path: p}).String()
}

// ruleName is a kind's name in SARIF's style: CircularLocking...
func ruleName(k report.Kind) string {
	var b strings.Builder
	for _, w := range strings.Fields(k.Headline()) {
		if w == "detected" {
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// sarifLevel is a finding's level: a cycle shown only because it is
// guarded is a note; a cycle or a recursion that the run did not take on
// the very same locks (Proven) is a warning; the rest, errors.
func sarifLevel(f *report.Report) string {
	switch {
	case !f.Counted():
		return "note"
	case (f.Kind == report.Circular || f.Kind == report.Recursive) && !f.Proven:
		return "warning"
	}
	return "error"
}
