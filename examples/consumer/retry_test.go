package consumer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// apiEnv is a platform on the real clock, so that its request journal
// shows real-time gaps, with one document, and a consumer that is not
// running: the tests call its API client directly.
type apiEnv struct {
	p    *mockplatform.Platform
	c    *Consumer
	doc  mockplatform.Document
	path string
}

func startAPIEnv(t *testing.T, cfg Config) *apiEnv {
	t.Helper()
	p := startPlatform(t, mockplatform.Options{})
	doc, err := p.Upload(mockplatform.Upload{TenantID: mockplatform.DefaultTenant})
	if err != nil {
		t.Fatalf("Upload: %v", err)
	}
	cfg.APIURL = p.URL()
	if cfg.Token == "" {
		cfg.Token = mockplatform.DefaultToken
	}
	cfg.WebhookSecret = testSecret
	return &apiEnv{p: p, c: newConsumer(t, cfg), doc: doc, path: fmt.Sprintf("/v2/documents/%d", doc.ID)}
}

// addRule adds a REST API fault rule for the document's path.
func (a *apiEnv) addRule(t *testing.T, r mockplatform.Rule) {
	t.Helper()
	r.Match.Path = a.path
	if _, err := a.p.AddRule(r); err != nil {
		t.Fatalf("AddRule: %v", err)
	}
}

// gaps returns the real time between consecutive requests for the
// document's path.
func (a *apiEnv) gaps() []time.Duration {
	reqs := requestsTo(a.p, a.path)
	var out []time.Duration
	for i := 1; i < len(reqs); i++ {
		out = append(out, reqs[i].Time.Sub(reqs[i-1].Time))
	}
	return out
}

// journalTolerance absorbs the difference between when the journal
// stamps a request and when the client decided to send it.
const journalTolerance = 5 * time.Millisecond

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rule    mockplatform.Rule
		minWait time.Duration
	}{
		{"seconds", mockplatform.Rule{RetryAfter: time.Second}, time.Second},
		// The date has whole seconds and is rounded up, so the wait
		// it requests is at least 2s minus the request's transit time.
		{"HTTP date", mockplatform.Rule{RetryAfter: 2 * time.Second, RetryAfterDate: true}, 1500 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startAPIEnv(t, Config{})
			rule := tt.rule
			rule.Fault, rule.Status, rule.When = mockplatform.FaultStatus, http.StatusTooManyRequests, mockplatform.When{First: 1}
			a.addRule(t, rule)

			status, err := a.c.api.documentStatus(context.Background(), a.doc.ID)
			if err != nil {
				t.Fatalf("documentStatus: %v", err)
			}
			if status == "" {
				t.Errorf("documentStatus returned an empty status")
			}
			gaps := a.gaps()
			if len(gaps) != 1 {
				t.Fatalf("%d requests, want 2: the 429 and its retry", len(gaps)+1)
			}
			if gaps[0] < tt.minWait-journalTolerance {
				t.Errorf("retry after %s, want at least %s", gaps[0], tt.minWait)
			}
		})
	}
}

func TestServerErrorsRetriedWithGrowingDelays(t *testing.T) {
	t.Parallel()
	const base = 100 * time.Millisecond
	// A high poll rate keeps the rate limiter from widening the gaps.
	a := startAPIEnv(t, Config{RetryBase: base, RetryMaxDelay: 10 * time.Second, MaxAttempts: 5, MaxPollRate: 1000})
	a.addRule(t, mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: http.StatusServiceUnavailable})

	_, err := a.c.api.documentStatus(context.Background(), a.doc.ID)
	if err == nil {
		t.Fatal("documentStatus succeeded, want an error after the retries")
	}
	for _, want := range []string{"GET " + a.path, "gave up after 5 attempts", "503"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), mockplatform.DefaultToken) {
		t.Errorf("error %q contains the token", err)
	}

	gaps := a.gaps()
	if len(gaps) != 4 {
		t.Fatalf("%d requests, want 5", len(gaps)+1)
	}
	// Jitter keeps at least half of each delay, so retry n waits at
	// least base·2^(n-1)/2: 50ms, 100ms, 200ms, 400ms.
	for i, gap := range gaps {
		minWait := backoff(base, 10*time.Second, i+1, 0)
		if gap < minWait-journalTolerance {
			t.Errorf("wait before attempt %d = %s, want at least %s", i+2, gap, minWait)
		}
	}
}

func TestServerErrorThenSuccess(t *testing.T) {
	t.Parallel()
	a := startAPIEnv(t, Config{RetryBase: 10 * time.Millisecond})
	a.addRule(t, mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: http.StatusBadGateway, When: mockplatform.When{First: 2}})

	if _, err := a.c.api.documentStatus(context.Background(), a.doc.ID); err != nil {
		t.Fatalf("documentStatus: %v", err)
	}
	if n := len(requestsTo(a.p, a.path)); n != 3 {
		t.Errorf("%d requests, want 3: two 502 and the success", n)
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	a := startAPIEnv(t, Config{APITimeout: 300 * time.Millisecond, RetryBase: 10 * time.Millisecond})
	a.addRule(t, mockplatform.Rule{Fault: mockplatform.FaultHang, When: mockplatform.When{First: 1}})

	if _, err := a.c.api.documentStatus(context.Background(), a.doc.ID); err != nil {
		t.Fatalf("documentStatus: %v", err)
	}
	reqs := requestsTo(a.p, a.path)
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2: the hung one and its retry", len(reqs))
	}
	if reqs[0].StatusCode != 0 {
		t.Errorf("first request has status %d, want 0 for no response", reqs[0].StatusCode)
	}
}

func TestClientErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		token  string
		id     int64
		status string
	}{
		{"404 unknown document", "", 999999, "404"},
		{"401 wrong token", "wrong-token", 0, "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := startAPIEnv(t, Config{Token: tt.token})
			id := tt.id
			if id == 0 {
				id = a.doc.ID
			}
			_, err := a.c.api.documentStatus(context.Background(), id)
			if err == nil {
				t.Fatal("documentStatus succeeded, want an error")
			}
			if !strings.Contains(err.Error(), "after 1 attempt, not retried") || !strings.Contains(err.Error(), tt.status) {
				t.Errorf("error %q, want it to name status %s and say it was not retried", err, tt.status)
			}
			if n := len(requestsTo(a.p, fmt.Sprintf("/v2/documents/%d", id))); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
		})
	}
}

func TestNotFoundHoldsBackPolling(t *testing.T) {
	t.Parallel()
	a := startAPIEnv(t, Config{NotFoundWait: time.Minute})
	const id = 999999
	a.c.state.applyWebhook(webhookEvent{DocumentID: id, Topic: mockplatform.TopicDocumentReceived, ReceivedAt: time.Now()})
	a.c.poll(context.Background(), id)

	at := a.c.State()[id].NotFoundAt
	if at.IsZero() {
		t.Fatal("state after a 404 poll: NotFoundAt is zero, want the time of the 404")
	}
	if due := a.c.state.duePolls(at.Add(59*time.Second), a.c.pollSelection()); len(due) != 0 {
		t.Errorf("documents due 59s after a 404 with a 1m wait: %v, want none", due)
	}
	if due := a.c.state.duePolls(at.Add(61*time.Second), a.c.pollSelection()); len(due) != 1 {
		t.Errorf("documents due 61s after a 404 with a 1m wait: %v, want the document again", due)
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	t.Parallel()
	a := startAPIEnv(t, Config{})
	a.addRule(t, mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(requestsTo(a.p, a.path)) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	_, err := a.c.api.documentStatus(ctx, a.doc.ID)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("documentStatus error = %v, want context.Canceled", err)
	}
}

func TestBackoffBounds(t *testing.T) {
	const base, maxDelay = 100 * time.Millisecond, time.Second
	tests := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 50 * time.Millisecond, 100 * time.Millisecond},
		{2, 100 * time.Millisecond, 200 * time.Millisecond},
		{3, 200 * time.Millisecond, 400 * time.Millisecond},
		{4, 400 * time.Millisecond, 800 * time.Millisecond},
		{5, 500 * time.Millisecond, time.Second},
		{60, 500 * time.Millisecond, time.Second},
	}
	for _, tt := range tests {
		if got := backoff(base, maxDelay, tt.attempt, 0); got != tt.min {
			t.Errorf("backoff(attempt %d, jitter 0) = %s, want %s", tt.attempt, got, tt.min)
		}
		if got := backoff(base, maxDelay, tt.attempt, 0.999999); got > tt.max || got < tt.max-time.Millisecond {
			t.Errorf("backoff(attempt %d, jitter 0.999999) = %s, want just under %s", tt.attempt, got, tt.max)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		value  string
		want   time.Duration
		wantOK bool
	}{
		{"3", 3 * time.Second, true},
		{"0", 0, true},
		{"Thu, 01 Jan 2026 12:00:05 GMT", 5 * time.Second, true},
		{"Thu, 01 Jan 2026 11:59:00 GMT", 0, true},
		{"99999999999", 24 * time.Hour, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseRetryAfter(tt.value, now)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %v, want %s, %v", tt.value, got, ok, tt.want, tt.wantOK)
		}
	}
}
