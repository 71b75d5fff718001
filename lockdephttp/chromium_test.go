//go:build unix

package lockdephttp_test

import (
	"bytes"
	"context"
	"flag"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golockdep/lockdep/lockdephttp"
)

var update = flag.Bool("update", false, "rewrite testdata/page.png, the README's screenshot")

// chromium returns the headless Chromium to run, skipping the test if
// there is none, or failing it under CI, which must have one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: .ci/run installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed (apt-get install chromium); .ci/run installs it")
	return ""
}

// runChromium runs headless Chromium on url with args, in a fresh profile,
// with none of its background network traffic, and returns what it
// printed on standard output. Chromium's helper processes are ended with
// it.
func runChromium(t *testing.T, bin, url string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args = append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + t.TempDir(),
	}, append(args, url)...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left behind
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// TestChromium: the page, served on a loopback port, renders in headless
// Chromium with the picture and the findings; its screenshot is kept as
// a test artifact ($LOCKDEP_ARTIFACTS, or the test's temporary
// directory), and with -update as testdata/page.png.
func TestChromium(t *testing.T) {
	bin := chromium(t)
	defer lockdephttp.Fresh(true)()
	shop(t)
	srv := httptest.NewServer(lockdephttp.Handler())
	defer srv.Close()
	url := srv.URL + "/debug/lockdep"

	dom := string(runChromium(t, bin, url, "--dump-dom"))
	for _, want := range []string{
		"<svg", "</svg>", "WARNING: possible circular locking dependency detected",
		"WARNING: possible recursive locking detected", "Chain exists of:", "<title>" + storeMu + "</title>",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered DOM lacks %q", want)
		}
	}
	if t.Failed() {
		t.Fatalf("the rendered DOM:\n%s", dom)
	}

	dir := os.Getenv("LOCKDEP_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "lockdephttp-page.png")
	runChromium(t, bin, url, "--screenshot="+shot, "--window-size=1280,1600")
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if size := img.Bounds().Size(); size != image.Pt(1280, 1600) {
		t.Errorf("the screenshot is %v", size)
	}
	// The cycle is drawn in red (#cc0000), and nothing else on the page
	// is: red pixels mean the picture rendered and shows the cycle.
	red := 0
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 > 150 && g>>8 < 60 && b>>8 < 60 {
				red++
			}
		}
	}
	if red < 100 {
		t.Errorf("%d red pixels in the screenshot: no cycle drawn", red)
	}
	t.Logf("screenshot: %s", shot)
	if *update {
		if err := os.WriteFile(filepath.Join("testdata", "page.png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
