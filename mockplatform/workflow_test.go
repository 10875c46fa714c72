package mockplatform_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// Topic lists written out in full, so the tests do not trust the plan
// they check.
var (
	inboundTopics = []mockplatform.Topic{"document-received", "preprocessing-done"}
	separation    = []mockplatform.Topic{"automatic-separation-done", "separation-done"}
	classifying   = []mockplatform.Topic{"automatic-classification-done", "classification-done"}
	extracting    = []mockplatform.Topic{"automatic-extraction-done", "extraction-done"}
)

func concat(lists ...[]mockplatform.Topic) []mockplatform.Topic {
	var out []mockplatform.Topic
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func TestWorkflowTopicOrder(t *testing.T) {
	failed := []mockplatform.Topic{"processing-failed"}
	tests := []struct {
		profile    string
		want       []mockplatform.Topic
		wantStatus mockplatform.Status
		wantStep   mockplatform.Stage
	}{
		{"straight-through", concat(inboundTopics, separation, classifying, extracting, []mockplatform.Topic{"processing-finished"}), "done", "outbound"},
		{"manual-all", []mockplatform.Topic{
			"document-received", "preprocessing-done",
			"automatic-separation-done", "ready-for-separation-first-level", "ready-for-separation-second-level",
			"ready-for-separation-third-level", "ready-for-separation-qc", "separation-done",
			"automatic-classification-done", "ready-for-classification-first-level", "ready-for-classification-second-level",
			"ready-for-classification-third-level", "ready-for-classification-qc", "classification-done",
			"automatic-extraction-done", "ready-for-extraction-first-level", "ready-for-extraction-second-level",
			"ready-for-extraction-third-level", "ready-for-extraction-qc", "extraction-done",
			"processing-finished",
		}, "done", "outbound"},
		{"fail-inbound", concat([]mockplatform.Topic{"document-received"}, failed), "failed", "inbound"},
		{"fail-separation", concat(inboundTopics, failed), "failed", "separation"},
		{"fail-classification", concat(inboundTopics, separation, failed), "failed", "classification"},
		{"fail-extraction", concat(inboundTopics, separation, classifying, failed), "failed", "extraction"},
		{"fail-outbound", concat(inboundTopics, separation, classifying, extracting, failed), "failed", "outbound"},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			var p *mockplatform.Platform
			var mu sync.Mutex
			var inconsistent []string
			c := newConsumer(t, func() time.Time { return p.Clock().Now() }, func(_ int, w webhook) int {
				if w.Invalid {
					mu.Lock()
					inconsistent = append(inconsistent, fmt.Sprintf("body is not the payload: %s", w.Body))
					mu.Unlock()
				}
				// The API must already show the step a webhook announces.
				doc, _ := p.Document(w.DocumentID)
				if !slices.Contains(doc.Topics, w.Topic) {
					mu.Lock()
					inconsistent = append(inconsistent, fmt.Sprintf("%s arrived while the document shows %v", w.Topic, doc.Topics))
					mu.Unlock()
				}
				if w.Status != w.Topic.Status() {
					mu.Lock()
					inconsistent = append(inconsistent, fmt.Sprintf("%s carries status %s, want %s", w.Topic, w.Status, w.Topic.Status()))
					mu.Unlock()
				}
				return http.StatusOK
			})
			p, _ = startManual(t, mockplatform.Options{
				Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL + "/hooks"}},
			})
			doc := upload(t, p, mockplatform.Upload{Profile: tt.profile})
			advance(t, p, 24*time.Hour)

			if diff := cmp.Diff(tt.want, c.topicsOf(doc.ID)); diff != "" {
				t.Errorf("topics received for document %d mismatch (-want +got):\n%s", doc.ID, diff)
			}
			got, _ := p.Document(doc.ID)
			if diff := cmp.Diff(tt.want, got.Topics); diff != "" {
				t.Errorf("Document(%d).Topics mismatch (-want +got):\n%s", doc.ID, diff)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("Document(%d).Status = %s, want %s", doc.ID, got.Status, tt.wantStatus)
			}
			if got.WorkflowStep != tt.wantStep {
				t.Errorf("Document(%d).WorkflowStep = %s, want %s", doc.ID, got.WorkflowStep, tt.wantStep)
			}
			for _, msg := range inconsistent {
				t.Error(msg)
			}
			for _, e := range p.Events() {
				if e.State != mockplatform.EventDelivered {
					t.Errorf("event %s is %s, want delivered", e.ID, e.State)
				}
			}
		})
	}
}

func TestWorkflowClassificationAndExtraction(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{Seed: 7})
	doc := upload(t, p, mockplatform.Upload{})
	advance(t, p, time.Hour)

	got, _ := p.Document(doc.ID)
	if got.DocumentType == "" {
		t.Error("DocumentType is empty after classification")
	}
	if len(got.Fields) == 0 {
		t.Fatal("Fields is empty after extraction")
	}
	for _, f := range got.Fields {
		if f.Identifier == "" || f.Value == "" || len(f.Candidates) == 0 {
			t.Errorf("field %+v lacks an identifier, a value or candidates", f)
		}
	}

	// The same seed gives the same fake values.
	again, _ := startManual(t, mockplatform.Options{Seed: 7})
	upload(t, again, mockplatform.Upload{})
	advance(t, again, time.Hour)
	same, _ := again.Document(doc.ID)
	if diff := cmp.Diff(got.Fields, same.Fields); diff != "" {
		t.Errorf("fields differ between two platforms with seed 7 (-first +second):\n%s", diff)
	}
}

func TestWebhookPayloadGolden(t *testing.T) {
	var p *mockplatform.Platform
	c := newConsumer(t, func() time.Time { return p.Clock().Now() }, nil)
	p, _ = startManual(t, mockplatform.Options{
		Clock:           clock.NewManual(time.Date(2021, 5, 12, 10, 5, 46, 229_000_000, time.UTC)),
		Seed:            42,
		FirstDocumentID: 107786,
		Tokens:          map[string]int64{"golden": 1385},
		Subscriptions: []mockplatform.Subscription{{
			URL:     c.srv.URL,
			Topics:  []mockplatform.Topic{mockplatform.TopicDocumentReceived},
			Headers: map[string]string{"Authorization": "Bearer hook-secret"},
		}},
	})
	upload(t, p, mockplatform.Upload{
		TenantID:     1385,
		ExternalID:   "EX123456789",
		CustomFields: map[string]any{"SomeCustomField": "some value"},
	})
	advance(t, p, time.Second)

	got := c.received()
	if len(got) != 1 {
		t.Fatalf("received %d webhooks, want 1", len(got))
	}
	var indented bytes.Buffer
	if err := jsonIndent(&indented, got[0].Body); err != nil {
		t.Fatalf("webhook body is not JSON: %v", err)
	}
	golden := filepath.Join("..", "testdata", "golden", "webhook-document-received.json")
	if *update {
		if err := os.WriteFile(golden, indented.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), indented.String()); diff != "" {
		t.Errorf("webhook body mismatch (-want +got):\n%s", diff)
	}
	if h := got[0].Header.Get("Authorization"); h != "Bearer hook-secret" {
		t.Errorf("Authorization header = %q, want the configured value", h)
	}
	if ct := got[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	deliveries, _ := p.Deliveries()
	if h := deliveries[0].Headers["Authorization"]; h != mockplatform.MaskedValue {
		t.Errorf("journal shows Authorization %q, want it masked", h)
	}
}

func TestTopicsArriveInOrderOnFastClock(t *testing.T) {
	// Steps 1 ms apart are shorter than the consumer's answer, so only
	// the per-document ordering keeps the topics in order.
	c := newConsumer(t, time.Now, func(n int, w webhook) int {
		time.Sleep(time.Duration(w.DocumentID%3) * time.Millisecond)
		return http.StatusOK
	})
	p, err := mockplatform.Start(mockplatform.Options{
		Clock:          clock.Real(),
		Profiles:       []mockplatform.Profile{{Name: "quick", StepDuration: time.Millisecond, ManualDuration: time.Millisecond, Extraction: []mockplatform.Level{"first", "qc"}}},
		DefaultProfile: "quick",
		Subscriptions:  []mockplatform.Subscription{{URL: c.srv.URL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var docs []mockplatform.Document
	for range 10 {
		docs = append(docs, upload(t, p, mockplatform.Upload{}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatalf("WaitIdle: %v", err)
	}
	for _, d := range docs {
		got, _ := p.Document(d.ID)
		if diff := cmp.Diff(got.Topics, c.topicsOf(d.ID)); diff != "" {
			t.Errorf("document %d: topics received out of order (-fired +received):\n%s", d.ID, diff)
		}
	}
}
