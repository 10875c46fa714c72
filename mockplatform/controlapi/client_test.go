package controlapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
	"github.com/parashift-mock/parashift-mock/mockplatform/controlapi"
)

var epoch = time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)

// startPlatform starts a platform on a loopback port and returns it
// with a Client of its control API.
func startPlatform(t *testing.T, opts mockplatform.Options) (*mockplatform.Platform, *controlapi.Client) {
	t.Helper()
	p, err := mockplatform.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	c, err := controlapi.New(p.URL())
	if err != nil {
		t.Fatalf("New(%q): %v", p.URL(), err)
	}
	return p, c
}

// receiver starts a webhook endpoint on loopback that responds with 204 and
// counts the requests that carry the header X-Hook-Token: s3cret.
func receiver(t *testing.T) (string, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Hook-Token") == "s3cret" {
			n.Add(1)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks", &n
}

func TestClientDrivesPlatform(t *testing.T) {
	ctx := context.Background()
	_, c := startPlatform(t, mockplatform.Options{Clock: clock.NewManual(epoch)})
	hookURL, received := receiver(t)

	if err := c.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	sub, err := c.AddSubscription(ctx, mockplatform.Subscription{
		ID: "ci", URL: hookURL, Headers: map[string]string{"X-Hook-Token": "s3cret"},
	})
	if err != nil {
		t.Fatalf("AddSubscription: %v", err)
	}
	if sub.Headers["X-Hook-Token"] != mockplatform.MaskedValue {
		t.Errorf("AddSubscription header = %q, want it masked", sub.Headers["X-Hook-Token"])
	}
	subs, err := c.Subscriptions(ctx)
	if err != nil || len(subs) != 1 || subs[0].ID != "ci" {
		t.Errorf("Subscriptions = %+v, %v; want the subscription ci", subs, err)
	}

	rule, err := c.AddRule(ctx, mockplatform.Rule{
		ID: "lose-final", Fault: mockplatform.FaultDrop,
		Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished}},
	})
	if err != nil {
		t.Fatalf("AddRule: %v", err)
	}
	if rule.ID != "lose-final" || rule.Fault != mockplatform.FaultDrop {
		t.Errorf("AddRule = %+v, want the drop rule lose-final", rule)
	}

	docs, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{Count: 2, ExternalID: "EX-1"})
	if err != nil {
		t.Fatalf("CreateDocuments: %v", err)
	}
	if len(docs) != 2 || docs[0].ExternalID != "EX-1" || docs[0].Status != mockplatform.StatusPending {
		t.Fatalf("CreateDocuments = %+v, want 2 pending documents with external_id EX-1", docs)
	}

	info, err := c.Advance(ctx, time.Hour)
	if err != nil {
		t.Fatalf("Advance: %v", err)
	}
	if info.Kind != "manual" || !info.Now.Equal(epoch.Add(time.Hour)) {
		t.Errorf("Advance = %+v, want a manual clock at %s", info, epoch.Add(time.Hour))
	}
	if idle, err := c.WaitIdle(ctx, time.Second); err != nil || !idle {
		t.Errorf("WaitIdle = %v, %v; want true", idle, err)
	}

	doc, err := c.Document(ctx, docs[0].ID)
	if err != nil {
		t.Fatalf("Document: %v", err)
	}
	if doc.Status != mockplatform.StatusDone || doc.Profile == "" || len(doc.Topics) == 0 || len(doc.Fields) == 0 {
		t.Errorf("Document = %+v, want a done document with profile, topics and extracted fields", doc)
	}
	all, err := c.Documents(ctx)
	if err != nil || len(all) != 2 {
		t.Errorf("Documents = %d documents, %v; want 2", len(all), err)
	}

	dropped, discarded, err := c.Events(ctx, controlapi.Filter{State: mockplatform.EventDropped})
	if err != nil {
		t.Fatalf("Events: %v", err)
	}
	if discarded != 0 {
		t.Errorf("Events discarded = %d, want 0", discarded)
	}
	if len(dropped) != 2 || dropped[0].Faults[0] != "lose-final" {
		t.Errorf("dropped events = %+v, want 2 dropped by lose-final", dropped)
	}
	deliveries, journalDropped, err := c.Deliveries(ctx, controlapi.Filter{DocumentID: docs[0].ID})
	if err != nil {
		t.Fatalf("Deliveries: %v", err)
	}
	if journalDropped != 0 {
		t.Errorf("Deliveries dropped = %d, want 0", journalDropped)
	}
	// Nine topics fire for a straight-through document; the last is
	// dropped, which makes a record with attempt 0.
	if len(deliveries) != 9 {
		t.Errorf("Deliveries of document %d = %d records, want 9", docs[0].ID, len(deliveries))
	}
	if got := received.Load(); got != 16 {
		t.Errorf("receiver got %d webhooks with the header, want 16 (8 per document)", got)
	}

	effect, err := c.RecordEffect(ctx, mockplatform.Effect{DocumentID: docs[0].ID, Topic: mockplatform.TopicDocumentReceived, Status: mockplatform.StatusPending})
	if err != nil {
		t.Fatalf("RecordEffect: %v", err)
	}
	if effect.Seq != 1 || effect.Time.IsZero() {
		t.Errorf("RecordEffect = %+v, want seq 1 with a time", effect)
	}
	effects, _, err := c.Effects(ctx, controlapi.Filter{DocumentID: docs[0].ID})
	if err != nil || len(effects) != 1 {
		t.Errorf("Effects = %+v, %v; want the one effect", effects, err)
	}
	requests, _, err := c.Requests(ctx, controlapi.Filter{})
	if err != nil || len(requests) != 0 {
		t.Errorf("Requests = %+v, %v; want none, because the control API is not journalled", requests, err)
	}

	if err := c.RemoveRule(ctx, "lose-final"); err != nil {
		t.Errorf("RemoveRule: %v", err)
	}
	if rules, err := c.Rules(ctx); err != nil || len(rules) != 0 {
		t.Errorf("Rules after RemoveRule = %+v, %v; want none", rules, err)
	}
	if err := c.RemoveSubscription(ctx, "ci"); err != nil {
		t.Errorf("RemoveSubscription: %v", err)
	}
}

func TestClientProfiles(t *testing.T) {
	ctx := context.Background()
	_, c := startPlatform(t, mockplatform.Options{Clock: clock.NewManual(epoch)})
	added, err := c.AddProfile(ctx, mockplatform.Profile{Name: "slow-ocr", StepDuration: 3 * time.Minute})
	if err != nil {
		t.Fatalf("AddProfile: %v", err)
	}
	if added.Name != "slow-ocr" || added.StepDuration != 3*time.Minute {
		t.Errorf("AddProfile = %+v, want slow-ocr with a 3m step duration", added)
	}
	profiles, err := c.Profiles(ctx)
	if err != nil {
		t.Fatalf("Profiles: %v", err)
	}
	found := false
	for _, p := range profiles {
		found = found || p.Name == "slow-ocr"
	}
	if !found {
		t.Errorf("Profiles = %+v, want slow-ocr among them", profiles)
	}
}

func TestClientErrors(t *testing.T) {
	ctx := context.Background()
	scaled, err := clock.NewScaled(10)
	if err != nil {
		t.Fatal(err)
	}
	_, c := startPlatform(t, mockplatform.Options{Clock: scaled})

	_, err = c.AddRule(ctx, mockplatform.Rule{Fault: "explode"})
	var apiErr *controlapi.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("AddRule(invalid) error = %v, want *controlapi.Error", err)
	}
	if apiErr.StatusCode != http.StatusBadRequest || !strings.Contains(apiErr.Detail, "explode") {
		t.Errorf("AddRule(invalid) = %+v, want 400 naming the fault", apiErr)
	}
	if !strings.Contains(err.Error(), "POST /_mock/rules") {
		t.Errorf("error %q does not name the request", err)
	}

	_, err = c.Advance(ctx, time.Minute)
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusConflict {
		t.Errorf("Advance on a scaled clock = %v, want a 409 error", err)
	}

	_, err = c.Document(ctx, 424242)
	if !controlapi.IsNotFound(err) {
		t.Errorf("Document(424242) = %v, want not found", err)
	}
	if err := c.RemoveRule(ctx, "nope"); !controlapi.IsNotFound(err) {
		t.Errorf("RemoveRule(nope) = %v, want not found", err)
	}
}

func TestClientUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := controlapi.New("http://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GET /_mock/health") {
		t.Errorf("Health on a closed port = %v, want an error naming the request", err)
	}
}

func TestNewRejectsInvalidBaseURL(t *testing.T) {
	for _, raw := range []string{"", "127.0.0.1:8080", "ftp://127.0.0.1", "http://", "http://127.0.0.1:8080/?x=1", "http://[::1"} {
		if _, err := controlapi.New(raw); err == nil || !strings.Contains(err.Error(), "base URL") {
			t.Errorf("New(%q) = %v, want an error naming the base URL", raw, err)
		}
	}
	c, err := controlapi.New("http://127.0.0.1:8080/mock/")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.BaseURL(); got != "http://127.0.0.1:8080/mock" {
		t.Errorf("BaseURL = %q, want the path kept without the trailing slash", got)
	}
}

func TestClientErrorFromOtherServer(t *testing.T) {
	page := "<html>" + strings.Repeat("bad gateway ", 100) + "</html>"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, page)
	}))
	defer srv.Close()
	c, err := controlapi.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Health(context.Background())
	var apiErr *controlapi.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Fatalf("Health = %v, want a 502 *controlapi.Error", err)
	}
	if !strings.HasPrefix(apiErr.Detail, "<html>bad gateway") || !strings.HasSuffix(apiErr.Detail, "…") {
		t.Errorf("Detail = %q, want the start of the page, cut", apiErr.Detail)
	}
}

func TestClientErrorShowsCode(t *testing.T) {
	_, c := startPlatform(t, mockplatform.Options{Clock: clock.NewManual(epoch)})
	err := c.RemoveRule(context.Background(), "nope")
	if err == nil || !strings.Contains(err.Error(), "status 404 not_found") {
		t.Errorf("RemoveRule(nope) = %v, want the status and the code", err)
	}
}

func TestClientKeepsLargeNumbers(t *testing.T) {
	ctx := context.Background()
	_, c := startPlatform(t, mockplatform.Options{Clock: clock.NewManual(epoch)})
	docs, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{CustomFields: map[string]any{"order": json.Number("9007199254740993")}})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := c.Document(ctx, docs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(doc.CustomFields["order"]); got != "9007199254740993" {
		t.Errorf("custom field order = %s, want 9007199254740993", got)
	}
}

func TestClientEscapesIDOnce(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	c, err := controlapi.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveRule(context.Background(), "a b"); err != nil {
		t.Fatal(err)
	}
	if got != "/_mock/rules/a%20b" {
		t.Errorf("request path = %q, want the id escaped once", got)
	}
}
