//go:build ignore

// mkruntime writes runtime.txtar: the source of lockdep's run-time
// support as a module of its own, which the lockdep command embeds and
// gives to the go command in place of github.com/golockdep/lockdep (see
// runtime.go). It holds every public package of the module (not under
// internal/, cmd/ or examples/, and not a command), so that code the
// command builds can import any of them, and every package of the module
// they import, as go list -deps finds them for each platform lockdep
// supports. Their only dependency outside the standard library and this
// module may be github.com/petermattis/goid: the run-time module's
// requirements stay that one. Run it with go generate after changing any
// of those packages; TestRuntimeArchive fails while the archive is stale.
//
// Usage:
//
//	go run mkruntime.go [-o file]   (default runtime.txtar; "-" for stdout)
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/tools/txtar"
)

// platforms are the GOOS/GOARCH pairs whose imports the archive covers:
// a package imported by a file for one platform only is still in it.
var platforms = [][2]string{{"linux", "amd64"}, {"linux", "arm64"}, {"darwin", "arm64"}, {"windows", "amd64"}}

// packages returns the directories, relative to the repository root, of
// the public packages of the module at root and of the packages of the
// module they import, sorted.
func packages(root string) ([]string, error) {
	module, err := goList(root, nil, "-m", "-f", "{{.Path}}")
	if err != nil {
		return nil, err
	}
	mod := strings.TrimSpace(module)
	all, err := goList(root, nil, "-f", "{{.ImportPath}} {{.Name}}", "./...")
	if err != nil {
		return nil, err
	}
	var public []string
	for _, line := range strings.Split(strings.TrimSpace(all), "\n") {
		path, name, _ := strings.Cut(line, " ")
		rel := strings.TrimPrefix(strings.TrimPrefix(path, mod), "/")
		if name == "main" || rel == "cmd" || strings.HasPrefix(rel, "cmd/") || rel == "examples" || strings.HasPrefix(rel, "examples/") ||
			rel == "internal" || strings.HasPrefix(rel, "internal/") || strings.Contains(rel, "/internal/") || strings.HasSuffix(rel, "/internal") {
			continue
		}
		public = append(public, path)
	}
	dirs := map[string]bool{}
	for _, pl := range platforms {
		deps, err := goList(root, []string{"GOOS=" + pl[0], "GOARCH=" + pl[1], "CGO_ENABLED=0"},
			append([]string{"-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, public...)...)
		if err != nil {
			return nil, err
		}
		for _, path := range strings.Fields(deps) {
			switch {
			case path == mod:
				dirs["."] = true
			case strings.HasPrefix(path, mod+"/"):
				dirs[strings.TrimPrefix(path, mod+"/")] = true
			case path == dep:
			default:
				return nil, fmt.Errorf("the public packages import %s (for %s/%s): the run-time module may require only %s", path, pl[0], pl[1], dep)
			}
		}
	}
	var out []string
	for d := range dirs {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}

// goList runs go list in dir, with env added to the environment.
func goList(dir string, env []string, args ...string) (string, error) {
	c := exec.Command("go", append([]string{"list"}, args...)...)
	c.Dir = dir
	c.Env = append(os.Environ(), append([]string{"GOWORK=off", "GOFLAGS="}, env...)...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		return "", fmt.Errorf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return string(out), nil
}

// goLine is the run-time module's go line. It must stay below 1.21: the
// go command raises a main module's go line to that of a dependency only
// from go 1.21 on, so with 1.18 the code under test keeps its own
// language version and GODEBUG defaults. 1.18 is the first with type
// parameters, which the run-time packages use.
const goLine = "1.18"

const dep = "github.com/petermattis/goid"

func main() {
	log.SetFlags(0)
	log.SetPrefix("mkruntime: ")
	out := flag.String("o", "runtime.txtar", "output file, - for stdout")
	flag.Parse()
	b, err := archive("../..")
	if err != nil {
		log.Fatal(err)
	}
	if *out == "-" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		log.Fatal(err)
	}
}

// archive builds the archive from the repository at root.
func archive(root string) ([]byte, error) {
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	f, err := modfile.Parse("go.mod", gomod, nil)
	if err != nil {
		return nil, err
	}
	version := ""
	for _, r := range f.Require {
		if r.Mod.Path == dep {
			version = r.Mod.Version
		}
	}
	if version == "" {
		return nil, fmt.Errorf("go.mod does not require %s", dep)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		return nil, err
	}
	var sums []string
	for _, line := range strings.Split(string(sum), "\n") {
		if strings.HasPrefix(line, dep+" "+version+" ") || strings.HasPrefix(line, dep+" "+version+"/go.mod ") {
			sums = append(sums, line+"\n")
		}
	}
	if len(sums) != 2 {
		return nil, fmt.Errorf("go.sum lacks the sums of %s %s", dep, version)
	}
	ar := &txtar.Archive{
		Comment: []byte("Generated by mkruntime.go from the module's public packages and what they import; DO NOT EDIT.\n" +
			"The run-time support of code rewritten by the lockdep command.\n"),
		Files: []txtar.File{
			{Name: "go.mod", Data: []byte(fmt.Sprintf("module github.com/golockdep/lockdep\n\ngo %s\n\nrequire %s %s\n", goLine, dep, version))},
			{Name: "go.sum", Data: []byte(strings.Join(sums, ""))},
		},
	}
	license, err := os.ReadFile(filepath.Join(root, "LICENSE"))
	if err != nil {
		return nil, err
	}
	ar.Files = append(ar.Files, txtar.File{Name: "LICENSE", Data: license})
	dirs, err := packages(root)
	if err != nil {
		return nil, err
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			return nil, err
		}
		var names []string
		for _, e := range entries {
			n := e.Name()
			// Every build variant (fp_arm64.s, fp_other.go...), no tests.
			if !e.Type().IsRegular() || strings.HasSuffix(n, "_test.go") || !(strings.HasSuffix(n, ".go") || strings.HasSuffix(n, ".s")) {
				continue
			}
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(root, dir, n))
			if err != nil {
				return nil, err
			}
			if bytes.Contains(data, []byte("\n-- ")) {
				return nil, fmt.Errorf("%s: a line starts with %q, which txtar cannot hold", filepath.Join(dir, n), "-- ")
			}
			ar.Files = append(ar.Files, txtar.File{Name: filepath.ToSlash(filepath.Join(dir, n)), Data: data})
		}
	}
	return txtar.Format(ar), nil
}
