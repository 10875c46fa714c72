package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

func TestDemoRunsToSuccess(t *testing.T) {
	var stdout, stderr syncBuffer
	args := []string{"--timeout", "30s", "--seed", "3"}
	if err := runDemo(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("runDemo(%q): %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"all 3 documents got every webhook in workflow order",
		"(straight-through): status done",
		"(manual-all): status done",
		"(fail-extraction): status failed",
		"ready-for-extraction-qc",
		"processing-failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
}

func TestDemoTimeout(t *testing.T) {
	var stdout, stderr syncBuffer
	// At real speed the first step takes 2 s, far beyond the timeout.
	err := runDemo(context.Background(), []string{"--time-scale", "1", "--timeout", "200ms"}, &stdout, &stderr)
	if err == nil {
		t.Fatal("runDemo with a 200ms timeout at real speed: got nil error")
	}
	if !strings.Contains(err.Error(), "wait for documents to finish") {
		t.Errorf("runDemo error = %q, want it to say which wait timed out", err)
	}
}

func TestDemoFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero time scale", []string{"--time-scale", "0"}, `invalid value "0" for flag --time-scale`},
		{"zero timeout", []string{"--timeout", "0s"}, `invalid value "0s" for flag --timeout`},
		{"timeout without unit", []string{"--timeout", "30"}, `invalid value "30" for flag --timeout: use a duration with a unit, such as "500ms", "10s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr syncBuffer
			assertUsageError(t, runDemo(context.Background(), tt.args, &stdout, &stderr), tt.want)
		})
	}
}

func TestDemoReceiverKeepsArrivalOrder(t *testing.T) {
	r := &demoReceiver{out: &lockedWriter{w: io.Discard}, received: make(map[int64][]receivedWebhook)}
	// The second topic arrives first, so the summary must report it.
	bodies := []string{
		`{"topic":"preprocessing-done","attributes":{"status":"in_progress","document_id":7,"updated_at":"2026-01-02T03:04:07.000Z"}}`,
		`{"topic":"document-received","attributes":{"status":"pending","document_id":7,"updated_at":"2026-01-02T03:04:05.000Z"}}`,
	}
	for _, body := range bodies {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/webhooks", strings.NewReader(body)))
		if rec.Code != http.StatusNoContent {
			t.Errorf("ServeHTTP(%s): status %d, want 204", body, rec.Code)
		}
	}
	want := []mockplatform.Topic{mockplatform.TopicPreprocessingDone, mockplatform.TopicDocumentReceived}
	if diff := cmp.Diff(want, r.topics(7)); diff != "" {
		t.Errorf("topics(7) arrival order mismatch (-want +got):\n%s", diff)
	}
	if problems := compareTopics([]mockplatform.Topic{mockplatform.TopicDocumentReceived, mockplatform.TopicPreprocessingDone}, r.topics(7)); len(problems) == 0 {
		t.Error("compareTopics found no problem with swapped topics")
	}
}

func TestDemoCompareTopics(t *testing.T) {
	const (
		received = mockplatform.TopicDocumentReceived
		pre      = mockplatform.TopicPreprocessingDone
		finished = mockplatform.TopicProcessingFinished
	)
	tests := []struct {
		name string
		got  []mockplatform.Topic
		want []string
	}{
		{"equal", []mockplatform.Topic{received, pre, finished}, nil},
		{"missing", []mockplatform.Topic{received, finished}, []string{"missing preprocessing-done"}},
		{"unexpected", []mockplatform.Topic{received, pre, finished, mockplatform.TopicProcessingFailed}, []string{"unexpected processing-failed"}},
		{"out of order", []mockplatform.Topic{pre, received, finished}, []string{"out of order or repeated: the platform fired document-received > preprocessing-done > processing-finished"}},
		{"repeated", []mockplatform.Topic{received, pre, pre, finished}, []string{"out of order or repeated: the platform fired document-received > preprocessing-done > processing-finished"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := compareTopics([]mockplatform.Topic{received, pre, finished}, tt.got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("compareTopics mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
