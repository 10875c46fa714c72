package consumer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// testSecret is the webhook secret of every test consumer.
const testSecret = "s3cret"

// waitTimeout bounds every wait for a condition. It is generous because
// the tests run with -race on small, loaded machines; a passing test
// never waits for it.
const waitTimeout = 30 * time.Second

// sentinelID is above every document id the platform assigns in a
// test. flush sends webhooks for ids above it.
const sentinelID = 1 << 40

// testLogger returns a logger that writes to the test's output with -v
// and discards otherwise.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// effectRecorder is an effects endpoint that stores every effect POSTed
// to it, in arrival order.
type effectRecorder struct {
	t   testing.TB
	srv *httptest.Server

	mu  sync.Mutex
	got []Effect
}

func newEffectRecorder(t testing.TB) *effectRecorder {
	t.Helper()
	r := &effectRecorder{t: t}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *effectRecorder) serve(w http.ResponseWriter, req *http.Request) {
	var e Effect
	if err := json.NewDecoder(req.Body).Decode(&e); err != nil {
		r.t.Errorf("effects endpoint: decode body: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.got = append(r.got, e)
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// all returns the effects received so far, in arrival order.
func (r *effectRecorder) all() []Effect {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Effect(nil), r.got...)
}

// webhookCounts counts the webhook effects per document and topic,
// leaving out the sentinel.
func (r *effectRecorder) webhookCounts() map[eventKey]int {
	counts := map[eventKey]int{}
	for _, e := range r.all() {
		if e.Source == SourceWebhook && e.DocumentID < sentinelID {
			counts[eventKey{e.DocumentID, e.Topic}]++
		}
	}
	return counts
}

// last returns the last effect for a document.
func (r *effectRecorder) last(id int64) (Effect, bool) {
	all := r.all()
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].DocumentID == id {
			return all[i], true
		}
	}
	return Effect{}, false
}

// mockEffectsSink in Config.EffectsURL makes startEnv send the effects
// to the platform's own sink instead of the test's recorder.
const mockEffectsSink = "mock-sink"

// testEnv is a mock platform with a consumer subscribed to its
// webhooks, and an effects recorder.
type testEnv struct {
	t       testing.TB
	p       *mockplatform.Platform
	c       *Consumer
	url     string // the consumer's base URL
	effects *effectRecorder
	flushes int64
}

// startEnv starts a platform, on a clock 100 times faster than wall
// time unless opts sets one, and a running consumer configured by cfg
// plus the connection settings. Both stop when the test ends.
func startEnv(t testing.TB, cfg Config, opts mockplatform.Options) *testEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	e := &testEnv{t: t, url: "http://" + ln.Addr().String(), effects: newEffectRecorder(t)}
	if opts.Clock == nil {
		opts.Clock = scaledClock(t, 100)
	}
	opts.Subscriptions = []mockplatform.Subscription{{
		URL:     e.url + "/webhooks",
		Headers: map[string]string{"Authorization": "Bearer " + testSecret},
	}}
	e.p = startPlatform(t, opts)

	cfg.APIURL = e.p.URL()
	cfg.Token = mockplatform.DefaultToken
	cfg.WebhookSecret = testSecret
	if cfg.EffectsURL == mockEffectsSink {
		cfg.EffectsURL = e.p.URL() + "/_mock/effects"
	} else {
		cfg.EffectsURL = e.effects.srv.URL + "/effects"
	}
	cfg.Logger = testLogger(t)
	e.c = newConsumer(t, cfg)
	serveAndRun(t, e.c, ln)
	return e
}

// startPlatform starts a platform that is closed when the test ends.
func startPlatform(t testing.TB, opts mockplatform.Options) *mockplatform.Platform {
	t.Helper()
	p, err := mockplatform.Start(opts)
	if err != nil {
		t.Fatalf("mockplatform.Start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("close platform: %v", err)
		}
	})
	return p
}

func scaledClock(t testing.TB, factor float64) clock.Clock {
	t.Helper()
	clk, err := clock.NewScaled(factor)
	if err != nil {
		t.Fatalf("clock.NewScaled: %v", err)
	}
	return clk
}

func newConsumer(t testing.TB, cfg Config) *Consumer {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// serveAndRun serves c's handler on ln and runs c until the test ends.
// At the end it stops the server before the consumer, as a service
// does.
func serveAndRun(t testing.TB, c *Consumer, ln net.Listener) {
	t.Helper()
	srv := &http.Server{Handler: c.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		shutdownCtx, stop := context.WithTimeout(context.Background(), waitTimeout)
		defer stop()
		if err := srv.Shutdown(shutdownCtx); err != nil {
			t.Errorf("stop consumer's HTTP server: %v", err)
		}
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

// upload creates a document on the platform.
func (e *testEnv) upload(in mockplatform.Upload) mockplatform.Document {
	e.t.Helper()
	in.TenantID = mockplatform.DefaultTenant
	doc, err := e.p.Upload(in)
	if err != nil {
		e.t.Fatalf("Upload: %v", err)
	}
	return doc
}

// addRule adds a fault rule and returns it with its id.
func (e *testEnv) addRule(r mockplatform.Rule) mockplatform.Rule {
	e.t.Helper()
	added, err := e.p.AddRule(r)
	if err != nil {
		e.t.Fatalf("AddRule: %v", err)
	}
	return added
}

// waitIdle waits until the platform has no step or delivery left.
func (e *testEnv) waitIdle() {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := e.p.WaitIdle(ctx); err != nil {
		e.t.Fatalf("WaitIdle: %v", err)
	}
}

// flush waits until the consumer has processed every webhook it
// acknowledged so far and sent their effects. It sends a webhook for
// a new sentinel document and waits for its effect, which works
// because the worker and the effects sender keep arrival order.
func (e *testEnv) flush() {
	e.t.Helper()
	e.flushes++
	id := sentinelID + e.flushes
	requestID := fmt.Sprintf("flush-%d", e.flushes)
	body := webhookBody(id, mockplatform.TopicDocumentReceived, requestID)
	if status := postWebhook(e.t, e.url, "Bearer "+testSecret, body); status != http.StatusNoContent {
		e.t.Fatalf("flush webhook: status %d, want 204", status)
	}
	waitFor(e.t, "the flush webhook's effect", func() bool {
		last, ok := e.effects.last(id)
		return ok && last.RequestID == requestID
	})
}

// getCount returns how many GET requests for the document the platform
// received.
func getCount(p *mockplatform.Platform, id int64) int {
	path := "/v2/documents/" + strconv.FormatInt(id, 10)
	reqs, _ := p.Requests()
	n := 0
	for _, r := range reqs {
		if r.Method == http.MethodGet && r.Path == path {
			n++
		}
	}
	return n
}

// requestsTo returns the platform's journal records for a path.
func requestsTo(p *mockplatform.Platform, path string) []mockplatform.Request {
	reqs, _ := p.Requests()
	var out []mockplatform.Request
	for _, r := range reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// deliveriesOf returns the platform's delivery records that a fault
// rule acted on.
func deliveriesOf(p *mockplatform.Platform, ruleID string) []mockplatform.Delivery {
	all, _ := p.Deliveries()
	var out []mockplatform.Delivery
	for _, d := range all {
		if d.Fault != "" && containsID(strings.Split(d.Fault, ","), ruleID) {
			out = append(out, d)
		}
	}
	return out
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// waitFor polls cond every 10ms until it holds, and fails the test
// after waitTimeout.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", waitTimeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// webhookBody returns a webhook payload as the platform sends it.
func webhookBody(id int64, topic mockplatform.Topic, requestID string) []byte {
	body := map[string]any{
		"id":   strconv.FormatInt(id, 10),
		"type": "documents",
		"attributes": map[string]any{
			"status": topic.Status(), "tenant_id": 1, "sla_deadline": nil,
			"custom_fields": map[string]any{}, "external_id": nil,
			"created_at": "2026-01-01T00:00:00.000Z", "updated_at": "2026-01-01T00:00:01.000Z",
			"document_id": id,
		},
		"request_id": requestID,
		"topic":      topic,
	}
	b, err := json.Marshal(body)
	if err != nil {
		panic(err)
	}
	return b
}

// postWebhook POSTs body to the consumer at baseURL with the given
// Authorization header (none when empty) and returns the status.
func postWebhook(t testing.TB, baseURL, authorization string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, baseURL+"/webhooks", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /webhooks: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
