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
