package mockplatform

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// writeCounter counts the writes to the connections it dials.
type writeCounter struct {
	writes atomic.Int64
}

func (c *writeCounter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: conn, c: c}, nil
}

type countedConn struct {
	net.Conn
	c *writeCounter
}

func (c *countedConn) Write(b []byte) (int, error) {
	c.c.writes.Add(1)
	return c.Conn.Write(b)
}

// TestAttemptIsOneWrite checks that an attempt's header and body go to
// the connection in one write, as for a request from
// http.NewRequest. A body that the transport does not know to be in
// memory makes it write the header first, which costs every attempt a
// second system call and the consumer a second read.
func TestAttemptIsOneWrite(t *testing.T) {
	bodies := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- string(b)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	p, err := New(Options{
		Clock:         clock.NewManual(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)),
		Subscriptions: []Subscription{{URL: srv.URL + "/webhooks", Topics: []Topic{TopicDocumentReceived}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var counter writeCounter
	tr := DeliveryTransport()
	tr.DialContext = counter.dial
	defer tr.CloseIdleConnections()
	p.transport = tr

	if _, err := p.Upload(Upload{TenantID: DefaultTenant}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Advance(ctx, 0); err != nil {
		t.Fatal(err)
	}
	deliveries, _ := p.Deliveries()
	if len(deliveries) != 1 || deliveries[0].Outcome != OutcomeDelivered {
		t.Fatalf("deliveries = %+v, want one delivered", deliveries)
	}
	if got := <-bodies; len(got) == 0 || got[0] != '{' {
		t.Errorf("consumer got body %q, want the JSON payload", got)
	}
	if got := counter.writes.Load(); got != 1 {
		t.Errorf("the attempt took %d writes, want 1", got)
	}
}
