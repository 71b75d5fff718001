module github.com/golockdep/lockdep

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/petermattis/goid v0.0.0-20261109124353-7cfa343ad0ab
)

require golang.org/x/tools v0.52.0 // indirect
