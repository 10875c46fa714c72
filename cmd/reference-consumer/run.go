package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/parashift-mock/parashift-mock/examples/consumer"
)

// shutdownGrace is how long the HTTP server waits for webhook handlers
// in flight at shutdown, on top of --slow-ack-delay.
const shutdownGrace = 5 * time.Second

// run parses the flags, serves webhooks on --addr and runs the
// consumer until ctx is done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	o, err := parseOptions(args, getenv, stdout)
	if err != nil {
		return err
	}
	level, err := o.level()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	o.cfg.Logger = log
	c, err := consumer.New(o.cfg)
	if err != nil {
		return configUsageError(err)
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w: choose a free address with --addr", o.addr, err)
	}
	log.Info("listening for webhooks", "url", "http://"+ln.Addr().String()+"/webhooks")
	return serve(ctx, c, ln, o.cfg.SlowAckDelay+shutdownGrace, log)
}

// serve runs the HTTP server and the consumer until ctx is done or the
// server fails. It stops the server first, so that no webhook is
// acknowledged after the consumer's worker has stopped.
func serve(ctx context.Context, c *consumer.Consumer, ln net.Listener, grace time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           c.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	// The consumer outlives ctx until the server has stopped.
	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runDone := make(chan error, 1)
	go func() { runDone <- c.Run(runCtx) }()

	var errs []error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "reason", context.Cause(ctx))
	case err := <-serveErr:
		errs = append(errs, fmt.Errorf("serve webhooks: %w", err))
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs = append(errs, fmt.Errorf("stop the HTTP server: %w", err))
	}
	stopRun()
	if err := <-runDone; err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
