package graphfile

import (
	"strings"
	"testing"

	"github.com/golockdep/lockdep/report"
)

func TestReadGraphErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{`, "not a lockdep graph file"},
		{`{"version": 2}`, "graph file version 2, want 1"},
		{`{"version": 1, "classes": [{"name": "A"}], "dependencies": [{"from": "A", "to": "B", "mode": "W"}]}`, "names a class the file does not list"},
		{`{"version": 1, "classes": [{"name": "A"}], "dependencies": [{"from": "A", "to": "A", "mode": "X"}]}`, `mode "X", want W or R`},
	} {
		if _, err := Read(strings.NewReader(tc.in)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Read(%s) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestClassPackage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		instance bool
		pkg      string
		rest     string
	}{
		{"example.com/m/store.Store.mu", false, "example.com/m/store", "Store.mu"},
		{"example.com/m/store.cache", false, "example.com/m/store", "cache"},
		{"bank.Account.mu", false, "bank", "Account.mu"},
		{"A", false, "", "A"},
		{"lockdep.Mutex@x.go:3", true, "(locks without a class)", "lockdep.Mutex@x.go:3"},
		{"wait: example.com/m/store.Store.wg", false, "example.com/m/store", "wait: Store.wg"},
		{"receive: bank.results", false, "bank", "receive: results"},
		{"event: A", false, "", "event: A"},
		{"weird: bank.x", false, "weird: bank", "x"}, // not a kind of event
	} {
		if pkg, rest := classPackage(tc.name, tc.instance); pkg != tc.pkg || rest != tc.rest {
			t.Errorf("classPackage(%q) = %q, %q; want %q, %q", tc.name, pkg, rest, tc.pkg, tc.rest)
		}
	}
}

// TestDOTMarks: a class locked recursively gets a red loop, and a class
// of a single lock goes to the cluster of locks without a class, whose
// label is not shortened.
func TestDOTMarks(t *testing.T) {
	gr := Graph{
		Version: Version,
		Classes: []Class{
			{Name: "example.com/m/a.Node.mu", Written: true},
			{Name: "example.com/m/b.cache"},
			{Name: "lockdep.Mutex@x.go:3", Instance: true},
			{Name: "wait: example.com/m/a.Node.wg", Written: true},
		},
		Dependencies: []Dependency{{From: "example.com/m/a.Node.mu", To: "example.com/m/b.cache", Mode: "W"}, {From: "example.com/m/a.Node.mu", To: "wait: example.com/m/a.Node.wg", Mode: "W"}},
		Findings:     []report.Report{{Kind: report.Recursive, Headline: report.Recursive.Headline(), Lock: report.LockRef{Class: "example.com/m/a.Node.mu", Mode: "W"}, Detail: "Both locks are of the same class."}},
	}
	dot := gr.DOT()
	for _, want := range []string{
		`label="a";`,
		`label="(locks without a class)";`,
		`"example.com/m/a.Node.mu" [label="Node.mu", tooltip="example.com/m/a.Node.mu", penwidth=2, color="#cc0000", fontcolor="#cc0000"];`,
		`"example.com/m/a.Node.mu" -> "example.com/m/a.Node.mu" [label="recursive", style=dotted, color="#cc0000"`,
		`tooltip="example.com/m/a.Node.mu: possible recursive locking detected: Both locks are of the same class."`,
		`"example.com/m/a.Node.mu" -> "example.com/m/b.cache" [label="W", tooltip=`,
		`label="Packages under example.com/m/\nA → B:`,
		`"wait: example.com/m/a.Node.wg" [label="wait: Node.wg", tooltip="wait: example.com/m/a.Node.wg", penwidth=2, shape=ellipse];`,
	} {
		if !strings.Contains(dot, want) {
			t.Errorf("the DOT lacks %s:\n%s", want, dot)
		}
	}
}

func TestCommonDir(t *testing.T) {
	for _, tc := range []struct {
		pkgs []string
		want string
	}{
		{nil, ""},
		{[]string{"example.com/shop/store"}, "example.com/shop/"},
		{[]string{"example.com/shop/cache", "example.com/shop/store"}, "example.com/shop/"},
		{[]string{"example.com/m/ab", "example.com/m/abc"}, "example.com/m/"},
		{[]string{"example.com/m", "example.com/m/sub"}, "example.com/"},
		{[]string{"bank", "shop"}, ""},
		{[]string{"", "(locks without a class)", "x.org/p/q"}, "x.org/p/"},
	} {
		if got := commonDir(tc.pkgs); got != tc.want {
			t.Errorf("commonDir(%q) = %q, want %q", tc.pkgs, got, tc.want)
		}
	}
}
