module github.com/golockdep/lockdep/bench

go 1.26.0

require (
	github.com/golockdep/lockdep v0.0.0
	github.com/sasha-s/go-deadlock v0.3.9
)

require github.com/petermattis/goid v0.0.0-20261109124353-7cfa343ad0ab // indirect

replace github.com/golockdep/lockdep => ../
