package consumer

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// TestFinalStatusUnderWebhookFaults runs documents that finish and fail
// through duplicates, reordering and lost terminal webhooks. The
// consumer must end with the platform's final status and act once per
// event. It must poll the documents whose terminal webhook was lost,
// and stop polling once every document is terminal.
func TestFinalStatusUnderWebhookFaults(t *testing.T) {
	t.Parallel()
	cfg := Config{Overdue: 500 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	e := startEnv(t, cfg, mockplatform.Options{Seed: 7})
	rules := []mockplatform.Rule{
		{ID: "dup", Fault: mockplatform.FaultDuplicate, When: mockplatform.When{Probability: 0.4}, NewRequestID: true},
		{ID: "dup-concurrent", Fault: mockplatform.FaultDuplicate, When: mockplatform.When{Probability: 0.2}, Copies: 2, Concurrent: true},
		{ID: "reorder", Fault: mockplatform.FaultReorder, When: mockplatform.When{Probability: 0.3}},
		{ID: "drop-end", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{
			Topics:     []mockplatform.Topic{mockplatform.TopicProcessingFinished, mockplatform.TopicProcessingFailed},
			ExternalID: "drop-*",
		}},
	}
	for _, r := range rules {
		e.addRule(r)
	}

	var docs []mockplatform.Document
	dropped := map[int64]bool{}
	for i := range 8 {
		in := mockplatform.Upload{ExternalID: fmt.Sprintf("keep-%d", i)}
		if i%2 == 0 {
			in.ExternalID = fmt.Sprintf("drop-%d", i)
		}
		if i%4 < 2 {
			in.Profile = "fail-extraction"
		}
		doc := e.upload(in)
		docs = append(docs, doc)
		dropped[doc.ID] = i%2 == 0
	}
	e.waitIdle()
	for _, doc := range docs {
		final, _ := e.p.Document(doc.ID)
		waitFor(t, fmt.Sprintf("document %d to reach status %s", doc.ID, final.Status), func() bool {
			return e.c.State()[doc.ID].Status == final.Status
		})
	}
	e.flush()

	for _, r := range e.p.Rules() {
		if r.Fired == 0 {
			t.Errorf("fault rule %s never fired, so the test did not exercise it", r.Rule.ID)
		}
	}
	checkOneEffectPerDeliveredEvent(t, e)
	for _, doc := range docs {
		final, _ := e.p.Document(doc.ID)
		last, _ := e.effects.last(doc.ID)
		if last.Status != final.Status {
			t.Errorf("document %d: last effect has status %q, want the platform's final %q", doc.ID, last.Status, final.Status)
		}
		polls := getCount(e.p, doc.ID)
		if dropped[doc.ID] && polls == 0 {
			t.Errorf("document %d lost its terminal webhook but was never polled", doc.ID)
		}
	}

	before := totalGets(e, docs)
	time.Sleep(3 * cfg.Overdue)
	if after := totalGets(e, docs); after != before {
		t.Errorf("GET requests for terminal documents went on: %d before waiting 3 overdue periods, %d after", before, after)
	}
}

// checkOneEffectPerDeliveredEvent checks that every event the platform
// delivered with a 2xx has exactly one webhook effect, and that no
// other event has one.
func checkOneEffectPerDeliveredEvent(t *testing.T, e *testEnv) {
	t.Helper()
	deliveries, _ := e.p.Deliveries()
	want := map[eventKey]int{}
	copies := 0
	for _, d := range deliveries {
		if d.StatusCode >= 200 && d.StatusCode <= 299 {
			want[eventKey{d.DocumentID, d.Topic}] = 1
			if d.Copy > 0 {
				copies++
			}
		}
	}
	if copies == 0 {
		t.Errorf("no duplicate copy was delivered, so the test did not exercise deduplication")
	}
	if diff := cmp.Diff(want, e.effects.webhookCounts(), cmp.AllowUnexported(eventKey{})); diff != "" {
		t.Errorf("webhook effects per (document, topic) mismatch (-want +got):\n%s", diff)
	}
}

func totalGets(e *testEnv, docs []mockplatform.Document) int {
	n := 0
	for _, doc := range docs {
		n += getCount(e.p, doc.ID)
	}
	return n
}

// TestDeduplicatesRepeatedDeliveries covers the two ways one event
// arrives twice: the platform's own retry after a lost response, with
// the same request_id, and copies sent at the same time with new
// request_ids.
func TestDeduplicatesRepeatedDeliveries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rule mockplatform.Rule
	}{
		{"lost ack retries", mockplatform.Rule{ID: "lost", Fault: mockplatform.FaultLostAck, Match: mockplatform.Match{Attempts: []int{1}}}},
		{"concurrent copies", mockplatform.Rule{ID: "copies", Fault: mockplatform.FaultDuplicate, Copies: 3, Concurrent: true, NewRequestID: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{}, mockplatform.Options{})
			e.addRule(tt.rule)
			docs := []mockplatform.Document{e.upload(mockplatform.Upload{}), e.upload(mockplatform.Upload{})}
			e.waitIdle()
			e.flush()

			if n := len(deliveriesOf(e.p, tt.rule.ID)); n == 0 {
				t.Fatalf("rule %s acted on no delivery", tt.rule.ID)
			}
			for key, n := range e.effects.webhookCounts() {
				if n != 1 {
					t.Errorf("document %d topic %s: %d webhook effects, want 1", key.document, key.topic, n)
				}
			}
			for _, doc := range docs {
				events := eventsOf(e.p, doc.ID)
				if got := e.c.State()[doc.ID].Webhooks; got != events {
					t.Errorf("document %d: acted on %d webhooks, want one per event, %d", doc.ID, got, events)
				}
			}
		})
	}
}

// eventsOf counts the platform's events for a document.
func eventsOf(p *mockplatform.Platform, id int64) int {
	n := 0
	for _, ev := range p.Events() {
		if ev.DocumentID == id {
			n++
		}
	}
	return n
}
