package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/golockdep/lockdep/internal/graphfile"
	"github.com/golockdep/lockdep/internal/merge"
	"github.com/golockdep/lockdep/internal/reporting"
)

// lockdep graph and lockdep merge read graph files (graphfile.Graph): those
// lockdep test -graph writes, a program's LOCKDEP_GRAPH file, the live page's
// ?format=graph. Several files are the graphs of several jobs, merged by
// a merge.Merger; each is named after its file.

// graphCommand implements lockdep graph.
func graphCommand(ctx context.Context, doc string, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("graph", flag.ContinueOnError)
	dir := fs.String("C", "", "")
	format := fs.String("format", "", "")
	focus := fs.String("focus", "", "")
	out := fs.String("o", "", "")
	paths, err := parseFileArgs(fs, doc, args, stdout, stderr)
	if err != nil {
		return helped(err)
	}
	f, ok := graphFormat(*format, *out)
	if !ok {
		return usageError(stderr, "graph", "-format must be %s, not %q", formatNames(true), *format)
	}
	if len(paths) == 0 {
		return usageError(stderr, "graph", "no graph file: write one with lockdep test -graph graph.json")
	}
	inputs, err := readGraphFiles(*dir, paths, stdin)
	if err != nil {
		return err
	}
	gr, err := mergeInputs(inputs)
	if err != nil {
		return err
	}
	if *focus != "" {
		class, err := focusClass(gr, *focus)
		if err != nil {
			return err
		}
		if gr, err = gr.Focus(class); err != nil {
			return err
		}
	}
	if *out == "" {
		return f.graph(stdout).End(&reporting.End{Graph: gr})
	}
	file, err := os.Create(absIn(orDot(*dir), *out))
	if err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	err = f.graph(namedWriter{file}).End(&reporting.End{Graph: gr})
	if cerr := file.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("writing %s: %w", file.Name(), cerr)
	}
	return err
}

// parseFileArgs parses the command line of lockdep graph or merge (fs's
// name): flags and file names in any order, "--" ending the flags. -h
// prints the command's part of the manual and returns errHelp; a bad
// flag prints one line and returns errUsage.
func parseFileArgs(fs *flag.FlagSet, doc string, args []string, stdout, stderr io.Writer) ([]string, error) {
	cmd := fs.Name()
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var files []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			text, _ := help(doc, cmd)
			fmt.Fprint(stdout, text)
			return nil, errHelp
		}
		if err != nil {
			return nil, usageError(stderr, cmd, "%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return files, nil
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			return append(files, rest...), nil
		}
		files = append(files, rest[0])
		args = rest[1:]
	}
}

// helped returns err, or nil for errHelp: help is not an error.
func helped(err error) error {
	if err == errHelp {
		return nil
	}
	return err
}

// graphInput is a graph file of the command line.
type graphInput struct {
	path  string // as given; "-" for stdin
	job   string // the job it is the graph of: see jobNames
	graph *graphfile.Graph
}

// readGraphFiles reads the graph files at paths, relative to dir; "-" is
// stdin. An error names the file.
func readGraphFiles(dir string, paths []string, stdin io.Reader) ([]graphInput, error) {
	jobs := jobNames(paths)
	var in []graphInput
	for i, p := range paths {
		var gr *graphfile.Graph
		var err error
		if p == "-" {
			if stdin == nil {
				stdin = strings.NewReader("")
			}
			if gr, err = graphfile.Read(stdin); err != nil {
				return nil, fmt.Errorf("standard input: %w", err)
			}
		} else if gr, err = readGraphFile(absIn(orDot(dir), p)); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		in = append(in, graphInput{path: p, job: jobs[i], graph: gr})
	}
	return in, nil
}

// readGraphFile reads the graph file at path; its errors do not name it.
func readGraphFile(path string) (*graphfile.Graph, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		if errors.Is(err, os.ErrNotExist) {
			err = fmt.Errorf("%w (lockdep test -graph writes a graph file)", err)
		}
		return nil, err
	}
	defer f.Close()
	return graphfile.Read(f)
}

// jobNames names the job of each graph file, as the origin of its
// dependencies: the file's name without its extension ("graph-2" for
// shards/graph-2.json), or the path without it where two files have the
// same name; "stdin" for "-".
func jobNames(paths []string) []string {
	base := func(p string) string {
		if p == "-" {
			return "stdin"
		}
		return strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	}
	seen := map[string]int{}
	for _, p := range paths {
		seen[base(p)]++
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = base(p)
		if seen[names[i]] > 1 && p != "-" {
			names[i] = filepath.ToSlash(strings.TrimSuffix(p, filepath.Ext(p)))
		}
	}
	return names
}

// mergeInputs returns the graph of one file as it is, and the union of
// several, each the graph of a job, with the cycles only the union shows
// among its findings.
func mergeInputs(in []graphInput) (*graphfile.Graph, error) {
	if len(in) == 1 {
		return in[0].graph, nil
	}
	m, err := mergeJobs(in)
	if err != nil {
		return nil, err
	}
	gr := m.Graph()
	return &gr, nil
}

// mergeJobs merges the graph files as the graphs of separate jobs.
func mergeJobs(in []graphInput) (*merge.Merger, error) {
	m := merge.New()
	for _, g := range in {
		if err := m.AddGraph(g.graph, g.job); err != nil {
			return nil, fmt.Errorf("merging %s: %w", g.path, err)
		}
	}
	return m, nil
}

// focusClass returns the class of gr that -focus names: by its full name,
// or by the end of it after a dot or a slash ("Store.mu",
// "store.Store.mu") if that names only one class.
func focusClass(gr *graphfile.Graph, name string) (string, error) {
	var matches, near, nearCase []string
	for _, c := range gr.Classes {
		// The name after the package's directory: "store.Store.mu".
		last := c.Name[strings.LastIndexByte(c.Name, '/')+1:]
		switch {
		case c.Name == name:
			return name, nil
		case strings.HasSuffix(c.Name, "."+name) || strings.HasSuffix(c.Name, "/"+name):
			matches = append(matches, c.Name)
		case strings.Contains(last, name):
			near = append(near, c.Name)
		case strings.Contains(strings.ToLower(last), strings.ToLower(name)):
			nearCase = append(nearCase, c.Name)
		}
	}
	if len(near) == 0 {
		near = nearCase
	}
	sort.Strings(matches)
	sort.Strings(near)
	switch {
	case len(matches) == 1:
		return matches[0], nil
	case len(matches) > 1:
		return "", fmt.Errorf("-focus %s: %d classes end so: %s; give more of the name", name, len(matches), listSome(matches))
	case len(near) > 0:
		return "", fmt.Errorf("-focus %s: no such class in the graph; did you mean %s?", name, listSome(near))
	}
	return "", fmt.Errorf("-focus %s: no such class in the graph of %s (lockdep graph -format text lists them)", name, reporting.Count(len(gr.Classes), "class"))
}

// listSome lists up to five names, and says how many more there are.
func listSome(names []string) string {
	const n = 5
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" (and %d more)", len(names)-n)
}

func orDot(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}
