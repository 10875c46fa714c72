package bench

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// virtualSpan is how far the manual clock advances: past the last
// retry, which comes at most 16 s of workflow, 17 h 9 min 36 s of
// retry waits and 8 jitters under 30 s each after the upload.
const virtualSpan = 18 * time.Hour

// virtualRounds are the ends of the rounds of the virtual time
// measurement, as platform time since the upload. They double, so the
// first rounds hold the first attempts and short retries, and each
// later round about one wave of retries.
var virtualRounds = []time.Duration{
	time.Minute, 4 * time.Minute, 16 * time.Minute, time.Hour,
	2*time.Hour + 30*time.Minute, 5 * time.Hour, 10 * time.Hour, virtualSpan,
}

// measureVirtual measures the wall time of a whole retry schedule on
// the manual clock: documents whose processing-finished webhook goes
// to an endpoint that always responds with 500, until every event is lost
// after its 9th attempt. The baseline is the wall time of a plain
// client sending the same number of requests with the same bytes to
// the same endpoint one after another, because the manual clock sends
// the attempts of one instant, almost always a single one, before it
// moves on. The detail compares with plain clients sending from
// cfg.Concurrency goroutines too.
//
// The clock advances in rounds, and after each round the plain client
// sends as many requests as the platform sent in it, so that load from
// other processes slows both alike.
func measureVirtual(ctx context.Context, cfg Config) (Sample, error) {
	cons, err := startConsumer(http.StatusInternalServerError)
	if err != nil {
		return Sample{}, err
	}
	defer cons.close()
	attempts := cfg.VirtualDocuments * (mockplatform.MaxRetries + 1)
	p, err := mockplatform.Start(mockplatform.Options{
		Clock: clock.NewManual(epoch),
		Seed:  1,
		Subscriptions: []mockplatform.Subscription{{
			URL:    cons.url,
			Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished},
		}},
		JournalLimit: attempts,
	})
	if err != nil {
		return Sample{}, fmt.Errorf("start platform: %w", err)
	}
	defer p.Close()
	client := &http.Client{Transport: mockplatform.DeliveryTransport()}
	defer client.CloseIdleConnections()

	start := time.Now()
	for range cfg.VirtualDocuments {
		if _, err := p.Upload(mockplatform.Upload{TenantID: mockplatform.DefaultTenant}); err != nil {
			return Sample{}, fmt.Errorf("upload: %w", err)
		}
	}
	elapsed := time.Since(start)
	var sequential time.Duration
	var r request
	reached := time.Duration(0)
	for _, end := range virtualRounds {
		sent := cons.count.Load()
		start := time.Now()
		if err := p.Advance(ctx, end-reached); err != nil {
			return Sample{}, err
		}
		elapsed += time.Since(start)
		reached = end
		n := int(cons.count.Load() - sent)
		if n == 0 {
			continue
		}
		if r.body == nil {
			if r, err = sampleRequest(cons); err != nil {
				return Sample{}, err
			}
		}
		d, err := load(ctx, client, r, http.StatusInternalServerError, n, 1)
		if err != nil {
			return Sample{}, err
		}
		sequential += d
	}
	span, instants, err := checkLost(p, cfg.VirtualDocuments)
	if err != nil {
		return Sample{}, err
	}
	if got := cons.count.Load(); got != 2*int64(attempts) {
		return Sample{}, fmt.Errorf("the consumer received %d requests, want %d attempts and as many plain client requests", got, 2*attempts)
	}
	concurrent, err := load(ctx, client, r, http.StatusInternalServerError, attempts, cfg.Concurrency)
	if err != nil {
		return Sample{}, err
	}
	return Sample{
		Value:    elapsed.Seconds(),
		Baseline: sequential.Seconds(),
		Detail: fmt.Sprintf("%d attempts at %d instants in %d rounds; every event lost after 9; platform time from first to last attempt of an event %s; "+
			"plain clients from %s %.2f s, ratio %.2f",
			attempts, instants, len(virtualRounds), span, count(cfg.Concurrency, "goroutine"), concurrent.Seconds(), elapsed.Seconds()/concurrent.Seconds()),
	}, nil
}

// sampleRequest returns a plain client request with the body and the
// header of the first webhook the consumer received.
func sampleRequest(cons *consumer) (request, error) {
	body, header, err := cons.samplePayload()
	if err != nil {
		return request{}, err
	}
	return request{method: http.MethodPost, url: cons.url, body: body, header: http.Header{
		"Content-Type": header["Content-Type"],
		"User-Agent":   header["User-Agent"],
	}}, nil
}

// checkLost returns an error unless the platform lost every event of
// its n documents after exactly 9 attempts, each of them recorded as
// failed with status 500. It returns the range of the platform time
// from the first to the last attempt of an event, and the number of
// instants at which attempts were sent.
func checkLost(p *mockplatform.Platform, n int) (string, int, error) {
	events := p.Events()

	if len(events) != n {
		return "", 0, fmt.Errorf("platform has %d events, want %d", len(events), n)
	}
	for _, e := range events {
		if e.State != mockplatform.EventLost || e.Attempts != mockplatform.MaxRetries+1 {
			return "", 0, fmt.Errorf("event %s is %s after %d attempts, want lost after %d", e.ID, e.State, e.Attempts, mockplatform.MaxRetries+1)
		}
	}
	deliveries, dropped := p.Deliveries()
	if dropped != 0 || len(deliveries) != n*(mockplatform.MaxRetries+1) {
		return "", 0, fmt.Errorf("delivery journal has %d records and dropped %d, want %d", len(deliveries), dropped, n*(mockplatform.MaxRetries+1))
	}

	first := make(map[string]time.Time, n)
	last := make(map[string]time.Time, n)
	instants := make(map[time.Time]bool)
	for _, d := range deliveries {
		instants[d.SentAt] = true
		if d.Outcome != mockplatform.OutcomeFailed || d.StatusCode != http.StatusInternalServerError {
			return "", 0, fmt.Errorf("attempt %d of %s: outcome %s, status %d, want failed with 500", d.Attempt, d.EventID, d.Outcome, d.StatusCode)
		}
		switch d.Attempt {
		case 1:
			first[d.EventID] = d.SentAt
		case mockplatform.MaxRetries + 1:
			last[d.EventID] = d.SentAt
		}
	}

	spans := make([]time.Duration, 0, n)
	for id, t := range first {
		spans = append(spans, last[id].Sub(t))
	}
	slices.Sort(spans)
	return fmt.Sprintf("%s to %s", spans[0].Round(time.Second), spans[len(spans)-1].Round(time.Second)), len(instants), nil
}
