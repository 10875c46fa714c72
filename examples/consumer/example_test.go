package consumer_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/parashift-mock/parashift-mock/examples/consumer"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// Example runs the consumer against the in-process mock platform and
// one document.
func Example() {
	// The consumer's address goes into the platform's webhook
	// subscription, so it listens first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fast, err := clock.NewScaled(100)
	if err != nil {
		log.Fatal(err)
	}
	p, err := mockplatform.Start(mockplatform.Options{
		Clock: fast,
		Subscriptions: []mockplatform.Subscription{{
			URL:     "http://" + ln.Addr().String() + "/webhooks",
			Headers: map[string]string{"Authorization": "Bearer s3cret"},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()

	c, err := consumer.New(consumer.Config{
		APIURL:        p.URL(),
		Token:         mockplatform.DefaultToken,
		WebhookSecret: "s3cret",
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()

	doc, err := p.Upload(mockplatform.Upload{TenantID: mockplatform.DefaultTenant})
	if err != nil {
		log.Fatal(err)
	}
	for !c.State()[doc.ID].Terminal() {
		time.Sleep(10 * time.Millisecond)
	}

	// Stop the server before the consumer, so that no webhook is
	// acknowledged after the worker has stopped.
	if err := srv.Shutdown(context.Background()); err != nil {
		log.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		log.Fatal(err)
	}
	st := c.State()[doc.ID]
	fmt.Println(st.ID, st.Topic, st.Status)
	// Output: 100001 processing-finished done
}
