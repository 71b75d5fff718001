package instrument

import (
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// TestCoverageBlocks rewrites each testdata/NAME.txtar for coverage and
// has the cover tool instrument every rewritten file that it covers (not
// tests), as CoverSource prepares it, and the user's file: the tool must
// record the same blocks for both, at the same lines and columns, with
// the same statement counts; and CoveredSource must put back every piece
// of added code in a file that still parses.
func TestCoverageBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the cover tool")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	goSum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	runtime := runtimeModule(t)
	archives, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range archives {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(ar.Comment), "requires cgo") && !cgoAvailable() {
				t.Skip("cgo is not available")
			}
			dir, _ := writeModule(t, name, ar, root, goSum, runtime)
			res, err := Rewrite(Config{Dir: dir, Patterns: []string{"./..."}, Tests: true, Coverage: true})
			if err != nil {
				t.Fatal(err)
			}
			for path, out := range res.Files {
				if strings.HasSuffix(path, "_test.go") {
					continue // the cover tool leaves tests alone
				}
				rel, _ := filepath.Rel(dir, path)
				orig, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				in, err := CoverSource(out)
				if err != nil {
					t.Fatalf("%s: %v", rel, err)
				}
				want, _ := coverTool(t, filepath.Base(path), orig)
				got, covered := coverTool(t, filepath.Base(path), in)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: the cover tool's blocks (-user's file +rewritten file):\n%s", rel, diff)
				}
				restored, err := CoveredSource(covered, out)
				if err != nil {
					t.Fatalf("%s: %v", rel, err)
				}
				if _, err := parser.ParseFile(token.NewFileSet(), rel, restored, parser.SkipObjectResolution); err != nil {
					t.Errorf("%s: the covered file does not parse: %v\n%s", rel, err, restored)
				}
				rs, _ := regions(out)
				for _, r := range rs {
					if added := out[r.start:r.end]; !bytes.Contains(restored, added) {
						t.Errorf("%s: the covered file lacks the added %q", rel, added)
					}
				}
			}
		})
	}
}

// coverTool runs go tool cover -mode=set on src, as a file called name,
// and returns the blocks it records (the Pos and NumStmt arrays it
// writes) and its output.
func coverTool(t *testing.T, name string, src []byte) (blocks string, out []byte) {
	t.Helper()
	dir := t.TempDir()
	in, outFile := filepath.Join(dir, name), filepath.Join(dir, "out.go")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("go", "tool", "cover", "-mode=set", "-var=GoCover", "-o", outFile, in).CombinedOutput(); err != nil {
		t.Fatalf("go tool cover %s: %v\n%s\n%s", name, err, b, src)
	}
	out, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.LastIndex(out, []byte("\tPos: ["))
	if i < 0 {
		return "", out // no blocks
	}
	return string(out[i:]), out
}
