package lockdep_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/golockdep/lockdep"
	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/merge"
	"github.com/golockdep/lockdep/report"
	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaPath is the JSON Schema of the finding record.
const schemaPath = "docs/report.schema.json"

// TestReportSchema: the finding records lockdep writes are valid under
// docs/report.schema.json, the documented contract: those of the golden
// scenarios, those of the graph files the merge tests read and write (a
// cycle across jobs, with what the records lacked), and, made here,
// a bad subclass, a lock wait timeout, a deadlock in progress and a
// finding a baseline lists.
func TestReportSchema(t *testing.T) {
	schema := compileSchema(t)
	var records []string // "source: JSON"
	add := func(source string, r *report.Report) {
		records = append(records, source+": "+string(r.JSON()))
	}

	goldens, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no golden reports: %v", err)
	}
	for _, path := range goldens {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				records = append(records, path+": "+string(line))
			}
		}
		f.Close()
	}

	jobs, err := filepath.Glob(filepath.Join("internal", "merge", "testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := merge.New()
	for _, path := range jobs {
		gr, err := graphfile.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range gr.Findings {
			add(path, &gr.Findings[i])
		}
		if err := m.AddGraph(gr, strings.TrimSuffix(filepath.Base(path), ".json")); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range m.Findings() {
		add("merge of "+strings.Join(jobs, " "), &r)
	}

	for _, r := range liveFindings(t) {
		add("live "+r.Kind.String(), &r)
		r.Known = true
		add("known "+r.Kind.String(), &r)
	}

	kinds := map[string]bool{}
	for _, rec := range records {
		source, line, _ := strings.Cut(rec, ": ")
		v, err := jsonschema.UnmarshalJSON(strings.NewReader(line))
		if err != nil {
			t.Fatalf("%s: %v", source, err)
		}
		if err := schema.Validate(v); err != nil {
			t.Errorf("%s: a finding record not valid under %s:\n%s\n%v", source, schemaPath, line, err)
		}
		var r report.Report
		if json.Unmarshal([]byte(line), &r) == nil {
			kinds[r.Kind.String()] = true
		}
	}
	for _, k := range report.Kinds() {
		if !kinds[k.String()] {
			t.Errorf("no finding of kind %s was checked against the schema", k)
		}
	}
}

// liveFindings makes the findings the golden scenarios lack: a bad
// subclass, a lock wait timeout and a deadlock in progress.
func liveFindings(t *testing.T) []lockdep.Report {
	var out []lockdep.Report
	func() {
		defer lockdep.Fresh(lockdep.DefaultLimits)()
		m := classed("schema.nested")
		m.LockNested(lockdep.MaxSubclasses + 1)
		m.Unlock()
		out = append(out, lockdep.Findings()...)
	}()

	func() {
		reported := make(chan lockdep.Report, 4)
		defer lockdep.Fresh(lockdep.DefaultLimits, lockdep.WaitTimeout(20*time.Millisecond),
			lockdep.OnReport(func(r lockdep.Report) { reported <- r }))()
		held := classed("schema.held")
		held.Lock()
		done := make(chan struct{})
		go func() {
			defer close(done)
			held.Lock() // waits for the test to let go
			held.Unlock()
		}()
		select {
		case r := <-reported:
			out = append(out, r)
		case <-time.After(10 * time.Second):
			t.Error("no lock wait timeout reported")
		}
		held.Unlock()
		<-done
	}()

	func() {
		defer lockdep.FreshSettle(lockdep.DefaultLimits, time.Hour)()
		_, release := stuckStore(t)
		defer release()
		lockdep.ProcessEnds()
		out = append(out, lockdep.Findings()...)
	}()
	return out
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaPath, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatalf("%s: %v", schemaPath, err)
	}
	return s
}

// TestReportSchemaCoversModel: the schema describes every field of the
// finding model, and nothing else: report.Report's JSON fields are the
// schema's properties, and each struct type it is made of has a
// definition in $defs, by its Go name, with its fields. A field added to
// the model fails here until the schema, docs/formats.md and package
// report's documentation describe it.
func TestReportSchemaCoversModel(t *testing.T) {
	b, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	type object struct {
		Properties map[string]json.RawMessage
	}
	var schema struct {
		object
		Defs map[string]object `json:"$defs"`
	}
	if err := json.Unmarshal(b, &schema); err != nil {
		t.Fatal(err)
	}
	seen := map[reflect.Type]bool{}
	var check func(reflect.Type)
	check = func(typ reflect.Type) {
		if seen[typ] {
			return
		}
		seen[typ] = true
		props := schema.Properties
		if typ != reflect.TypeFor[report.Report]() {
			def, ok := schema.Defs[typ.Name()]
			if !ok {
				t.Errorf("report.%s has no definition in the $defs of %s", typ.Name(), schemaPath)
				return
			}
			props = def.Properties
		}
		var fields, inSchema []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			fields = append(fields, name)
			for ft := f.Type; ; ft = ft.Elem() {
				if k := ft.Kind(); k != reflect.Pointer && k != reflect.Slice {
					if k == reflect.Struct && ft.PkgPath() == typ.PkgPath() {
						check(ft)
					}
					break
				}
			}
		}
		for p := range props {
			inSchema = append(inSchema, p)
		}
		sort.Strings(fields)
		sort.Strings(inSchema)
		if diff := cmp.Diff(fields, inSchema); diff != "" {
			t.Errorf("the JSON fields of report.%s (-) against the properties %s gives it (+):\n%s\n"+
				"describe a new field in %s, docs/formats.md and package report's documentation",
				typ.Name(), schemaPath, diff, schemaPath)
		}
	}
	check(reflect.TypeFor[report.Report]())
	for _, typ := range []reflect.Type{reflect.TypeFor[report.LockRef](), reflect.TypeFor[report.Goroutine](), reflect.TypeFor[report.ReleaseSite]()} {
		if !seen[typ] {
			t.Errorf("the check did not reach report.%s", typ.Name())
		}
	}
}
