package consumer

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// startHandler serves the handler of a consumer that is not running,
// so the tests can see what the handler queued.
func startHandler(t *testing.T, cfg Config) (*Consumer, string) {
	t.Helper()
	cfg.APIURL = "http://127.0.0.1:1"
	cfg.Token = "token"
	cfg.WebhookSecret = testSecret
	c := newConsumer(t, cfg)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return c, srv.URL
}

func TestWebhookHandler(t *testing.T) {
	t.Parallel()
	valid := webhookBody(100001, mockplatform.TopicPreprocessingDone, "ef083852541ff078340a516432aee2f4")
	withExtras := []byte(`{"id":"100001","type":"documents","topic":"preprocessing-done","request_id":"r1",
		"attributes":{"document_id":100001,"status":"in_progress","page_count":3,"batch":{"id":"b-1"}},
		"meta":{"api_version":"v3"}}`)
	tests := []struct {
		name       string
		auth       string
		body       []byte
		wantStatus int
		wantQueued int
	}{
		{"valid", "Bearer " + testSecret, valid, http.StatusNoContent, 1},
		{"scheme in lower case", "bearer " + testSecret, valid, http.StatusNoContent, 1},
		{"missing Authorization", "", valid, http.StatusUnauthorized, 0},
		{"wrong secret", "Bearer wrong", valid, http.StatusUnauthorized, 0},
		{"secret as prefix", "Bearer " + testSecret + "x", valid, http.StatusUnauthorized, 0},
		{"other scheme", "Basic " + testSecret, valid, http.StatusUnauthorized, 0},
		{"not JSON", "Bearer " + testSecret, []byte("document_id=1"), http.StatusBadRequest, 0},
		{"truncated JSON", "Bearer " + testSecret, valid[:len(valid)/2], http.StatusBadRequest, 0},
		{"no document_id", "Bearer " + testSecret, []byte(`{"topic":"preprocessing-done","attributes":{}}`), http.StatusBadRequest, 0},
		{"no topic", "Bearer " + testSecret, []byte(`{"attributes":{"document_id":1}}`), http.StatusBadRequest, 0},
		{"unknown topic", "Bearer " + testSecret, webhookBody(100001, mockplatform.UnknownTopic, "r2"), http.StatusNoContent, 0},
		{"unknown members", "Bearer " + testSecret, withExtras, http.StatusNoContent, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, url := startHandler(t, Config{})
			if got := postWebhook(t, url, tt.auth, tt.body); got != tt.wantStatus {
				t.Errorf("status = %d, want %d", got, tt.wantStatus)
			}
			if got := len(c.queue); got != tt.wantQueued {
				t.Errorf("queued events = %d, want %d", got, tt.wantQueued)
			}
		})
	}
}

func TestWebhookBodyTooLarge(t *testing.T) {
	t.Parallel()
	_, url := startHandler(t, Config{MaxBodyBytes: 512})
	body := []byte(`{"topic":"preprocessing-done","attributes":{"document_id":1,"custom_fields":{"x":"` +
		strings.Repeat("a", 1024) + `"}}}`)
	if got := postWebhook(t, url, "Bearer "+testSecret, body); got != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d, want 413", got)
	}
}

func TestWebhookQueueFull(t *testing.T) {
	t.Parallel()
	_, url := startHandler(t, Config{QueueSize: 1})
	first := webhookBody(100001, mockplatform.TopicDocumentReceived, "r1")
	second := webhookBody(100001, mockplatform.TopicPreprocessingDone, "r2")
	if got := postWebhook(t, url, "Bearer "+testSecret, first); got != http.StatusNoContent {
		t.Fatalf("first webhook: status %d, want 204", got)
	}
	if got := postWebhook(t, url, "Bearer "+testSecret, second); got != http.StatusServiceUnavailable {
		t.Errorf("webhook to a full queue: status %d, want 503 so that the platform retries", got)
	}
}

func TestWebhookMethodNotAllowed(t *testing.T) {
	t.Parallel()
	_, url := startHandler(t, Config{})
	resp, err := http.Get(url + "/webhooks")
	if err != nil {
		t.Fatalf("GET /webhooks: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhooks: status %d, want 405", resp.StatusCode)
	}
}

// TestForwardCompatibleWithMock lets the platform send an unknown topic
// and extra members, and checks that every delivery got a 2xx.
func TestForwardCompatibleWithMock(t *testing.T) {
	t.Parallel()
	e := startEnv(t, Config{}, mockplatform.Options{})
	e.addRule(mockplatform.Rule{ID: "unknown-topic", Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptUnknownTopic,
		Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicPreprocessingDone}}})
	e.addRule(mockplatform.Rule{ID: "extras", Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptExtraAttributes})
	doc := e.upload(mockplatform.Upload{})
	e.waitIdle()
	e.flush()

	deliveries, _ := e.p.Deliveries()
	for _, d := range deliveries {
		if d.StatusCode != http.StatusNoContent {
			t.Errorf("delivery of %s (faults %q): status %d, want 204", d.Topic, d.Fault, d.StatusCode)
		}
	}
	if got := e.c.State()[doc.ID].Status; got != mockplatform.StatusDone {
		t.Errorf("status = %q, want done", got)
	}
	if n := e.effects.webhookCounts()[eventKey{doc.ID, mockplatform.TopicPreprocessingDone}]; n != 0 {
		t.Errorf("preprocessing-done, sent with an unknown topic, had %d effects, want 0", n)
	}
}

func TestDecodePayloadStrict(t *testing.T) {
	t.Parallel()
	valid := webhookBody(100001, mockplatform.TopicDocumentReceived, "r1")
	if _, err := decodePayload(valid, true); err != nil {
		t.Errorf("strict decoding of today's payload: %v", err)
	}
	extra := bytes.Replace(valid, []byte(`"document_id":`), []byte(`"page_count":3,"document_id":`), 1)
	if _, err := decodePayload(extra, false); err != nil {
		t.Errorf("lenient decoding of a payload with a new attribute: %v", err)
	}
	if _, err := decodePayload(extra, true); err == nil {
		t.Errorf("strict decoding of a payload with a new attribute succeeded, want an error")
	}
}
