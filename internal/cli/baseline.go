package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// A baseline is the file of known findings that -baseline reads and
// -write-baseline writes, so that a team can adopt lockdep on code that
// already has findings and fail CI only on new ones. It lists each
// finding by its key (reporting.Key: its kind and the classes involved, no
// line number or goroutine), sorted:
//
//	{
//		"version": 1,
//		"known": [
//			"circular:example.com/m.Log.mu|example.com/m.Store.mu"
//		]
//	}
//
// The manual (cmd/lockdep/doc.go) documents the format.

// baselineVersion is the version of the baseline file format.
const baselineVersion = 1

// baselineFile is the baseline's JSON form.
type baselineFile struct {
	Version int      `json:"version"`
	Known   []string `json:"known"`
}

// baseline is the set of known findings of a run. A nil *baseline knows
// nothing: every finding is new.
type baseline struct {
	path  string
	write bool // -write-baseline: the run's findings make the file
	known map[string]bool
}

// loadBaseline returns the baseline that o asks for: nil without
// -baseline; with -write-baseline, an empty one that the run's findings
// fill; otherwise the file's, or an error that names the file and says
// what is wrong with it.
func loadBaseline(o *options) (*baseline, error) {
	if o.baseline == "" {
		return nil, nil
	}
	b := &baseline{path: o.baseline, write: o.writeBaseline, known: map[string]bool{}}
	if b.write {
		return b, nil
	}
	data, err := os.ReadFile(o.baseline)
	if err != nil {
		return nil, fmt.Errorf("reading the baseline: %w", err)
	}
	keys, err := parseBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", o.baseline, err)
	}
	for _, k := range keys {
		b.known[k] = true
	}
	return b, nil
}

// parseBaseline returns the keys a baseline file lists.
func parseBaseline(data []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f baselineFile
	if err := dec.Decode(&f); err != nil {
		return nil, jsonError(data, dec, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("line %d: more than one JSON value", lineAt(data, dec.InputOffset()))
	}
	if f.Version != baselineVersion {
		return nil, fmt.Errorf("version %d, want %d (is it a lockdep baseline?)", f.Version, baselineVersion)
	}
	for i, k := range f.Known {
		kind, _, ok := strings.Cut(k, ":")
		var kk report.Kind
		if !ok || kk.UnmarshalText([]byte(kind)) != nil {
			return nil, fmt.Errorf("known[%d] = %q: not the key of a finding (it starts with a kind: %s)", i, k, kindList())
		}
	}
	return f.Known, nil
}

// jsonError says where the JSON of a baseline is wrong.
func jsonError(data []byte, dec *json.Decoder, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("line %d: %v", lineAt(data, syn.Offset), err)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("line %d: a JSON %s, want an object with version and known", lineAt(data, typ.Offset), typ.Value)
	case errors.As(err, &typ):
		return fmt.Errorf("line %d: %s is a JSON %s, want %s", lineAt(data, typ.Offset), typ.Field, typ.Value, typ.Type)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("not a JSON object: the file is empty or cut short")
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	offset := dec.InputOffset()
	if field, ok := strings.CutPrefix(msg, "unknown field "); ok {
		// The decoder has read past it: find the field's name.
		if i := bytes.Index(data, []byte(field)); i >= 0 {
			offset = int64(i)
		}
		msg += " (want version and known)"
	}
	return fmt.Errorf("line %d: %s", lineAt(data, offset), msg)
}

// lineAt returns the line of data that offset falls on.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	return bytes.Count(data[:offset], []byte("\n")) + 1
}

func kindList() string {
	var names []string
	for _, k := range report.Kinds() {
		names = append(names, k.String())
	}
	return strings.Join(names, ", ")
}

// formatBaseline returns the baseline file that lists findings.
func formatBaseline(findings []report.Report) []byte {
	seen := map[string]bool{}
	f := baselineFile{Version: baselineVersion, Known: []string{}}
	for i := range findings {
		if k := reporting.Key(&findings[i]); !seen[k] {
			seen[k] = true
			f.Known = append(f.Known, k)
		}
	}
	sort.Strings(f.Known)
	b, _ := json.MarshalIndent(f, "", "\t")
	return append(b, '\n')
}

// update writes, for -write-baseline, the run's findings to the file;
// they are known from then on.
func (b *baseline) update(findings []report.Report) error {
	if b == nil || !b.write {
		return nil
	}
	if err := writeFile(b.path, formatBaseline(findings)); err != nil {
		return err
	}
	for i := range findings {
		b.known[reporting.Key(&findings[i])] = true
	}
	return nil
}

// has reports whether the baseline lists r.
func (b *baseline) has(r *report.Report) bool { return b != nil && b.known[reporting.Key(r)] }

// newFindings returns how many of findings the baseline does not list.
func (b *baseline) newFindings(findings []report.Report) int {
	n := 0
	for i := range findings {
		if findings[i].Counted() && !b.has(&findings[i]) {
			n++
		}
	}
	return n
}

// marking returns h, to which the findings b lists come marked by mark:
// a copy of each, changed.
func (b *baseline) marking(h reporting.Handler, mark func(*report.Report)) reporting.Handler {
	if b == nil {
		return h
	}
	return &marked{Handler: h, base: b, mark: mark}
}

type marked struct {
	reporting.Handler
	base *baseline
	mark func(*report.Report)
}

func (m *marked) Finding(r *report.Report) error {
	if !m.base.has(r) {
		return m.Handler.Finding(r)
	}
	c := *r
	m.mark(&c)
	return m.Handler.Finding(&c)
}

// markText marks a known finding's headline, in its text form.
func (b *baseline) markText(r *report.Report) {
	if r.Headline == "" {
		r.Headline = r.Kind.Headline()
	}
	r.Headline += " (known: listed in " + b.path + ")"
}

// markJSON marks a known finding in its JSON form: "known": true.
func markJSON(r *report.Report) { r.Known = true }

// summary prints what the baseline made of the run's findings.
func (b *baseline) summary(stderr io.Writer, findings []report.Report) {
	if b == nil {
		return
	}
	if b.write {
		fmt.Fprintf(stderr, "lockdep: wrote %s to %s\n", reporting.Count(len(b.known), "known finding"), b.path)
		return
	}
	seen := map[string]bool{}
	for i := range findings {
		seen[reporting.Key(&findings[i])] = true
	}
	gone := 0
	for k := range b.known {
		if !seen[k] {
			gone++
		}
	}
	n := b.newFindings(findings)
	fmt.Fprintf(stderr, "lockdep: %s, %d known (listed in %s)", reporting.Count(n, "new finding"), len(findings)-n, b.path)
	if gone > 0 {
		fmt.Fprintf(stderr, "; %s did not occur", reporting.Count(gone, "listed finding"))
	}
	fmt.Fprintln(stderr)
}
