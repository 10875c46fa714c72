package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parashift-mock/parashift-mock/internal/samples"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// demoPollInterval is the wall time between two GET requests for a
// document that is not terminal yet.
const demoPollInterval = 50 * time.Millisecond

// demoDocument is one upload of the demo and the outcome it expects.
type demoDocument struct {
	profile    string
	wantStatus mockplatform.Status
}

// demoDocuments are the uploads: one per kind of workflow a consumer
// meets.
var demoDocuments = []demoDocument{
	{"straight-through", mockplatform.StatusDone},
	{"manual-all", mockplatform.StatusDone},
	{"fail-extraction", mockplatform.StatusFailed},
}

// demoFlags are the flags of demo.
type demoFlags struct {
	seed      uint64
	timeScale float64
	timeout   time.Duration
}

func newDemoFlags() (*flag.FlagSet, *demoFlags) {
	f := &demoFlags{}
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.Uint64Var(&f.seed, "seed", 0, "`seed` of retry jitter, request ids and fake extracted values")
	fs.Float64Var(&f.timeScale, "time-scale", 1000, "how many times faster than wall time platform time runs,\nas a `factor`")
	durationVar(fs, &f.timeout, "timeout", 60*time.Second, "wall-time limit for every document to finish, as a `duration`")
	return fs, f
}

// runDemo starts a platform and a webhook receiver in this process,
// uploads one document per demo profile over the REST API and prints
// each webhook. It fails unless every document ended in the expected
// status and got all its topics in the order they fired.
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newDemoFlags()
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	if !(f.timeScale > 0) || math.IsInf(f.timeScale, 0) {
		return usagef("demo", "invalid value \"%v\" for flag --time-scale: use a number greater than 0, such as 1000", f.timeScale)
	}
	if f.timeout <= 0 {
		return usagef("demo", "invalid value %q for flag --timeout: use a positive duration such as 60s", f.timeout)
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	out := &lockedWriter{w: stdout}
	rcv, err := startDemoReceiver(out)
	if err != nil {
		return err
	}
	defer rcv.close()

	p, err := startDemoPlatform(f, rcv.url, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	out.printf("platform: %s (time scale %v, seed %d)\n", p.URL(), f.timeScale, f.seed)
	out.printf("receiver: %s (every topic)\n\n", rcv.url)

	api := &demoClient{base: p.URL(), token: mockplatform.DefaultToken}
	ids := make([]int64, len(demoDocuments))
	for i, d := range demoDocuments {
		if ids[i], err = api.upload(ctx, i+1, d.profile); err != nil {
			return err
		}
		out.printf("uploaded document %d with profile %s\n", ids[i], d.profile)
	}

	statuses, err := waitTerminal(ctx, api, ids)
	if err != nil {
		return err
	}
	// The API shows the terminal status before the last webhook has
	// necessarily arrived.
	if err := p.WaitIdle(ctx); err != nil {
		return fmt.Errorf("wait for the last webhooks: %w", err)
	}
	return summarize(out, p, rcv, ids, statuses)
}

func startDemoPlatform(f *demoFlags, receiverURL string, stderr io.Writer) (*mockplatform.Platform, error) {
	scaled, err := clock.NewScaled(f.timeScale)
	if err != nil {
		return nil, usagef("demo", "flag --time-scale: %v", err)
	}
	p, err := mockplatform.Start(mockplatform.Options{
		Addr:          "127.0.0.1:0",
		Seed:          f.seed,
		Clock:         scaled,
		Subscriptions: []mockplatform.Subscription{{ID: "demo", URL: receiverURL}},
		// Only warnings, such as failed deliveries, would interrupt the
		// demo's own output.
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return nil, fmt.Errorf("start platform: %w", err)
	}
	return p, nil
}

// waitTerminal polls each document until its status is done or failed
// and returns the final statuses.
func waitTerminal(ctx context.Context, api *demoClient, ids []int64) (map[int64]mockplatform.Status, error) {
	statuses := make(map[int64]mockplatform.Status, len(ids))
	for {
		pending := 0
		for _, id := range ids {
			if statuses[id].Terminal() {
				continue
			}
			status, err := api.status(ctx, id)
			if err != nil {
				return nil, err
			}
			statuses[id] = status
			if !status.Terminal() {
				pending++
			}
		}
		if pending == 0 {
			return statuses, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for documents to finish: %w; statuses: %s", context.Cause(ctx), formatStatuses(ids, statuses))
		case <-time.After(demoPollInterval):
		}
	}
}

func formatStatuses(ids []int64, statuses map[int64]mockplatform.Status) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%d %s", id, statuses[id])
	}
	return strings.Join(parts, ", ")
}

// summarize prints each document's received topics and final status
// and returns an error naming the documents whose webhooks did not
// arrive as the platform fired them, in the same order, or whose
// status is unexpected. Without fault rules the platform sends a
// document's webhooks in workflow order.
func summarize(out *lockedWriter, p *mockplatform.Platform, rcv *demoReceiver, ids []int64, statuses map[int64]mockplatform.Status) error {
	out.printf("\nsummary:\n")
	var failed []string
	for i, id := range ids {
		arrived := rcv.topics(id)
		doc, _ := p.Document(id)
		problems := compareTopics(doc.Topics, arrived)
		if statuses[id] != demoDocuments[i].wantStatus {
			problems = append(problems, fmt.Sprintf("status %s, want %s", statuses[id], demoDocuments[i].wantStatus))
		}
		verdict := "OK"
		if len(problems) > 0 {
			verdict = "FAILED: " + strings.Join(problems, "; ")
			failed = append(failed, strconv.FormatInt(id, 10))
		}
		out.printf("document %d (%s): status %s, %d webhooks: %s\n", id, demoDocuments[i].profile, statuses[id], len(arrived), verdict)
		out.printf("  %s\n", joinTopics(arrived))
	}
	if len(failed) > 0 {
		return fmt.Errorf("demo: documents %s did not get their webhooks as expected", strings.Join(failed, ", "))
	}
	out.printf("\nall %d documents got every webhook in workflow order\n", len(ids))
	return nil
}

// compareTopics describes how the received topics differ from the
// topics the platform fired, in order; nil means they are equal.
func compareTopics(want, got []mockplatform.Topic) []string {
	if slices.Equal(want, got) {
		return nil
	}
	var problems []string
	for _, t := range want {
		if !slices.Contains(got, t) {
			problems = append(problems, "missing "+string(t))
		}
	}
	for _, t := range got {
		if !slices.Contains(want, t) {
			problems = append(problems, "unexpected "+string(t))
		}
	}
	if problems == nil {
		problems = append(problems, fmt.Sprintf("out of order or repeated: the platform fired %s", joinTopics(want)))
	}
	return problems
}

func joinTopics(topics []mockplatform.Topic) string {
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = string(t)
	}
	return strings.Join(names, " > ")
}

// demoClient calls the platform's REST API like a consumer would.
type demoClient struct {
	base  string // the platform's base URL, without /v2
	token string
}

// upload creates a document with the sample PDF and the given workflow
// profile and returns its id.
func (c *demoClient) upload(ctx context.Context, n int, profile string) (int64, error) {
	body := map[string]any{
		"data": map[string]any{
			"type": "documents",
			"attributes": map[string]any{
				"name":          fmt.Sprintf("invoice-%d.pdf", n),
				"external_id":   fmt.Sprintf("demo-%d", n),
				"custom_fields": map[string]any{mockplatform.ProfileField: profile},
				"files": []map[string]string{{
					"file_name":   "sample.pdf",
					"base64_file": base64.StdEncoding.EncodeToString(samples.PDF),
				}},
			},
		},
	}
	doc, err := c.do(ctx, http.MethodPost, "/v2/documents", body, http.StatusCreated)
	if err != nil {
		return 0, fmt.Errorf("upload document with profile %s: %w", profile, err)
	}
	id, err := strconv.ParseInt(doc.Data.ID, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("upload document with profile %s: the response's data.id %q is not a number", profile, doc.Data.ID)
	}
	return id, nil
}

// status returns the document's status from GET /v2/documents/{id}.
func (c *demoClient) status(ctx context.Context, id int64) (mockplatform.Status, error) {
	doc, err := c.do(ctx, http.MethodGet, "/v2/documents/"+strconv.FormatInt(id, 10), nil, http.StatusOK)
	if err != nil {
		return "", fmt.Errorf("get document %d: %w", id, err)
	}
	return doc.Data.Attributes.Status, nil
}

// documentResponse is the part of a JSON:API document response the
// demo reads.
type documentResponse struct {
	Data struct {
		ID         string `json:"id"`
		Attributes struct {
			Status mockplatform.Status `json:"status"`
		} `json:"attributes"`
	} `json:"data"`
}

// do sends a request with the bearer token and decodes the document in
// the response, which must have wantStatus.
func (c *demoClient) do(ctx context.Context, method, path string, body any, wantStatus int) (documentResponse, error) {
	var doc documentResponse
	var reqBody io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return doc, err
		}
		reqBody = bytes.NewReader(b)
	}

	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reqBody)
	if err != nil {
		return doc, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", mockplatform.MediaType)
	if body != nil {
		req.Header.Set("Content-Type", mockplatform.MediaType)
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return doc, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return doc, fmt.Errorf("read response: %w", err)
	}
	if resp.StatusCode != wantStatus {
		return doc, fmt.Errorf("%s %s returned status %s, want %d: %s", method, path, resp.Status, wantStatus, bytes.TrimSpace(respBody))
	}

	if err := json.Unmarshal(respBody, &doc); err != nil {
		return doc, fmt.Errorf("decode response of %s %s: %w", method, path, err)
	}
	return doc, nil
}

// demoReceiver is the demo's webhook endpoint. It records the
// webhooks of each document in arrival order and prints a line for
// each.
type demoReceiver struct {
	url    string
	server *http.Server
	out    *lockedWriter

	mu       sync.Mutex
	received map[int64][]receivedWebhook
}

// receivedWebhook is the topic of a webhook and the platform time at
// which it fired.
type receivedWebhook struct {
	topic mockplatform.Topic
}

func startDemoReceiver(out *lockedWriter) (*demoReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start webhook receiver: %w", err)
	}
	r := &demoReceiver{
		url:      "http://" + ln.Addr().String() + "/webhooks",
		out:      out,
		received: make(map[int64][]receivedWebhook),
	}
	r.server = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go r.server.Serve(ln)
	return r, nil
}

func (r *demoReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var wb struct {
		Topic      mockplatform.Topic `json:"topic"`
		Attributes struct {
			Status     mockplatform.Status `json:"status"`
			DocumentID int64               `json:"document_id"`
		} `json:"attributes"`
	}
	if err := json.NewDecoder(io.LimitReader(req.Body, maxWebhookBytes)).Decode(&wb); err != nil {
		r.out.printf("webhook with an invalid body: %v\n", err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	id := wb.Attributes.DocumentID
	r.mu.Lock()
	r.received[id] = append(r.received[id], receivedWebhook{wb.Topic})
	r.mu.Unlock()
	r.out.printf("webhook  document %d  %-38s status %s\n", id, wb.Topic, wb.Attributes.Status)
	w.WriteHeader(http.StatusNoContent)
}

// topics returns the topics received for the document in arrival
// order, and the same topics in the order the platform fired them.
func (r *demoReceiver) topics(id int64) []mockplatform.Topic {
	r.mu.Lock()
	defer r.mu.Unlock()
	var arrived []mockplatform.Topic
	for _, h := range r.received[id] {
		arrived = append(arrived, h.topic)
	}
	return arrived
}

func (r *demoReceiver) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		r.server.Close()
	}
}

// lockedWriter serializes writes from the receiver's handlers and the
// main flow, so lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}
