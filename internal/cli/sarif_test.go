package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/tools/txtar"
)

// The SARIF 2.1.0 schema (OASIS, errata 01) is read from a Go module that
// ships it, through the module proxy, rather than copied here.
const (
	schemaModule = "github.com/securego/gosec/v2@v2.30.0"
	schemaFile   = "report/sarif/testdata/sarif-schema-2.1.0.json"
)

// sarifSchema compiles the SARIF 2.1.0 JSON schema.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := exec.Command("go", "mod", "download", "-json", schemaModule)
	c.Dir = t.TempDir()
	c.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := c.Output()
	var d struct{ Dir, Error string }
	if json.Unmarshal(out, &d); err != nil || d.Dir == "" {
		t.Fatalf("go mod download %s: %v %s", schemaModule, err, d.Error)
	}
	f, err := os.Open(filepath.Join(d.Dir, filepath.FromSlash(schemaFile)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	if err := comp.AddResource("sarif.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := comp.Compile("sarif.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// sarifLog is what the tests read of a SARIF log.
type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID              string
					FullDescription struct{ Text string }
					Help            struct{ Text string }
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ToolExecutionNotifications []struct{ Message struct{ Text string } }
		}
		Results []struct {
			RuleID    string
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI, URIBaseID string }
					Region           struct{ StartLine int }
				}
			}
			RelatedLocations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI, URIBaseID string }
				}
			}
		}
	}
}

// validSARIF validates data against the schema and decodes it.
func validSARIF(t *testing.T, schema *jsonschema.Schema, data []byte) sarifLog {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("SARIF is not JSON: %v\n%s", err, data)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v\n%s", err, data)
	}
	var l sarifLog
	if err := json.Unmarshal(data, &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Runs) != 1 || len(l.Runs[0].Invocations) != 1 {
		t.Fatalf("SARIF: want one run with one invocation:\n%s", data)
	}
	for _, r := range l.Runs[0].Tool.Driver.Rules {
		if r.FullDescription.Text == "" || r.Help.Text == "" {
			t.Errorf("rule %s lacks fullDescription or help", r.ID)
		}
	}
	// GitHub code scanning rejects a whole file in which one result has
	// no location, which the schema allows.
	for i, r := range l.Runs[0].Results {
		if len(r.Locations) == 0 {
			t.Errorf("result %d (%s) has no location:\n%s", i, r.RuleID, data)
		}
		for _, loc := range r.Locations {
			if loc.PhysicalLocation.ArtifactLocation.URI == "" || loc.PhysicalLocation.Region.StartLine < 1 {
				t.Errorf("result %d (%s): location %+v without a file or a line", i, r.RuleID, loc)
			}
		}
	}
	return l
}

// TestSARIF checks the SARIF logs of lockdep test and lockdep merge
// against the SARIF 2.1.0 schema, and that every result has a location:
// findings of a module in a subdirectory of its repository, run with -C
// (URIs relative to the repository root, %SRCROOT%); a build that fails
// (the file is still written, executionSuccessful false); -format=sarif
// on stdout; a merge outside any repository, and one that fails; a cycle
// entirely inside a dependency outside the repository. An output path
// that cannot be written fails before anything is built.
func TestSARIF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs modules")
	}
	t.Parallel()
	schema := sarifSchema(t)

	t.Run("findings", func(t *testing.T) {
		t.Parallel()
		repo := t.TempDir()
		if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		mod := filepath.Join(repo, "svc")
		if err := os.Rename(extract(t, "crosspkg"), mod); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "out.sarif")
		r := run(t, mod, "test", "-sarif", out, "./...")
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		l := validSARIF(t, schema, b)
		run0 := l.Runs[0]
		if !run0.Invocations[0].ExecutionSuccessful || len(run0.Results) != 1 || run0.Results[0].RuleID != "circular" {
			t.Fatalf("want one circular result of a successful run:\n%s", b)
		}
		res := run0.Results[0]
		if len(res.Locations) != 1 {
			t.Fatalf("result locations: %+v", res.Locations)
		}
		loc := res.Locations[0].PhysicalLocation
		if a := loc.ArtifactLocation; !strings.HasPrefix(a.URI, "svc/") || !strings.HasSuffix(a.URI, "_test.go") || a.URIBaseID != "%SRCROOT%" || loc.Region.StartLine == 0 {
			t.Errorf("location %+v, want svc/..._test.go relative to %%SRCROOT%%", loc)
		}
		for _, rl := range res.RelatedLocations {
			if a := rl.PhysicalLocation.ArtifactLocation; !strings.HasPrefix(a.URI, "svc/") || a.URIBaseID != "%SRCROOT%" {
				t.Errorf("related location %+v, want svc/... relative to %%SRCROOT%%", a)
			}
		}
	})

	t.Run("build-failure", func(t *testing.T) {
		t.Parallel()
		out := filepath.Join(t.TempDir(), "out.sarif")
		r := run(t, sharedModule(t, "buildfail"), "test", "-sarif", out, "./...")
		if r.code != exitTestsFailed {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitTestsFailed, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("no SARIF file after a build failure: %v", err)
		}
		inv := validSARIF(t, schema, b).Runs[0].Invocations[0]
		if inv.ExecutionSuccessful || len(inv.ToolExecutionNotifications) == 0 || !strings.Contains(inv.ToolExecutionNotifications[0].Message.Text, "build failed") {
			t.Errorf("invocation %+v, want executionSuccessful false, saying the build failed", inv)
		}
	})

	t.Run("stdout", func(t *testing.T) {
		t.Parallel()
		r := run(t, sharedModule(t, "crosspkg"), "test", "-format=sarif", "./...")
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
		}
		if n := len(validSARIF(t, schema, []byte(r.stdout)).Runs[0].Results); n != 1 {
			t.Errorf("%d results, want 1", n)
		}
	})

	// lockdep merge outside any repository or module, where the graph
	// files' frames name no file it can see: a location all the same,
	// the first frame's file, in every way merge writes SARIF.
	t.Run("merge-outside", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		ar, err := txtar.ParseFile(filepath.Join("testdata", "jobs.txtar"))
		if err != nil {
			t.Fatal(err)
		}
		var graphs []string
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, "ci/graph-") {
				name := filepath.Base(f.Name)
				if err := os.WriteFile(filepath.Join(dir, name), f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				graphs = append(graphs, name)
			}
		}
		out := filepath.Join(t.TempDir(), "out.sarif")
		r := run(t, dir, append([]string{"merge", "-all", "-sarif", out, "-format", "sarif"}, graphs...)...)
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, data := range [][]byte{b, []byte(r.stdout)} {
			l := validSARIF(t, schema, data)
			if n := len(l.Runs[0].Results); n != 2 {
				t.Errorf("%d results, want 2", n)
			}
		}
		// A file merge cannot read: the log says the run failed.
		if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o644); err != nil {
			t.Fatal(err)
		}
		r = run(t, dir, "merge", "-sarif", out, graphs[0], "bad.json")
		if r.code != exitUsage {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitUsage, r.stderr)
		}
		if b, err = os.ReadFile(out); err != nil {
			t.Fatal(err)
		}
		if inv := validSARIF(t, schema, b).Runs[0].Invocations[0]; inv.ExecutionSuccessful {
			t.Errorf("a merge that failed: executionSuccessful true")
		}
	})

	// A cycle entirely inside a -pkg dependency, outside the repository
	// (a replace directory beside it), in a goroutine it starts: no frame
	// is in the repository, and it is located at its file, by absolute
	// URI.
	t.Run("pkg-dependency", func(t *testing.T) {
		t.Parallel()
		root := t.TempDir()
		repo := filepath.Join(root, "repo")
		if err := os.MkdirAll(filepath.Join(repo, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
		files := map[string]string{
			"repo/go.mod":    "module example.com/m\n\ngo 1.26\n\nrequire example.com/dep v1.0.0\n\nreplace example.com/dep => ../dep\n",
			"repo/m_test.go": "package m\n\nimport (\n\t\"testing\"\n\n\t\"example.com/dep\"\n)\n\nfunc TestDep(t *testing.T) { dep.Both() }\n",
			"dep/go.mod":     "module example.com/dep\n\ngo 1.26\n",
			"dep/dep.go":     "package dep\n\nimport \"sync\"\n\nvar a, b sync.Mutex\n\nfunc ab() { a.Lock(); b.Lock(); b.Unlock(); a.Unlock() }\nfunc ba() { b.Lock(); a.Lock(); a.Unlock(); b.Unlock() }\n\n// Both takes the locks in both orders, in a goroutine of its own.\nfunc Both() {\n\tdone := make(chan bool)\n\tgo func() { ab(); ba(); close(done) }()\n\t<-done\n}\n",
		}
		for name, data := range files {
			p := filepath.Join(root, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out := filepath.Join(t.TempDir(), "out.sarif")
		r := run(t, repo, "test", "-pkg", "example.com/dep", "-sarif", out, "./...")
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFindings, r.stdout, r.stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		l := validSARIF(t, schema, b)
		if len(l.Runs[0].Results) == 0 || len(l.Runs[0].Results[0].Locations) == 0 {
			t.Fatalf("want a located result:\n%s", b)
		}
		a := l.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation
		if want := "file://" + filepath.ToSlash(filepath.Join(root, "dep", "dep.go")); a.URI != want || a.URIBaseID != "" {
			t.Errorf("location %+v, want %s without a base", a, want)
		}
	})

	t.Run("unwritable", func(t *testing.T) {
		t.Parallel()
		r := run(t, sharedModule(t, "crosspkg"), "test", "-sarif", filepath.Join(t.TempDir(), "missing", "out.sarif"), "./...")
		if r.code != exitUsage || !strings.Contains(r.stderr, "-sarif: cannot write the output file") {
			t.Errorf("exit %d, want %d with the reason\nstderr:\n%s", r.code, exitUsage, r.stderr)
		}
		if r.stdout != "" || strings.Contains(r.stderr, "lockdep: 0 findings") {
			t.Errorf("the tests ran:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
	})
}
