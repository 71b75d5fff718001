package stack

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestInternal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fn   string
		want bool
	}{
		{"github.com/golockdep/lockdep.(*Mutex).Lock", true},
		{"github.com/golockdep/lockdep.(*validator).acquire", true},
		{"github.com/golockdep/lockdep/internal/held.(*Table).Get", true},
		{"github.com/golockdep/lockdep/internal/stack.Capture", true},
		{"github.com/golockdep/lockdep/lockdepimpl.Lock", true},
		{"github.com/golockdep/lockdep/lockdeptest.VerifyNone", false},
		{"github.com/golockdep/lockdep/examples/hotplug.main", false},
		{"github.com/golockdep/lockdepx.F", false},
		{"github.com/golockdep/lockdep/internalx.F", false},
		{"main.main", false},
		{"sync.(*Mutex).Lock", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := Internal(tc.fn); got != tc.want {
			t.Errorf("Internal(%q) = %v, want %v", tc.fn, got, tc.want)
		}
	}
}

// moduleRoot is the module root seen from the package directory, where
// tests run.
func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the expected module root: %v", err)
	}
	return filepath.ToSlash(root)
}

func TestRel(t *testing.T) {
	t.Parallel()
	root := moduleRoot(t)
	goroot := filepath.ToSlash(runtime.GOROOT()) //nolint:staticcheck // as stack.go
	tests := []struct {
		name, file, want string
	}{
		{"module", root + "/internal/stack/stack.go", "internal/stack/stack.go"},
		{"module-top", root + "/mutex.go", "mutex.go"},
		{"goroot", goroot + "/src/sync/mutex.go", "sync/mutex.go"},
		{"module-cache", "/home/u/go/pkg/mod/github.com/google/go-cmp@v0.7.0/cmp/compare.go", "github.com/google/go-cmp@v0.7.0/cmp/compare.go"},
		{"sibling-with-common-prefix", root + "x/y.go", root + "x/y.go"},
		{"goroot-outside-src", goroot + "/misc/x.go", goroot + "/misc/x.go"},
		{"elsewhere", "/elsewhere/x.go", "/elsewhere/x.go"},
		{"relative", "x.go", "x.go"},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Rel(tc.file); got != tc.want {
				t.Errorf("Rel(%q) = %q, want %q", tc.file, got, tc.want)
			}
		})
	}
}

//go:noinline
func captureHere(skip int) []uintptr { return Capture(skip) }

//go:noinline
func captureDeep(depth, skip int) []uintptr {
	if depth == 0 {
		return Capture(skip)
	}
	return captureDeep(depth-1, skip)
}

func firstFunc(pcs []uintptr) string {
	f, _ := runtime.CallersFrames(pcs).Next()
	return f.Function
}

func TestCapture(t *testing.T) {
	t.Parallel()
	const pkg = "github.com/golockdep/lockdep/internal/stack."
	if got := firstFunc(captureHere(0)); got != pkg+"captureHere" {
		t.Errorf("Capture(0) starts at %q, want captureHere", got)
	}
	if got := firstFunc(captureHere(1)); got != pkg+"TestCapture" {
		t.Errorf("Capture(1) starts at %q, want TestCapture", got)
	}
	if n := len(captureDeep(2*MaxDepth, 0)); n != MaxDepth {
		t.Errorf("deep stack: %d pcs, want MaxDepth = %d", n, MaxDepth)
	}
}

// TestFramesDropsOwnFrames: this test's own functions are in the
// validator's internal/ tree, so Frames drops them; the runtime frame the
// goroutine ends in goes too, leaving testing.tRunner.
func TestFramesDropsOwnFrames(t *testing.T) {
	t.Parallel()
	pcs := captureHere(0)
	got := Frames(pcs)
	if len(got) != 1 || got[0].Func != "testing.tRunner" || got[0].File != "testing/testing.go" || got[0].Line <= 0 {
		t.Errorf("Frames = %+v, want only testing.tRunner in testing/testing.go", got)
	}
	// Unfiltered, the stack has our frames and runtime.goexit.
	var all []string
	it := runtime.CallersFrames(pcs)
	for {
		f, more := it.Next()
		all = append(all, f.Function)
		if !more {
			break
		}
	}
	want := []string{
		"github.com/golockdep/lockdep/internal/stack.captureHere",
		"github.com/golockdep/lockdep/internal/stack.TestFramesDropsOwnFrames",
		"testing.tRunner",
		"runtime.goexit",
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("raw frames (-want +got):\n%s", diff)
	}
	if got := Frames(nil); got != nil {
		t.Errorf("Frames(nil) = %+v", got)
	}
}

// TestFramesInlined builds testdata/inl, whose callee is inlined into its
// caller, and checks that Frames expands the inlined call with the right
// lines and paths relative to the module root, drops the validator's own
// frame (Capture) and the runtime's bottom frames (runtime.main,
// runtime.goexit).
func TestFramesInlined(t *testing.T) {
	t.Parallel()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go") //nolint:staticcheck // only to find the go command
	}
	bin := filepath.Join(t.TempDir(), "inl")
	build := exec.Command(goTool, "build", "-o", bin, "./testdata/inl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./testdata/inl: %v\n%s", err, out)
	}
	run := exec.Command(bin)
	run.Dir = "." // the package directory: the module root is two levels up
	out, err := run.Output()
	if err != nil {
		t.Fatalf("running inl: %v", err)
	}
	var got struct {
		Frames  []Frame
		Inlined []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	const file = "internal/stack/testdata/inl/main.go"
	lines := markerLines(t, "testdata/inl/main.go")
	want := []Frame{
		{Func: "main.callee", File: file, Line: lines["callee-line"]},
		{Func: "main.caller", File: file, Line: lines["caller-line"]},
		{Func: "main.main", File: file, Line: lines["main-line"]},
	}
	if diff := cmp.Diff(want, got.Frames); diff != "" {
		t.Errorf("Frames (-want +got):\n%s", diff)
	}
	// The test means something only if callee really was inlined.
	if !slices.Contains(got.Inlined, "main.callee") {
		t.Errorf("inlined frames %q: main.callee was not inlined", got.Inlined)
	}
}

// markerLines returns the line of each "// name" marker comment in file.
func markerLines(t *testing.T, file string) map[string]int {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if _, m, ok := strings.Cut(sc.Text(), "// "); ok && strings.HasSuffix(m, "-line") {
			lines[m] = n
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("markers in %s: %v", file, lines)
	}
	return lines
}

func TestParseDump(t *testing.T) {
	t.Parallel()
	dump := "goroutine 1 [running]:\n" +
		"main.main()\n\t/src/m/main.go:10 +0x1d\n\n" +
		"goroutine 18 [sync.Mutex.Lock, 2 minutes]:\n" +
		"sync.(*Mutex).Lock(...)\n\t/go/src/sync/mutex.go:46\n" +
		"example.com/m.(*S).f(0xc000010000)\n\t/src/m/s.go:12 +0x45\n" +
		"created by example.com/m.g in goroutine 1\n\t/src/m/g.go:30 +0x5a\n"
	gs := ParseDump([]byte(dump))
	want := map[int64]Goroutine{
		1: {ID: 1, State: "running", Stack: []Frame{{Func: "main.main", File: "/src/m/main.go", Line: 10}}},
		18: {ID: 18, State: "sync.Mutex.Lock, 2 minutes", Stack: []Frame{
			{Func: "example.com/m.(*S).f", File: "/src/m/s.go", Line: 12},
			{Func: "example.com/m.g", File: "/src/m/g.go", Line: 30},
		}},
	}
	if diff := cmp.Diff(want, gs); diff != "" {
		t.Errorf("ParseDump (-want +got):\n%s", diff)
	}
	if g, ok := All()[callerGoroutine()]; !ok || g.State != "running" || len(g.Stack) == 0 || g.Stack[0].Func != "github.com/golockdep/lockdep/internal/stack.TestParseDump" && !strings.HasPrefix(g.Stack[0].Func, "testing.") {
		t.Errorf("All() has this goroutine as %+v", g)
	}
}

func callerGoroutine() int64 {
	var buf [64]byte
	n := runtime.Stack(buf[:], false)
	id, _ := strconv.ParseInt(strings.Fields(string(buf[:n]))[1], 10, 64)
	return id
}
