// Command parashift-mock runs a mock of the Parashift
// document-processing platform, a webhook receiver for trying it out,
// and a self-contained demo. Run "parashift-mock help" for the
// subcommands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal the default handling returns, so a
		// second Ctrl+C ends a shutdown that hangs.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}
