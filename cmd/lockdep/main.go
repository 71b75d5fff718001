package main

import (
	"context"
	_ "embed"
	"errors"
	"os"
	"os/signal"
	"syscall"

	"github.com/golockdep/lockdep/internal/cli"
)

//go:embed doc.go
var doc string

func main() {
	// A closed stdout (lockdep test | head) must fail writes with EPIPE,
	// not kill lockdep before it stops go and removes its files.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := cli.Main(ctx, doc, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	var ec interface{ ExitCode() int }
	switch {
	case err == nil:
	case errors.As(err, &ec):
		os.Exit(ec.ExitCode())
	default:
		os.Exit(2)
	}
}
