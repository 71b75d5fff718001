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
	return l
}

// TestSARIF checks the -sarif file of three runs against the SARIF 2.1.0
// schema: findings of a module in a subdirectory of its repository, run
// with -C (URIs relative to the repository root, %SRCROOT%); a build
// that fails (the file is still written, executionSuccessful false); and
// -format=sarif on stdout. An output path that cannot be written fails
// before anything is built.
func TestSARIF(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs modules")
	}
	schema := sarifSchema(t)

	t.Run("findings", func(t *testing.T) {
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
		out := filepath.Join(t.TempDir(), "out.sarif")
		r := run(t, extract(t, "buildfail"), "test", "-sarif", out, "./...")
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
		r := run(t, extract(t, "crosspkg"), "test", "-format=sarif", "./...")
		if r.code != exitFindings {
			t.Fatalf("exit %d, want %d\nstderr:\n%s", r.code, exitFindings, r.stderr)
		}
		if n := len(validSARIF(t, schema, []byte(r.stdout)).Runs[0].Results); n != 1 {
			t.Errorf("%d results, want 1", n)
		}
	})

	t.Run("unwritable", func(t *testing.T) {
		r := run(t, extract(t, "crosspkg"), "test", "-sarif", filepath.Join(t.TempDir(), "missing", "out.sarif"), "./...")
		if r.code != exitUsage || !strings.Contains(r.stderr, "-sarif: cannot write the output file") {
			t.Errorf("exit %d, want %d with the reason\nstderr:\n%s", r.code, exitUsage, r.stderr)
		}
		if r.stdout != "" || strings.Contains(r.stderr, "lockdep: 0 findings") {
			t.Errorf("the tests ran:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		}
	})
}
