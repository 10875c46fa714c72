package mockplatform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// epoch is the manual clock's start in these tests.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// webhook is one request a test consumer received.
type webhook struct {
	Topic      mockplatform.Topic
	DocumentID int64
	RequestID  string
	Status     mockplatform.Status
	Body       []byte
	// Invalid is set when the body did not decode as the payload.
	Invalid bool
	Header  http.Header
	// At is the platform time when the request arrived.
	At time.Time
}

// consumer is a real HTTP webhook endpoint on loopback that records
// every request and answers with the status respond returns for the
// nth request (counted from 1) for the same event.
type consumer struct {
	t       testing.TB
	srv     *httptest.Server
	now     func() time.Time
	respond func(n int, w webhook) int

	mu       sync.Mutex
	got      []webhook
	attempts map[string]int
}

// newConsumer starts a consumer that reads platform time from now; a
// nil respond answers 204 to everything.
func newConsumer(t testing.TB, now func() time.Time, respond func(n int, w webhook) int) *consumer {
	t.Helper()
	c := &consumer{t: t, now: now, respond: respond, attempts: map[string]int{}}
	c.srv = httptest.NewServer(http.HandlerFunc(c.serve))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *consumer) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		c.t.Errorf("consumer: read body: %v", err)
		return
	}
	var p struct {
		Topic      mockplatform.Topic `json:"topic"`
		RequestID  string             `json:"request_id"`
		Attributes struct {
			DocumentID int64               `json:"document_id"`
			Status     mockplatform.Status `json:"status"`
		} `json:"attributes"`
	}
	// Corruption faults send bodies that are not the payload on
	// purpose; tests that expect the payload check Invalid.
	invalid := json.Unmarshal(body, &p) != nil
	hook := webhook{
		Invalid: invalid,
		Topic:   p.Topic, DocumentID: p.Attributes.DocumentID, RequestID: p.RequestID,
		Status: p.Attributes.Status, Body: body, Header: r.Header.Clone(), At: c.now(),
	}
	c.mu.Lock()
	key := fmt.Sprintf("%d/%s", hook.DocumentID, hook.Topic)
	c.attempts[key]++
	n := c.attempts[key]
	c.got = append(c.got, hook)
	c.mu.Unlock()

	status := http.StatusNoContent
	if c.respond != nil {
		status = c.respond(n, hook)
	}
	w.WriteHeader(status)
}

// received returns the requests so far in arrival order.
func (c *consumer) received() []webhook {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]webhook(nil), c.got...)
}

// topicsOf returns the topics received for one document, in order.
func (c *consumer) topicsOf(id int64) []mockplatform.Topic {
	var out []mockplatform.Topic
	for _, w := range c.received() {
		if w.DocumentID == id {
			out = append(out, w.Topic)
		}
	}
	return out
}

// startManual starts a platform on a manual clock, closed when the test
// ends. The clock starts at epoch unless opts.Clock is a manual clock.
func startManual(t testing.TB, opts mockplatform.Options) (*mockplatform.Platform, *clock.Manual) {
	t.Helper()
	m, ok := opts.Clock.(*clock.Manual)
	if !ok {
		m = clock.NewManual(epoch)
		opts.Clock = m
	}
	p, err := mockplatform.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p, m
}

// advance moves the platform's manual clock and fails the test on error.
func advance(t testing.TB, p *mockplatform.Platform, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Advance(ctx, d); err != nil {
		t.Fatalf("Advance(%s): %v", d, err)
	}
}

// upload creates a document through the Go API and fails the test on
// error.
func upload(t testing.TB, p *mockplatform.Platform, in mockplatform.Upload) mockplatform.Document {
	t.Helper()
	if in.TenantID == 0 {
		in.TenantID = mockplatform.DefaultTenant
	}
	doc, err := p.Upload(in)
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	return doc
}

// jsonIndent writes body indented by two spaces with a final newline.
func jsonIndent(dst *bytes.Buffer, body []byte) error {
	if err := json.Indent(dst, body, "", "  "); err != nil {
		return err
	}
	dst.WriteByte('\n')
	return nil
}
