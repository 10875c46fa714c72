package scenarios_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/examples/consumer"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

// webhookSecret is the secret the test consumers expect in
// "Authorization: Bearer <secret>".
const webhookSecret = "scenario-secret"

// referenceConsumer returns run options for the reference consumer of
// examples/consumer, with the given defect, started in this process
// once the platform listens. It reports its effects to the platform's
// sink and stops when the test ends.
func referenceConsumer(t testing.TB, defect consumer.Defect) scenarios.RunOptions {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen for the consumer: %v", err)
	}
	t.Cleanup(func() { ln.Close() })
	return scenarios.RunOptions{
		ConsumerURL: "http://" + ln.Addr().String() + "/webhooks",
		Headers:     map[string]string{"Authorization": "Bearer " + webhookSecret},
		OnPlatform: func(platformURL string) error {
			c, err := consumer.New(consumer.Config{
				APIURL:        platformURL,
				Token:         mockplatform.DefaultToken,
				WebhookSecret: webhookSecret,
				EffectsURL:    platformURL + "/_mock/effects",
				Defect:        defect,
				Logger:        slog.New(slog.DiscardHandler),
			})
			if err != nil {
				return err
			}
			serve(t, c, ln)
			return nil
		},
	}
}

// serve serves c's webhooks on ln and runs c until the test ends. The
// HTTP server stops before the consumer, as in a service.
func serve(t testing.TB, c *consumer.Consumer, ln net.Listener) {
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		shutdown, stop := context.WithTimeout(context.Background(), 20*time.Second)
		defer stop()
		if err := srv.Shutdown(shutdown); err != nil {
			t.Errorf("stop the consumer's HTTP server: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer Run: %v", err)
		}
	})
}
