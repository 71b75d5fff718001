package cli

import (
	"context"
	"flag"
	"io"
	"log"
	"os"
	"path/filepath"

	"github.com/golockdep/lockdep/internal/merge"
	"github.com/golockdep/lockdep/internal/reporting"
	"github.com/golockdep/lockdep/report"
)

// mergeCommand implements lockdep merge: it merges the graph files of
// separate jobs and reports the cycles that no single job saw (with
// -all, the jobs' own findings as well), as lockdep test reports: the
// same formats, output files and exit statuses.
func mergeCommand(_ context.Context, doc string, args []string, stdin io.Reader, stdout, stderr io.Writer, logger *log.Logger) (err error) {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	dir := fs.String("C", "", "")
	format := fs.String("format", "text", "")
	out := fs.String("o", "", "")
	sarifPath := fs.String("sarif", "", "")
	all := fs.Bool("all", false, "")
	paths, err := parseFileArgs(fs, doc, args, stdout, stderr)
	if err != nil {
		return helped(err)
	}
	if err := checkFormat(stderr, "merge", *format); err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError(stderr, "merge", "no graph files: give those that lockdep test -graph wrote, one per job")
	}
	base, err := filepath.Abs(orDot(*dir))
	if err != nil {
		return err
	}
	// The outputs end whatever happens: a CI step that uploads the SARIF
	// file finds one that says why the merge failed.
	src := sourceOf(base)
	outs, err := openOutputs(*format, stdout, base,
		outputFiles{sarif: *sarifPath, sarifFlag: "-sarif", graph: *out, graphFlag: "-o"},
		&outputConfig{sarifRun: src.sarifRun})
	if err != nil {
		return err
	}
	var m *merge.Merger
	defer func() {
		e := &reporting.End{Failure: failure("merge", err)}
		if m != nil {
			gr := m.Graph()
			e.Graph = &gr
		}
		switch werr := outs.end(e); {
		case err == nil:
			err = werr
		case werr != nil:
			logger.Print(werr)
		}
	}()
	inputs, err := readGraphFiles(*dir, paths, stdin)
	if err != nil {
		return err
	}
	if m, err = mergeJobs(inputs); err != nil {
		return err
	}

	own := map[string]bool{} // the jobs' own findings
	for _, in := range inputs {
		for i := range in.graph.Findings {
			own[reporting.Key(&in.graph.Findings[i])] = true
		}
	}
	var reported []report.Report
	unseen := 0
	for _, r := range m.Findings() {
		if !own[reporting.Key(&r)] {
			unseen++
		} else if !*all {
			continue
		}
		reported = append(reported, r)
	}
	for i := range reported {
		outs.Finding(&reported[i])
	}

	classes, deps := m.Counts()
	sizes := graphSize(classes, deps)
	jobs := reporting.Count(len(inputs), "job")
	if *all {
		logger.Printf("%s; %s, %d of them seen by no single job; %s", jobs, findingCounts(reported), unseen, sizes)
	} else if n := len(own); n > 0 {
		logger.Printf("%s; %s that no single job saw; %s that the jobs reported themselves (-all prints them); %s", jobs, findingCounts(reported), reporting.Count(n, "finding"), sizes)
	} else {
		logger.Printf("%s; %s that no single job saw; %s", jobs, findingCounts(reported), sizes)
	}
	for i := range reported {
		if reported[i].Counted() {
			return &exitError{code: exitFindings}
		}
	}
	return nil
}

// sourceOf describes, for SARIF locations, the source tree lockdep merge
// runs in: the frames of a graph file are relative to the root of the
// module that recorded them, which is taken to be the module dir is in
// (or dir, outside any module); locations are relative to its
// repository's root.
func sourceOf(dir string) *module {
	root := dir
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			root = d
			break
		}
		if filepath.Dir(d) == d {
			break
		}
	}
	m := &module{dir: root, roots: []string{root}, repo: repoRoot(root)}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
		m.modfile = filepath.Join(root, "go.mod")
	}
	return m
}
