package mockplatform_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

func TestAdvanceConcurrentCallsAddUp(t *testing.T) {
	p, m := startManual(t, mockplatform.Options{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { advance(t, p, 10*time.Second) })
	}
	wg.Wait()
	if got := m.Now().Sub(epoch); got != 40*time.Second {
		t.Errorf("four concurrent 10s advances moved the clock %s, want 40s", got)
	}
}

func TestAdvancePastYear9999Fails(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{Clock: clock.NewManual(time.Date(9999, 6, 1, 0, 0, 0, 0, time.UTC))})
	err := p.Advance(context.Background(), 365*24*time.Hour)
	if err == nil || !strings.Contains(err.Error(), "year 9999") {
		t.Errorf("Advance by a year from June 9999: error %v, want one about year 9999", err)
	}
}

func TestCloseWithStalledClient(t *testing.T) {
	p, err := mockplatform.Start(mockplatform.Options{Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	// The client promises 100 bytes of body, sends one and stalls.
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.Write([]byte("POST /v2/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + mockplatform.DefaultToken +
		"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // lets the server start reading the body

	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Close: %v, want nil after closing the stalled connection", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close still blocked after 30s by a stalled client")
	}
}

func TestWaitIdleAfterCloseOnScaledClock(t *testing.T) {
	scaled, err := clock.NewScaled(1e5)
	if err != nil {
		t.Fatal(err)
	}
	c := newConsumer(t, time.Now, nil)
	p, err := mockplatform.Start(mockplatform.Options{Clock: scaled, DefaultProfile: "manual-all",
		Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 30 {
		upload(t, p, mockplatform.Upload{})
	}
	time.Sleep(20 * time.Millisecond)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		t.Errorf("WaitIdle after Close: %v, want the cancelled steps and retries to count as ended", err)
	}
}

func TestGettersReturnCopies(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{
		Subscriptions: []mockplatform.Subscription{{ID: "a", URL: "http://127.0.0.1:9", Headers: map[string]string{"X-Token": "one"}, Topics: []mockplatform.Topic{"document-received"}}},
		Profiles:      []mockplatform.Profile{{Name: "p", Extraction: []mockplatform.Level{"first"}}},
	})
	subs := p.Subscriptions()
	subs[0].Headers["X-Token"] = "changed"
	subs[0].Topics[0] = "processing-failed"
	if got := p.Subscriptions()[0]; got.Headers["X-Token"] != "one" || got.Topics[0] != "document-received" {
		t.Errorf("changing a returned subscription changed the platform's: %+v", got)
	}
	for _, pr := range p.Profiles() {
		if pr.Name == "p" {
			pr.Extraction[0] = "bogus"
		}
	}
	for _, pr := range p.Profiles() {
		if pr.Name == "p" && pr.Extraction[0] != "first" {
			t.Errorf("changing a returned profile changed the platform's: %+v", pr)
		}
	}
}

func TestSubscriptionHeaderValidation(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"control character", map[string]string{"X-Token": "abc\x01def"}, "control character"},
		{"same header twice", map[string]string{"Authorization": "Bearer one", "authorization": "Bearer two"}, "same header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mockplatform.New(mockplatform.Options{Subscriptions: []mockplatform.Subscription{{URL: "http://127.0.0.1:9", Headers: tt.headers}}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestURLSecretsMasked(t *testing.T) {
	dead := newConsumer(t, time.Now, nil)
	url := strings.Replace(dead.srv.URL, "http://", "http://user:s3cr3tpw@", 1) + "/hook?api_key=k3y&tenant=7"
	p, _ := startManual(t, mockplatform.Options{Subscriptions: []mockplatform.Subscription{{ID: "s", URL: url, Topics: onlyReceived}}})
	upload(t, p, mockplatform.Upload{})
	advance(t, p, time.Second)

	_, subs := call(t, p, "GET", "/_mock/subscriptions", "", nil)
	_, deliveries := call(t, p, "GET", "/_mock/deliveries", "", nil)
	for _, body := range []string{subs, deliveries} {
		if strings.Contains(body, "s3cr3tpw") || strings.Contains(body, "k3y") {
			t.Errorf("control API shows a URL secret: %s", body)
		}
		if !strings.Contains(body, "tenant=7") {
			t.Errorf("control API hides a query value that is no secret: %s", body)
		}
	}
	if got := dead.received(); len(got) != 1 {
		t.Errorf("consumer received %d requests, want 1: masking must not change what is sent", len(got))
	}
}

func TestCustomFieldNumbersStayExact(t *testing.T) {
	var p *mockplatform.Platform
	c := newConsumer(t, func() time.Time { return p.Clock().Now() }, nil)
	p, _ = startManual(t, mockplatform.Options{Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL, Topics: onlyReceived}}})
	body := `{"data":{"type":"documents","attributes":{"custom_fields":{"big":9007199254740993,"huge":12345678901234567890}}}}`
	req, _ := http.NewRequest("POST", p.URL()+"/v2/documents", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+mockplatform.DefaultToken)
	req.Header.Set("Content-Type", mockplatform.MediaType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	advance(t, p, time.Second)
	got := c.received()
	if len(got) != 1 {
		t.Fatalf("received %d webhooks, want 1", len(got))
	}
	var payload struct {
		Attributes struct {
			CustomFields map[string]json.RawMessage `json:"custom_fields"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(got[0].Body, &payload); err != nil {
		t.Fatal(err)
	}
	if big, huge := string(payload.Attributes.CustomFields["big"]), string(payload.Attributes.CustomFields["huge"]); big != "9007199254740993" || huge != "12345678901234567890" {
		t.Errorf("webhook custom_fields big=%s huge=%s, want the numbers as uploaded", big, huge)
	}
}

func TestControlRejectsLooseInput(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{})
	tests := []struct{ name, method, path, body, want string }{
		{"unknown event state", "GET", "/_mock/events?state=bogus", "", "bogus"},
		{"topic filter on requests", "GET", "/_mock/requests?topic=document-received", "", "no subscription or topic"},
		{"repeated parameter", "GET", "/_mock/deliveries?document=1&document=2", "", "given 2 times"},
		{"tenant without token", "POST", "/_mock/documents", `{"tenant_id":999}`, "tenant_id 999"},
		{"profile not a string", "POST", "/_mock/documents", `{"custom_fields":{"mock_profile":42}}`, "mock_profile must be a profile name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, p, tt.method, tt.path, tt.body, nil)
			if status != http.StatusBadRequest || !strings.Contains(body, tt.want) {
				t.Errorf("%s %s = %d %s, want 400 mentioning %q", tt.method, tt.path, status, body, tt.want)
			}
		})
	}
	if _, err := mockplatform.New(mockplatform.Options{FirstDocumentID: 1 << 62}); err == nil {
		t.Error("New with FirstDocumentID 2^62: no error, want one naming the range")
	}
}
