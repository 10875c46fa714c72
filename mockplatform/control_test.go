package mockplatform_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// call sends a control API request and decodes the JSON answer into
// out when out is not nil. It returns the status and the raw body.
func call(t *testing.T, p *mockplatform.Platform, method, path, body string, out any) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, string(raw)
}

func TestControlSubscriptionsMaskHeaders(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{})
	status, body := call(t, p, "POST", "/_mock/subscriptions",
		`{"id":"ci","url":"http://127.0.0.1:9/hooks","headers":{"X-Hook-Token":"s3cret"},"topics":["processing-finished"]}`, nil)
	if status != http.StatusCreated {
		t.Fatalf("POST /_mock/subscriptions = %d %s, want 201", status, body)
	}
	var list struct{ Subscriptions []mockplatform.Subscription }
	_, raw := call(t, p, "GET", "/_mock/subscriptions", "", &list)
	if strings.Contains(raw+body, "s3cret") {
		t.Errorf("control API shows a header value: %s", raw)
	}
	if len(list.Subscriptions) != 1 || list.Subscriptions[0].Headers["X-Hook-Token"] != mockplatform.MaskedValue {
		t.Errorf("GET /_mock/subscriptions = %s, want one subscription with a masked header", raw)
	}
	if status, _ := call(t, p, "DELETE", "/_mock/subscriptions/ci", "", nil); status != http.StatusNoContent {
		t.Errorf("DELETE existing subscription = %d, want 204", status)
	}
	if status, body := call(t, p, "DELETE", "/_mock/subscriptions/ci", "", nil); status != http.StatusNotFound || !strings.Contains(body, `\"ci\"`) {
		t.Errorf("DELETE missing subscription = %d %s, want 404 naming it", status, body)
	}
}

func TestControlRejectsBadInput(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{})
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"unknown topic", "POST", "/_mock/subscriptions", `{"url":"http://127.0.0.1:9","topics":["done"]}`, 400, "valid topics are"},
		{"relative url", "POST", "/_mock/subscriptions", `{"url":"/hooks"}`, 400, "absolute"},
		{"unknown member", "POST", "/_mock/subscriptions", `{"url":"http://127.0.0.1:9","topic":["x"]}`, 400, "topic"},
		{"duplicate id", "POST", "/_mock/subscriptions", `{"id":"a","url":"http://127.0.0.1:9"}`, 201, ""},
		{"duplicate id again", "POST", "/_mock/subscriptions", `{"id":"a","url":"http://127.0.0.1:9"}`, 400, "taken"},
		{"bad profile duration", "POST", "/_mock/profiles", `{"name":"x","step_duration":"fast"}`, 400, "fast"},
		{"bad profile stage", "POST", "/_mock/profiles", `{"name":"x","fail_at":"ocr"}`, 400, "ocr"},
		{"unknown profile on upload", "POST", "/_mock/documents", `{"profile":"nope"}`, 400, "nope"},
		{"count too large", "POST", "/_mock/documents", `{"count":1000001}`, 400, "1000001"},
		{"bad advance duration", "POST", "/_mock/clock/advance", `{"duration":"soon"}`, 400, "soon"},
		{"unknown journal filter", "GET", "/_mock/deliveries?doc=1", "", 400, "doc"},
		{"bad document filter", "GET", "/_mock/events?document=abc", "", 400, "abc"},
		{"bad topic filter", "GET", "/_mock/deliveries?topic=finished", "", 400, "finished"},
		{"bad idle timeout", "GET", "/_mock/idle?timeout=-1s", "", 400, "-1s"},
		{"unknown route", "GET", "/_mock/nothing", "", 404, "/_mock/nothing"},
		{"wrong method", "PUT", "/_mock/health", "", 405, "PUT"},
		{"malformed json", "POST", "/_mock/profiles", `{"name":`, 400, "unexpected EOF"},
		{"duration as a number", "POST", "/_mock/rules", `{"fault":"delay","delay":5}`, 400, `member \"delay\" is a number, want a string: durations are strings with a unit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, p, tt.method, tt.path, tt.body, nil)
			if status != tt.status {
				t.Errorf("%s %s = %d %s, want %d", tt.method, tt.path, status, body, tt.status)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("%s %s body %s does not mention %q", tt.method, tt.path, body, tt.want)
			}
		})
	}
}

func TestControlDrivesManualClock(t *testing.T) {
	var p *mockplatform.Platform
	c := newConsumer(t, func() time.Time { return p.Clock().Now() }, nil)
	p, _ = startManual(t, mockplatform.Options{
		Subscriptions: []mockplatform.Subscription{{ID: "c", URL: c.srv.URL}},
	})
	var created struct{ Documents []struct{ ID int64 } }
	if status, body := call(t, p, "POST", "/_mock/documents", `{"count":2,"profile":"manual-all","external_id":"EX-1"}`, &created); status != 201 {
		t.Fatalf("POST /_mock/documents = %d %s", status, body)
	}
	if len(created.Documents) != 2 {
		t.Fatalf("created %d documents, want 2", len(created.Documents))
	}
	var idle struct{ Idle bool }
	call(t, p, "GET", "/_mock/idle?timeout=50ms", "", &idle)
	if idle.Idle {
		t.Error("idle before the manual clock moved: want steps pending")
	}
	var info struct {
		Now  time.Time
		Kind string
	}
	if status, body := call(t, p, "POST", "/_mock/clock/advance", `{"duration":"24h"}`, &info); status != 200 {
		t.Fatalf("advance = %d %s", status, body)
	}
	if info.Kind != "manual" || !info.Now.Equal(epoch.Add(24*time.Hour)) {
		t.Errorf("clock after advance = %+v, want manual at %s", info, epoch.Add(24*time.Hour))
	}
	call(t, p, "GET", "/_mock/idle?timeout=5s", "", &idle)
	if !idle.Idle {
		t.Error("not idle after every step ran")
	}

	id := created.Documents[1].ID
	var events struct{ Events []mockplatform.Event }
	call(t, p, "GET", "/_mock/events?document="+itoa(id)+"&state=delivered", "", &events)
	if len(events.Events) != 21 {
		t.Errorf("events for document %d = %d, want 21 delivered (every topic but processing-failed)", id, len(events.Events))
	}
	var deliveries struct {
		Deliveries []mockplatform.Delivery
		Dropped    int64
	}
	call(t, p, "GET", "/_mock/deliveries?document="+itoa(id)+"&topic=processing-finished", "", &deliveries)
	if len(deliveries.Deliveries) != 1 || deliveries.Deliveries[0].Subscription != "c" {
		t.Errorf("deliveries of processing-finished = %+v, want one to subscription c", deliveries.Deliveries)
	}
	var doc struct {
		Status mockplatform.Status
		Topics []mockplatform.Topic
	}
	call(t, p, "GET", "/_mock/documents/"+itoa(id), "", &doc)
	if doc.Status != mockplatform.StatusDone || len(doc.Topics) != 21 {
		t.Errorf("document = %+v, want done after 21 topics", doc)
	}
}

func TestControlAdvanceNeedsManualClock(t *testing.T) {
	p, err := mockplatform.Start(mockplatform.Options{Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	status, body := call(t, p, "POST", "/_mock/clock/advance", `{"duration":"1s"}`, nil)
	if status != http.StatusConflict || !strings.Contains(body, "real clock") {
		t.Errorf("advance on a real clock = %d %s, want 409 naming the clock", status, body)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestControlEffectsSink(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{})
	for _, body := range []string{
		`{"document_id":100001,"topic":"document-received","request_id":"abc","status":"pending"}`,
		`{"document_id":100001,"status":"done","source":"poll"}`,
	} {
		if status, resp := call(t, p, "POST", "/_mock/effects", body, nil); status != http.StatusCreated {
			t.Fatalf("POST /_mock/effects %s = %d %s, want 201", body, status, resp)
		}
	}
	var list struct{ Effects []mockplatform.Effect }
	call(t, p, "GET", "/_mock/effects?document=100001", "", &list)
	if len(list.Effects) != 2 || list.Effects[0].Source != mockplatform.EffectFromWebhook || list.Effects[1].Status != mockplatform.StatusDone {
		t.Errorf("effects = %+v, want the webhook effect then the poll", list.Effects)
	}
	if list.Effects[0].Seq != 1 || list.Effects[0].Time.IsZero() || list.Effects[0].Wall.IsZero() {
		t.Errorf("effect 1 = %+v, want seq 1 and both times set by the platform", list.Effects[0])
	}

	bad := []struct{ body, want string }{
		{`{"topic":"document-received"}`, "document_id 0"},
		{`{"document_id":1,"topic":"finished"}`, `topic \"finished\" is unknown`},
		{`{"document_id":1,"topic":"document-received","status":"ok"}`, `status \"ok\"`},
		{`{"document_id":1,"source":"cron","status":"done"}`, `source \"cron\"`},
		{`{"document_id":1}`, "topic is missing"},
		{`{"document_id":1,"topic":"document-received","seq":5}`, "set by the platform"},
		{`{"document_id":1,"topic":"document-received","extra":1}`, "extra"},
	}
	for _, b := range bad {
		status, resp := call(t, p, "POST", "/_mock/effects", b.body, nil)
		if status != http.StatusBadRequest || !strings.Contains(resp, b.want) {
			t.Errorf("POST /_mock/effects %s = %d %s, want 400 containing %q", b.body, status, resp, b.want)
		}
	}
	if status, _ := call(t, p, "GET", "/_mock/effects?subscription=c", "", nil); status != http.StatusBadRequest {
		t.Errorf("GET /_mock/effects?subscription=c = %d, want 400", status)
	}
}
