// Command reference-consumer runs the reference consumer of the
// Parashift platform from package examples/consumer: it receives
// webhooks on POST /webhooks, polls the REST API for overdue
// documents, and can report its effects to a harness. Run
// "reference-consumer -h" for the flags; each flag also reads an
// environment variable named CONSUMER_ and the flag name in capitals.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the default handling returns, so a
		// second Ctrl+C ends a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(exitCode(err))
}

// exitCode prints err and returns the exit status for it.
func exitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(os.Stderr, "reference-consumer: %v\nRun \"reference-consumer -h\" for the flags.\n", err)
		return exitUsage
	default:
		fmt.Fprintf(os.Stderr, "reference-consumer: %v\n", err)
		return exitError
	}
}
