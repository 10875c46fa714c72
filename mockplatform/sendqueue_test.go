package mockplatform

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// blockingConsumer responds with 204 to each request once release is
// closed, and records the max number of requests it held at once.
type blockingConsumer struct {
	srv     *httptest.Server
	release chan struct{}

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	received    int
}

func newBlockingConsumer(t *testing.T) *blockingConsumer {
	c := &blockingConsumer{release: make(chan struct{})}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.inFlight++
		c.received++
		c.maxInFlight = max(c.maxInFlight, c.inFlight)
		c.mu.Unlock()
		<-c.release
		c.mu.Lock()
		c.inFlight--
		c.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *blockingConsumer) counts() (received, maxInFlight int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.received, c.maxInFlight
}

// startBurst starts a platform on a manual clock whose only
// subscription receives document-received from c, and uploads n
// documents, so n first attempts start at once.
func startBurst(t *testing.T, c *blockingConsumer, n int) *Platform {
	p, err := Start(Options{
		Clock:         clock.NewManual(benchEpoch),
		Subscriptions: []Subscription{{URL: c.srv.URL, Topics: []Topic{TopicDocumentReceived}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := p.Upload(Upload{TenantID: DefaultTenant}); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

// queueState returns how many attempts to url run and wait.
func (p *Platform) queueState(url string) (running, waiting int) {
	q := p.sendQueueFor(url)
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.running, len(q.pending) - q.head
}

func TestSendQueueBoundsAttemptsPerURL(t *testing.T) {
	c := newBlockingConsumer(t)
	const n = maxAttemptsPerURL + 44
	p := startBurst(t, c, n)
	defer p.Close()

	// Upload queues each first attempt before it returns, so the split
	// is known without waiting.
	running, waiting := p.queueState(c.srv.URL)
	if running != maxAttemptsPerURL || waiting != n-maxAttemptsPerURL {
		t.Errorf("after %d uploads: %d attempts running and %d waiting, want %d and %d",
			n, running, waiting, maxAttemptsPerURL, n-maxAttemptsPerURL)
	}

	close(c.release)
	if !pollUntil(func() bool { return p.events.count(EventDelivered) == n }) {
		t.Fatalf("%d of %d events delivered", p.events.count(EventDelivered), n)
	}
	received, maxInFlight := c.counts()
	if received != n {
		t.Errorf("consumer received %d requests, want %d", received, n)
	}
	if maxInFlight > maxAttemptsPerURL {
		t.Errorf("consumer held %d requests at once, want at most %d", maxInFlight, maxAttemptsPerURL)
	}
	if running, waiting := p.queueState(c.srv.URL); running != 0 || waiting != 0 {
		t.Errorf("after the burst: %d attempts running and %d waiting, want none", running, waiting)
	}
}

func TestShutdownSkipsQueuedAttempts(t *testing.T) {
	c := newBlockingConsumer(t)
	const n = maxAttemptsPerURL + 10
	p := startBurst(t, c, n)
	if !pollUntil(func() bool { received, _ := c.counts(); return received == maxAttemptsPerURL }) {
		received, _ := c.counts()
		t.Fatalf("consumer received %d requests, want %d before the shutdown", received, maxAttemptsPerURL)
	}

	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	<-p.stopping
	close(c.release)
	if err := <-done; err != nil {
		t.Fatalf("Close: %v", err)
	}

	if received, _ := c.counts(); received != maxAttemptsPerURL {
		t.Errorf("consumer received %d requests, want the %d in flight at shutdown", received, maxAttemptsPerURL)
	}
	if got := p.events.count(EventPending); got != n-maxAttemptsPerURL {
		t.Errorf("%d events pending after shutdown, want the %d queued ones", got, n-maxAttemptsPerURL)
	}
}

// pollUntil reports whether cond holds within 30 seconds, checking it
// every few milliseconds.
func pollUntil(cond func() bool) bool {
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
