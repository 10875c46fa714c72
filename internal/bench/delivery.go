package bench

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// epoch is the start of the manual clocks, a fixed time so runs
// compare.
var epoch = time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)

// waitLimit bounds every wait for deliveries, so a stalled run fails
// with a message instead of hanging.
const waitLimit = 2 * time.Minute

// measureDelivery measures how many webhooks per second a platform
// delivers to a consumer that responds with 204, beside plain clients that
// send the same bytes to the same consumer through a transport with
// the same settings, from as many goroutines as the platform keeps
// attempts in flight to one URL.
//
// The platform runs on a manual clock. Each round uploads documents
// with the fail-inbound profile, untimed, and then times the advance
// of the clock by 2 s, in which processing-failed fires for every
// document at one instant and the platform builds, sends and records
// each webhook, because its one subscription takes that topic alone.
// The delivery journal keeps every attempt.
func measureDelivery(ctx context.Context, cfg Config) (Sample, error) {
	cons, err := startConsumer(http.StatusNoContent)
	if err != nil {
		return Sample{}, err
	}
	defer cons.close()
	warmup := cfg.warmup(cfg.Deliveries)
	p, err := mockplatform.Start(mockplatform.Options{
		Clock:          clock.NewManual(epoch),
		DefaultProfile: "fail-inbound",
		Subscriptions: []mockplatform.Subscription{{
			URL:    cons.url,
			Topics: []mockplatform.Topic{mockplatform.TopicProcessingFailed},
		}},
		JournalLimit: warmup + cfg.Deliveries,
	})
	if err != nil {
		return Sample{}, fmt.Errorf("start platform: %w", err)
	}
	defer p.Close()

	if _, err := fireBurst(ctx, p, warmup); err != nil {
		return Sample{}, fmt.Errorf("warm up the platform: %w", err)
	}
	r, err := sampleRequest(cons)
	if err != nil {
		return Sample{}, err
	}

	client := &http.Client{Transport: mockplatform.DeliveryTransport()}
	defer client.CloseIdleConnections()
	if _, err := load(ctx, client, r, http.StatusNoContent, warmup, cfg.Concurrency); err != nil {
		return Sample{}, fmt.Errorf("warm up the plain clients: %w", err)
	}

	var raw, elapsed, rawCPU, platformCPU time.Duration
	for _, n := range rounds(cfg.Deliveries) {
		cpu := processCPU()
		d, err := load(ctx, client, r, http.StatusNoContent, n, cfg.Concurrency)
		rawCPU += processCPU() - cpu
		if err != nil {
			return Sample{}, err
		}
		raw += d

		cpu = processCPU()
		d, err = fireBurst(ctx, p, n)
		platformCPU += processCPU() - cpu
		if err != nil {
			return Sample{}, err
		}
		elapsed += d
	}
	if err := checkDelivered(p, warmup+cfg.Deliveries); err != nil {
		return Sample{}, err
	}
	return Sample{
		Value:    perSecond(cfg.Deliveries, elapsed),
		Baseline: perSecond(cfg.Deliveries, raw),
		Detail:   cpuDetail(platformCPU, rawCPU, cfg.Deliveries),
	}, nil
}

// fireBurst uploads n documents with the platform's default profile,
// then advances its manual clock by one step duration, and returns
// the wall time of the advance, which ends when every attempt it
// started has got its response and is recorded.
func fireBurst(ctx context.Context, p *mockplatform.Platform, n int) (time.Duration, error) {
	for range n {
		if _, err := p.Upload(mockplatform.Upload{TenantID: mockplatform.DefaultTenant}); err != nil {
			return 0, fmt.Errorf("upload: %w", err)
		}
	}
	start := time.Now()
	if err := p.Advance(ctx, mockplatform.DefaultStepDuration); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// roundCount is the number of rounds in which measurements alternate
// between the platform and its baseline, so that a burst of load from
// other processes slows both.
const roundCount = 5

// rounds splits n into at most roundCount positive parts that add up
// to n.
func rounds(n int) []int {
	parts := make([]int, 0, roundCount)
	for i := range roundCount {
		part := n / roundCount
		if i < n%roundCount {
			part++
		}
		if part > 0 {
			parts = append(parts, part)
		}
	}
	return parts
}

// checkDelivered returns an error unless the delivery journal holds
// exactly n attempts, each delivered.
func checkDelivered(p *mockplatform.Platform, n int) error {
	deliveries, dropped := p.Deliveries()
	delivered := 0
	for _, d := range deliveries {
		if d.Outcome == mockplatform.OutcomeDelivered {
			delivered++
		}
	}
	if delivered != n || len(deliveries) != n || dropped != 0 {
		return fmt.Errorf("delivery journal has %d records, %d delivered and %d dropped, want %d delivered: %s",
			len(deliveries), delivered, dropped, n, deliverySummary(p))
	}
	return nil
}

// deliverySummary counts the journal's outcomes and shows the first
// error, for messages about a run that went wrong.
func deliverySummary(p *mockplatform.Platform) string {
	deliveries, dropped := p.Deliveries()
	counts := map[mockplatform.Outcome]int{}
	firstError := ""
	for _, d := range deliveries {
		counts[d.Outcome]++
		if firstError == "" && d.Outcome == mockplatform.OutcomeFailed {
			firstError = fmt.Sprintf("; first failure: attempt %d of %s: status %d %s", d.Attempt, d.EventID, d.StatusCode, d.Error)
		}
	}
	return fmt.Sprintf("journal: %d delivered, %d failed, %d dropped records%s",
		counts[mockplatform.OutcomeDelivered], counts[mockplatform.OutcomeFailed], dropped, firstError)
}

func perSecond(n int, d time.Duration) float64 {
	return float64(n) / d.Seconds()
}
