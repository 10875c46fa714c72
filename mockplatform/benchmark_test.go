package mockplatform

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// The benchmarks below time the platform's hot paths without a
// network, so their ns/op and allocs/op are the platform's own cost.
// Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 ./mockplatform > new.txt

// benchEpoch is the start of the benchmarks' manual clocks.
var benchEpoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// benchDocument is a document as a webhook payload sees it after
// upload, with an external id and one custom field.
func benchDocument() Document {
	return Document{
		ID: 100001, TenantID: 1, ExternalID: "INV-2026-0001",
		Status: StatusPending, WorkflowStep: StageInbound,
		CustomFields: map[string]any{"mock_profile": "straight-through"},
		CreatedAt:    benchEpoch, UpdatedAt: benchEpoch,
	}
}

// BenchmarkPayloadEncoding builds and encodes one webhook payload, as
// emit does for every event.
func BenchmarkPayloadEncoding(b *testing.B) {
	doc := benchDocument()
	b.ReportAllocs()
	for b.Loop() {
		pl := newPayload(doc, TopicDocumentReceived)
		pl.RequestID = "dddc8b2ab57d333f8afa4ba45dd4436e"
		if _, err := pl.marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJournalAppend reserves a sequence number and stores one
// delivery record in a journal that is full, so every append drops the
// oldest record.
func BenchmarkJournalAppend(b *testing.B) {
	r := newRing[Delivery](1000)
	d := Delivery{EventID: "100001.wh-1.document-received", Subscription: "wh-1", Topic: TopicDocumentReceived,
		Attempt: 1, Outcome: OutcomeDelivered, StatusCode: http.StatusNoContent}
	for range 1000 {
		r.add(func(int64) Delivery { return d })
	}
	b.ReportAllocs()
	for b.Loop() {
		seq := r.reserve()
		d.Seq = seq
		r.put(seq, d)
	}
}

// BenchmarkScheduleAdvance schedules one callback at its own instant
// on a manual clock and advances the clock through it, as every retry
// does in virtual time.
func BenchmarkScheduleAdvance(b *testing.B) {
	p, err := New(Options{Clock: clock.NewManual(benchEpoch)})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		p.after(time.Millisecond, stepKey(1, 1), func() {}, nil)
		if err := p.Advance(ctx, time.Millisecond); err != nil {
			b.Fatal(err)
		}
	}
}

// answerTransport answers every request without a network and signals
// when it has answered target requests.
type answerTransport struct {
	// status is the status of every response; zero means 204.
	status int
	count  atomic.Int64
	target atomic.Int64
	done   chan struct{}
}

func (t *answerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	if t.count.Add(1) == t.target.Load() {
		close(t.done)
	}
	status := t.status
	if status == 0 {
		status = http.StatusNoContent
	}
	return &http.Response{StatusCode: status, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// newBenchPlatform returns a platform on a manual clock that delivers
// document-received webhooks through tr. It calls tr as it calls the
// transport of its default client, not through an http.Client, so the
// benchmarks time the path that deliveries take unless
// Options.HTTPClient is set.
func newBenchPlatform(b *testing.B, tr http.RoundTripper) *Platform {
	b.Helper()
	p, err := New(Options{
		Clock: clock.NewManual(benchEpoch),
		Subscriptions: []Subscription{{
			URL: "http://127.0.0.1:9/webhooks", Topics: []Topic{TopicDocumentReceived},
		}},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	p.transport = tr
	return p
}

// BenchmarkDelivery uploads a document and delivers its
// document-received webhook through a transport that responds with
// 204 at once, with the delivery journal on. It is the platform's own
// cost per delivery.
func BenchmarkDelivery(b *testing.B) {
	tr := &answerTransport{done: make(chan struct{})}
	p := newBenchPlatform(b, tr)
	b.ReportAllocs()
	tr.target.Store(int64(b.N))
	b.ResetTimer()
	for range b.N {
		if _, err := p.Upload(Upload{TenantID: DefaultTenant}); err != nil {
			b.Fatal(err)
		}
	}
	<-tr.done
}

// BenchmarkRetryInstant sends attempts that fail with 500, each at an
// instant of its own on a manual clock, through a transport that
// answers at once: the platform's cost per instant of virtual time,
// from firing the retry's timer to scheduling the next one.
func BenchmarkRetryInstant(b *testing.B) {
	tr := &answerTransport{status: http.StatusInternalServerError, done: make(chan struct{})}
	p := newBenchPlatform(b, tr)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		// 9 attempts per event at 9 instants, so b.N is rounded up to
		// whole events.
		b.StopTimer()
		if _, err := p.Upload(Upload{TenantID: DefaultTenant, Profile: "fail-inbound"}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for n := 1; n <= MaxRetries; n++ {
			if err := p.Advance(ctx, RetryDelay(n)+MaxJitter); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*MaxRetries), "ns/instant")
}

// BenchmarkRetrySchedule runs the schedule of the virtual time figure
// of the bench command without a network: 10,000 events whose every
// attempt fails with 500, from upload until each is lost after 9
// attempts, with every attempt journaled. Unlike BenchmarkRetryInstant,
// the platform holds 10,000 timers, events and documents and a journal
// of 90,000 attempts, as in the real run. ns/attempt is the platform's
// own cost per attempt, which adds to the round trip of each instant.
func BenchmarkRetrySchedule(b *testing.B) {
	const events = 10_000
	const attempts = events * (MaxRetries + 1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		tr := &answerTransport{status: http.StatusInternalServerError, done: make(chan struct{})}
		p, err := New(Options{
			Clock: clock.NewManual(benchEpoch), Seed: 1,
			Subscriptions: []Subscription{{URL: "http://127.0.0.1:9/webhooks", Topics: []Topic{TopicProcessingFinished}}},
			JournalLimit:  attempts,
		})
		if err != nil {
			b.Fatal(err)
		}
		p.transport = tr
		for range events {
			if _, err := p.Upload(Upload{TenantID: DefaultTenant}); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Advance(ctx, 18*time.Hour); err != nil {
			b.Fatal(err)
		}
		if got := tr.count.Load(); got != attempts {
			b.Fatalf("the transport got %d attempts, want %d", got, attempts)
		}
		p.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*attempts), "ns/attempt")
}

// BenchmarkShowDocument serves GET /v2/documents/{id} through the
// platform's handler, with the request journal on.
func BenchmarkShowDocument(b *testing.B) {
	p, err := New(Options{Clock: clock.NewManual(benchEpoch)})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	doc, err := p.Upload(Upload{TenantID: DefaultTenant, ExternalID: "INV-2026-0001"})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Advance(context.Background(), time.Minute); err != nil {
		b.Fatal(err)
	}
	target := &url.URL{Path: fmt.Sprintf("/v2/documents/%d", doc.ID)}
	header := http.Header{"Authorization": {"Bearer " + DefaultToken}}
	h := p.Handler()
	w := &discardWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		req := &http.Request{Method: http.MethodGet, URL: target, Header: header, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
		clear(w.header)
		w.status = 0
		h.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			b.Fatalf("GET %s: status %d", target.Path, w.status)
		}
	}
}

// discardWriter is a ResponseWriter that keeps the status and drops
// the body, so a benchmark counts the handler's cost alone.
type discardWriter struct {
	header http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.header }

func (w *discardWriter) WriteHeader(status int) { w.status = status }

func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
