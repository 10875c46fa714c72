package assertions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// These tests judge hand-built records, one per edge of each check. The
// detection matrix test judges real consumers against a real platform.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func delivery(doc int64, topic mockplatform.Topic, attempt, status int, latency time.Duration, fault string) mockplatform.Delivery {
	return mockplatform.Delivery{
		EventID: "e", DocumentID: doc, Topic: topic, Attempt: attempt, StatusCode: status,
		Latency: latency, Fault: fault, SentAt: t0, Wall: t0, Outcome: mockplatform.OutcomeDelivered,
	}
}

func rule(id string, r mockplatform.Rule) mockplatform.RuleStatus {
	r.ID = id
	return mockplatform.RuleStatus{Rule: r}
}

func request(seq int64, ms int, method, path string, status int, fault string) mockplatform.Request {
	return mockplatform.Request{Seq: seq, Wall: at(ms), Method: method, Path: path, StatusCode: status, Latency: time.Millisecond, Fault: fault}
}

func TestChecksOnRecords(t *testing.T) {
	auth := rule("auth", mockplatform.Rule{Fault: mockplatform.FaultHeaders})
	topic := rule("topic", mockplatform.Rule{Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptUnknownTopic})
	badJSON := rule("json", mockplatform.Rule{Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptInvalidJSON})
	throttle := rule("throttle", mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: 429, RetryAfter: 2 * time.Second})
	boom := rule("boom", mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: 503})

	tests := []struct {
		name  string
		check assertions.Check
		rec   assertions.Record
		want  assertions.Status
		says  string // a part of the summary or first evidence
	}{
		{"acks fast", assertions.AcksFast{}, assertions.Record{Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 204, 5*time.Millisecond, ""),
		}}, assertions.Passed, "all 1"},
		{"acks slow", assertions.AcksFast{Deadline: time.Second}, assertions.Record{Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 204, 3*time.Second, ""),
		}}, assertions.Failed, "over the 1s deadline"},
		{"acks 500", assertions.AcksFast{}, assertions.Record{Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 500, time.Millisecond, ""),
		}}, assertions.Failed, "answered 500"},
		{"acks ignores damaged", assertions.AcksFast{}, assertions.Record{Rules: []mockplatform.RuleStatus{badJSON}, Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 400, time.Millisecond, "json"),
		}}, assertions.Inconclusive, "no valid webhook attempts"},
		{"rejects 401", assertions.RejectsUnauthenticated{}, assertions.Record{Rules: []mockplatform.RuleStatus{auth}, Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 401, time.Millisecond, "auth"),
		}}, assertions.Passed, ""},
		{"accepts without auth", assertions.RejectsUnauthenticated{}, assertions.Record{Rules: []mockplatform.RuleStatus{auth}, Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 204, time.Millisecond, "auth"),
		}}, assertions.Failed, "want 401 or 403"},
		{"unknown topic 500", assertions.ForwardCompatible{}, assertions.Record{Rules: []mockplatform.RuleStatus{topic}, Deliveries: []mockplatform.Delivery{
			delivery(1, "document-received", 1, 500, time.Millisecond, "topic"),
		}}, assertions.Failed, "want 2xx"},
		{"duplicate effects", assertions.Idempotent{}, assertions.Record{Effects: []mockplatform.Effect{
			{Seq: 1, DocumentID: 1, Topic: "document-received", Source: "webhook"},
			{Seq: 2, DocumentID: 1, Topic: "document-received", Source: "webhook"},
		}}, assertions.Failed, "2 effects for one event"},
		{"no effects", assertions.Idempotent{}, assertions.Record{}, assertions.Inconclusive, "/_mock/effects"},
		{"final view wrong", assertions.OrderRobust{}, assertions.Record{
			Documents: []mockplatform.Document{{ID: 1, Status: "done"}},
			Effects:   []mockplatform.Effect{{Seq: 1, DocumentID: 1, Status: "pending"}, {Seq: 2, DocumentID: 1, Status: "in_progress"}},
		}, assertions.Failed, "final view is in_progress"},
		{"view goes back", assertions.OrderRobust{}, assertions.Record{
			Documents: []mockplatform.Document{{ID: 1, Status: "done"}},
			Effects: []mockplatform.Effect{{Seq: 1, DocumentID: 1, Status: "done", Topic: "processing-finished"},
				{Seq: 2, DocumentID: 1, Status: "in_progress", Topic: "extraction-done"}, {Seq: 3, DocumentID: 1, Status: "done", Source: "poll"}},
		}, assertions.Failed, "view went back from done (effect #1) to in_progress"},
		{"polls for lost", assertions.PollsForLost{}, assertions.Record{
			Documents:  []mockplatform.Document{{ID: 7}},
			Events:     []mockplatform.Event{{ID: "x", DocumentID: 7, Topic: "processing-finished", State: "dropped"}},
			Deliveries: []mockplatform.Delivery{{EventID: "x", DocumentID: 7, Outcome: "dropped", Wall: at(0)}},
			Requests:   []mockplatform.Request{request(1, 3000, "GET", "/v2/documents/7", 200, "")},
		}, assertions.Passed, ""},
		{"never polls for lost", assertions.PollsForLost{}, assertions.Record{
			Documents:  []mockplatform.Document{{ID: 7}},
			Events:     []mockplatform.Event{{ID: "x", DocumentID: 7, Topic: "processing-finished", State: "dropped"}},
			Deliveries: []mockplatform.Delivery{{EventID: "x", DocumentID: 7, Outcome: "dropped", Wall: at(0)}},
		}, assertions.Failed, "did not ask the API within 7s"},
		{"poll storm", assertions.PollsPolitely{MaxRate: 2}, assertions.Record{Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 200, ""), request(2, 100, "GET", "/v2/documents/2", 200, ""),
			request(3, 200, "GET", "/v2/documents/3", 200, ""), request(4, 300, "GET", "/v2/documents/4", 200, ""),
		}}, assertions.Failed, "4 requests within one second"},
		{"honours retry-after", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{throttle}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 429, "throttle"), request(2, 2100, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Passed, ""},
		{"ignores retry-after", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{throttle}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 429, "throttle"), request(2, 20, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Failed, "before its Retry-After of 2s"},
		{"no retry on 5xx", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"),
		}}, assertions.Failed, "did not retry within 1.5s after a 503"},
		{"retries 404", assertions.RetriesPolitely{}, assertions.Record{Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 404, ""), request(2, 60, "GET", "/v2/documents/1", 404, ""),
		}}, assertions.Failed, "got 404"},
		{"growing retries", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"), request(2, 101, "GET", "/v2/documents/1", 503, "boom"),
			request(3, 302, "GET", "/v2/documents/1", 503, "boom"), request(4, 703, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Passed, ""},
		{"late request is no retry", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"), request(2, 2500, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Failed, "did not retry within 1.5s"},
		{"gave up after retrying", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"), request(2, 101, "GET", "/v2/documents/1", 503, "boom"),
		}}, assertions.Passed, ""},
		{"backoff past the window", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"), request(2, 801, "GET", "/v2/documents/1", 503, "boom"),
			request(3, 2402, "GET", "/v2/documents/1", 503, "boom"), request(4, 5603, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Passed, ""},
		{"hammering", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"), request(2, 3, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Failed, "sooner than 10ms"},
		{"flat retries", assertions.RetriesPolitely{}, assertions.Record{Rules: []mockplatform.RuleStatus{boom}, Requests: []mockplatform.Request{
			request(1, 0, "GET", "/v2/documents/1", 503, "boom"), request(2, 101, "GET", "/v2/documents/1", 503, "boom"),
			request(3, 202, "GET", "/v2/documents/1", 503, "boom"), request(4, 303, "GET", "/v2/documents/1", 200, ""),
		}}, assertions.Failed, "did not grow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.rec.At = at(60_000)
			got := tt.check.Evaluate(tt.rec, true)
			if got.Status != tt.want {
				t.Fatalf("%s.Evaluate = %s (%s %v), want %s", tt.check.Name(), got.Status, got.Summary, got.Evidence, tt.want)
			}
			text := got.Summary
			if len(got.Evidence) > 0 {
				text += " " + got.Evidence[0].String()
			}
			if !strings.Contains(text, tt.says) {
				t.Errorf("%s.Evaluate says %q, want it to mention %q", tt.check.Name(), text, tt.says)
			}
		})
	}
}

func TestPendingUntilKnown(t *testing.T) {
	rec := assertions.Record{
		At:         at(1000),
		Documents:  []mockplatform.Document{{ID: 7}},
		Events:     []mockplatform.Event{{ID: "x", DocumentID: 7, Topic: "processing-finished", State: "dropped"}},
		Deliveries: []mockplatform.Delivery{{EventID: "x", DocumentID: 7, Outcome: "dropped", Wall: at(0)}},
	}
	if got := (assertions.PollsForLost{}).Evaluate(rec, false); got.Status != assertions.Pending {
		t.Errorf("PollsForLost 1s after the drop = %s, want pending until the 7s window ends", got.Status)
	}
	if got := (assertions.PollsForLost{}).Evaluate(assertions.Record{At: at(0)}, false); got.Status != assertions.Pending {
		t.Errorf("PollsForLost before anything was missed = %s, want pending: a terminal webhook may still be dropped", got.Status)
	}
	rec.At = at(8000)
	if got := (assertions.PollsForLost{}).Evaluate(rec, false); got.Status != assertions.Failed {
		t.Errorf("PollsForLost after the window = %s, want failed without waiting for the end", got.Status)
	}
}
