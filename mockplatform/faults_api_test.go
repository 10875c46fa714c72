package mockplatform_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// startFaultAPI starts a platform as startAPI does, with a client that
// opens a new connection for every request. Go's transport repeats a
// GET that fails on a reused connection, which would hide a reset from
// the test.
func startFaultAPI(t *testing.T, opts mockplatform.Options) *apiServer {
	t.Helper()
	s := startAPI(t, opts)
	s.client = &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   10 * time.Second,
	}
	return s
}

// addRule activates r on the platform and fails the test on error.
func (s *apiServer) addRule(tb testing.TB, r mockplatform.Rule) mockplatform.Rule {
	tb.Helper()
	added, err := s.p.AddRule(r)
	if err != nil {
		tb.Fatalf("AddRule(%+v): %v", r, err)
	}
	return added
}

// uploadA creates a document of tenant A through the Go API, so that no
// request reaches the journal or the fault rules, and returns its id.
func (s *apiServer) uploadA(tb testing.TB, externalID string) string {
	tb.Helper()
	doc, err := s.p.Upload(mockplatform.Upload{TenantID: apiTenantA, ExternalID: externalID})
	if err != nil {
		tb.Fatalf("Upload: %v", err)
	}
	return strconv.FormatInt(doc.ID, 10)
}

// journal returns the request journal.
func (s *apiServer) journal() []mockplatform.Request {
	reqs, _ := s.p.Requests()
	return reqs
}

// waitJournal waits until the request journal has a record with
// sequence number seq and returns it. A handler that closes the
// connection stores its record after the client has seen the error.
func (s *apiServer) waitJournal(tb testing.TB, seq int64) mockplatform.Request {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rec mockplatform.Request
	found := waitFor(ctx, func() bool {
		for _, r := range s.journal() {
			if r.Seq == seq {
				rec = r
				return true
			}
		}
		return false
	})
	if !found {
		tb.Fatalf("request journal has no record %d after 10s: %+v", seq, s.journal())
	}
	return rec
}

// checkFaultRecord checks that journal record seq names the fault rules
// and has the status code, zero for a closed connection.
func (s *apiServer) checkFaultRecord(t *testing.T, seq int64, fault string, status int) {
	t.Helper()
	rec := s.waitJournal(t, seq)
	if rec.Fault != fault {
		t.Errorf("Requests() record %d: Fault = %q, want %q", seq, rec.Fault, fault)
	}
	if rec.StatusCode != status {
		t.Errorf("Requests() record %d: StatusCode = %d, want %d", seq, rec.StatusCode, status)
	}
}

// fired returns how often the rule with the given id fired.
func fired(tb testing.TB, p *mockplatform.Platform, id string) int {
	tb.Helper()
	for _, r := range p.Rules() {
		if r.Rule.ID == id {
			return r.Fired
		}
	}
	tb.Fatalf("Rules() has no rule %q", id)
	return 0
}

func TestAPIFaultStatus(t *testing.T) {
	tests := []struct {
		name      string
		rule      mockplatform.Rule
		wantCode  mockplatform.ErrorCode
		wantAfter string // Retry-After in seconds; empty means none
		wantDate  time.Duration
	}{
		{
			name:      "429 seconds rounded up",
			rule:      mockplatform.Rule{Status: 429, RetryAfter: 2500 * time.Millisecond},
			wantCode:  mockplatform.CodeTooManyRequests,
			wantAfter: "3",
		},
		{
			name:      "429 default wait",
			rule:      mockplatform.Rule{Status: 429},
			wantCode:  mockplatform.CodeTooManyRequests,
			wantAfter: "1",
		},
		{
			name:      "429 below a second",
			rule:      mockplatform.Rule{Status: 429, RetryAfter: 10 * time.Millisecond},
			wantCode:  mockplatform.CodeTooManyRequests,
			wantAfter: "1",
		},
		{
			name:     "429 HTTP date",
			rule:     mockplatform.Rule{Status: 429, RetryAfter: 90 * time.Second, RetryAfterDate: true},
			wantCode: mockplatform.CodeTooManyRequests,
			wantDate: 90 * time.Second,
		},
		{name: "500", rule: mockplatform.Rule{Status: 500}, wantCode: mockplatform.CodeInternal},
		{name: "502", rule: mockplatform.Rule{Status: 502}, wantCode: mockplatform.CodeBadGateway},
		{name: "503", rule: mockplatform.Rule{Status: 503}, wantCode: mockplatform.CodeServiceUnavailable},
		{name: "504", rule: mockplatform.Rule{Status: 504}, wantCode: mockplatform.CodeGatewayTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFaultAPI(t, mockplatform.Options{})
			id := s.uploadA(t, "")
			tt.rule.ID = "status-rule"
			tt.rule.Fault = mockplatform.FaultStatus
			s.addRule(t, tt.rule)

			sent := time.Now()
			resp := s.get(t, apiTokenA, "/v2/documents/"+id)
			received := time.Now()

			checkAPIError(t, resp, tt.rule.Status, tt.wantCode, "injected by fault rule status-rule")
			got := resp.header.Get("Retry-After")
			switch {
			case tt.wantAfter != "":
				if got != tt.wantAfter {
					t.Errorf("Retry-After = %q, want %q", got, tt.wantAfter)
				}
			case tt.wantDate != 0:
				checkRetryAfterDate(t, got, sent.Add(tt.wantDate), received.Add(tt.wantDate))
			case got != "":
				t.Errorf("Retry-After = %q on status %d, want none", got, tt.rule.Status)
			}
			s.checkFaultRecord(t, 1, "status-rule", tt.rule.Status)
		})
	}
}

// checkRetryAfterDate checks that an HTTP-date Retry-After is not
// before earliest and at most a second after latest, which allows for
// rounding up to whole seconds.
func checkRetryAfterDate(t *testing.T, value string, earliest, latest time.Time) {
	t.Helper()
	if !strings.HasSuffix(value, " GMT") {
		t.Errorf("Retry-After = %q, want an HTTP date in GMT", value)
	}
	date, err := http.ParseTime(value)
	if err != nil {
		t.Fatalf("Retry-After = %q is not an HTTP date: %v", value, err)
	}
	if date.Before(earliest) {
		t.Errorf("Retry-After = %s, want not before %s", date, earliest.UTC())
	}
	if date.After(latest.Add(time.Second)) {
		t.Errorf("Retry-After = %s, want at most a second after %s", date, latest.UTC())
	}
}

func TestAPIFaultStatusSkipsHandler(t *testing.T) {
	s := startFaultAPI(t, mockplatform.Options{})
	s.addRule(t, mockplatform.Rule{ID: "no-upload", Fault: mockplatform.FaultStatus, Status: 503,
		Match: mockplatform.Match{Methods: []string{http.MethodPost}}})

	body := `{"data":{"type":"documents","attributes":{"name":"a.pdf"}}}`
	resp := s.do(t, apiTokenA, http.MethodPost, "/v2/documents", mockplatform.MediaType, body)

	checkAPIError(t, resp, http.StatusServiceUnavailable, mockplatform.CodeServiceUnavailable, "no-upload")
	if docs := s.p.Documents(); len(docs) != 0 {
		t.Errorf("Documents() has %d documents after a faulted POST, want 0", len(docs))
	}
	s.checkFaultRecord(t, 1, "no-upload", http.StatusServiceUnavailable)
}

func TestAPIFaultLatency(t *testing.T) {
	const delay = 300 * time.Millisecond
	s := startFaultAPI(t, mockplatform.Options{})
	id := s.uploadA(t, "")
	s.addRule(t, mockplatform.Rule{ID: "slow", Fault: mockplatform.FaultLatency, Delay: delay})

	start := time.Now()
	resp := s.get(t, apiTokenA, "/v2/documents/"+id)
	elapsed := time.Since(start)

	if resp.status != http.StatusOK {
		t.Errorf("status = %d, want 200; body: %s", resp.status, resp.body)
	}
	if elapsed < delay {
		t.Errorf("response took %s, want at least the rule's delay %s", elapsed, delay)
	}
	s.checkFaultRecord(t, 1, "slow", http.StatusOK)
	if rec := s.waitJournal(t, 1); rec.Latency < delay {
		t.Errorf("Requests() record 1: Latency = %s, want at least %s", rec.Latency, delay)
	}
}

func TestAPIFaultLatencyThenStatus(t *testing.T) {
	const delay = 200 * time.Millisecond
	s := startFaultAPI(t, mockplatform.Options{})
	s.addRule(t, mockplatform.Rule{ID: "unavailable", Fault: mockplatform.FaultStatus, Status: 503})
	s.addRule(t, mockplatform.Rule{ID: "reset", Fault: mockplatform.FaultReset})
	s.addRule(t, mockplatform.Rule{ID: "slow", Fault: mockplatform.FaultLatency, Delay: delay})

	start := time.Now()
	resp := s.get(t, apiTokenA, "/v2/documents")
	elapsed := time.Since(start)

	checkAPIError(t, resp, http.StatusServiceUnavailable, mockplatform.CodeServiceUnavailable, "unavailable")
	if elapsed < delay {
		t.Errorf("response took %s, want at least the latency rule's delay %s", elapsed, delay)
	}
	// The reset rule fired but the status rule, added before it, acted.
	s.checkFaultRecord(t, 1, "unavailable,slow", http.StatusServiceUnavailable)
	if n := fired(t, s.p, "reset"); n != 1 {
		t.Errorf("reset rule fired %d times, want 1", n)
	}
}

func TestAPIFaultLatencyClientGivesUp(t *testing.T) {
	s := startFaultAPI(t, mockplatform.Options{})
	s.addRule(t, mockplatform.Rule{ID: "slow", Fault: mockplatform.FaultLatency, Delay: time.Hour})
	s.client.Timeout = 100 * time.Millisecond

	_, err := s.client.Do(s.request(t, apiTokenA, http.MethodGet, "/v2/documents", "", nil))
	if err == nil {
		t.Fatal("GET /v2/documents with a 100ms timeout: no error, want a timeout")
	}
	// The handler ends long before the hour passes, so the record is
	// stored within waitJournal's bound.
	s.checkFaultRecord(t, 1, "slow", 0)
}

func TestAPIFaultReset(t *testing.T) {
	tests := []struct {
		method string
		body   string
	}{
		{http.MethodGet, ""},
		{http.MethodPost, `{"data":{"type":"documents","attributes":{"name":"a.pdf"}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			s := startFaultAPI(t, mockplatform.Options{})
			s.addRule(t, mockplatform.Rule{ID: "cut", Fault: mockplatform.FaultReset})

			var contentType string
			if tt.body != "" {
				contentType = mockplatform.MediaType
			}
			req := s.request(t, apiTokenA, tt.method, "/v2/documents", contentType, strings.NewReader(tt.body))
			resp, err := s.client.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s /v2/documents: status %d, want a connection error", tt.method, resp.StatusCode)
			}
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("%s /v2/documents: error %v, want connection reset by peer", tt.method, err)
			}
			s.checkFaultRecord(t, 1, "cut", 0)
			if docs := s.p.Documents(); len(docs) != 0 {
				t.Errorf("Documents() has %d documents after a reset request, want 0", len(docs))
			}
		})
	}
}

func TestAPIFaultHang(t *testing.T) {
	tests := []struct {
		name   string
		method string
		body   string
	}{
		{"GET", http.MethodGet, ""},
		// The body is read while the request is held, so the platform
		// notices the client giving up on a request with a body too.
		{"POST", http.MethodPost, `{"data":{"type":"documents","attributes":{}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFaultAPI(t, mockplatform.Options{})
			s.addRule(t, mockplatform.Rule{ID: "stuck", Fault: mockplatform.FaultHang})
			s.client.Timeout = 200 * time.Millisecond

			var contentType string
			if tt.body != "" {
				contentType = mockplatform.MediaType
			}
			req := s.request(t, apiTokenA, tt.method, "/v2/documents", contentType, strings.NewReader(tt.body))
			start := time.Now()
			resp, err := s.client.Do(req)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s /v2/documents: status %d, want a timeout", tt.method, resp.StatusCode)
			}
			var netErr net.Error
			if !errors.As(err, &netErr) || !netErr.Timeout() {
				t.Errorf("%s /v2/documents: error %v, want a client timeout", tt.method, err)
			}
			if elapsed := time.Since(start); elapsed < s.client.Timeout {
				t.Errorf("client gave up after %s, want at least its timeout %s", elapsed, s.client.Timeout)
			}
			s.checkFaultRecord(t, 1, "stuck", 0)
		})
	}
}

func TestAPIFaultHangDelayCloses(t *testing.T) {
	const delay = 200 * time.Millisecond
	s := startFaultAPI(t, mockplatform.Options{})
	s.addRule(t, mockplatform.Rule{ID: "stuck", Fault: mockplatform.FaultHang, Delay: delay})

	start := time.Now()
	resp, err := s.client.Do(s.request(t, apiTokenA, http.MethodGet, "/v2/documents", "", nil))
	elapsed := time.Since(start)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("GET /v2/documents: status %d, want a connection error after the hang", resp.StatusCode)
	}
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("GET /v2/documents: error %v, want connection reset by peer", err)
	}
	if elapsed < delay {
		t.Errorf("connection closed after %s, want at least the rule's delay %s", elapsed, delay)
	}
	s.checkFaultRecord(t, 1, "stuck", 0)
}

// TestAPIFaultCloseDuringHold checks that Close ends requests held by
// hang and latency rules instead of waiting for them.
func TestAPIFaultCloseDuringHold(t *testing.T) {
	tests := []struct {
		name       string
		rule       mockplatform.Rule
		wantStatus int // of the held request; zero means a connection error
	}{
		{"hang", mockplatform.Rule{ID: "held", Fault: mockplatform.FaultHang}, 0},
		// Shutdown lets requests in flight finish, so the delayed
		// request gets its response at once.
		{"latency", mockplatform.Rule{ID: "held", Fault: mockplatform.FaultLatency, Delay: time.Hour}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFaultAPI(t, mockplatform.Options{})
			s.addRule(t, tt.rule)
			s.client.Timeout = 0 // the test bounds the wait itself

			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			type result struct {
				status int
				err    error
			}
			results := make(chan result, 1)
			req := s.request(t, apiTokenA, http.MethodGet, "/v2/documents", "", nil).WithContext(ctx)
			go func() {
				resp, err := s.client.Do(req)
				if err != nil {
					results <- result{err: err}
					return
				}
				resp.Body.Close()
				results <- result{status: resp.StatusCode}
			}()
			if !waitFor(ctx, func() bool { return fired(t, s.p, "held") == 1 }) {
				t.Fatal("the rule did not fire within 10s")
			}

			closed := make(chan error, 1)
			go func() { closed <- s.p.Close() }()
			select {
			case err := <-closed:
				if err != nil {
					t.Errorf("Close: %v", err)
				}
			case <-ctx.Done():
				t.Fatalf("Close did not return within 10s while a %s request was held", tt.name)
			}

			var res result
			select {
			case res = <-results:
			case <-ctx.Done():
				t.Fatal("the held request did not end within 10s of Close")
			}
			if res.status != tt.wantStatus {
				t.Errorf("held request: status %d, error %v; want status %d (0 means a connection error)",
					res.status, res.err, tt.wantStatus)
			}
			if tt.wantStatus == 0 && res.err == nil {
				t.Error("held request: no error, want a connection error")
			}
			s.checkFaultRecord(t, 1, "held", tt.wantStatus)
		})
	}
}

// staleView is what a stale read shows of a document.
type staleView struct {
	Status       any
	WorkflowStep any
	DocumentType any
	UpdatedAt    any
	ExternalID   any
	Fields       int
}

func viewOf(res apiResource, included []apiResource) staleView {
	return staleView{
		Status:       res.Attributes["status"],
		WorkflowStep: res.Attributes["workflow_step"],
		DocumentType: res.Attributes["document_type_identifier"],
		UpdatedAt:    res.Attributes["updated_at"],
		ExternalID:   res.Attributes["external_id"],
		Fields:       len(included),
	}
}

// showView returns the document as GET /v2/documents/{id} shows it.
func (s *apiServer) showView(t *testing.T, id string) staleView {
	t.Helper()
	resp := s.get(t, apiTokenA, "/v2/documents/"+id+"?include=document_fields")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /v2/documents/%s: status %d, want 200; body: %s", id, resp.status, resp.body)
	}
	var doc apiSingle
	resp.decode(t, &doc)
	return viewOf(doc.Data, doc.Included)
}

// at returns the API form of the platform time d after the epoch.
func at(d time.Duration) string { return apiTime(apiEpoch.Add(d)) }

func TestAPIFaultStale(t *testing.T) {
	// The straight-through profile fires a topic every 2s: received at
	// 0s, classification-done at 10s, extraction-done at 14s,
	// processing-finished at 16s.
	const age = 10 * time.Second
	s := startFaultAPI(t, mockplatform.Options{})
	id := s.uploadA(t, "EX-1")
	s.addRule(t, mockplatform.Rule{ID: "lagging", Fault: mockplatform.FaultStale, Delay: age})

	s.advance(t, 20*time.Second)
	docType := s.p.Documents()[0].DocumentType
	done := staleView{Status: "done", WorkflowStep: "outbound", DocumentType: docType, UpdatedAt: at(16 * time.Second), ExternalID: "EX-1", Fields: 9}
	steps := []struct {
		advance time.Duration
		want    staleView
	}{
		// At 20s the read shows 10s.
		{0, staleView{Status: "in_progress", WorkflowStep: "classification", DocumentType: docType, UpdatedAt: at(10 * time.Second), ExternalID: "EX-1"}},
		// At 24s it shows 14s, after extraction.
		{4 * time.Second, staleView{Status: "in_progress", WorkflowStep: "extraction", DocumentType: docType, UpdatedAt: at(14 * time.Second), ExternalID: "EX-1", Fields: 9}},
		// At 26s the last change is as old as the rule's delay.
		{2 * time.Second, done},
	}
	for _, st := range steps {
		s.advance(t, st.advance)
		if diff := cmp.Diff(st.want, s.showView(t, id)); diff != "" {
			t.Errorf("stale GET at %s mismatch (-want +got):\n%s", s.p.Clock().Now().Sub(apiEpoch), diff)
		}
	}

	// Once the staleness window has passed, the stale read equals a
	// fresh one byte for byte.
	stale := s.get(t, apiTokenA, "/v2/documents/"+id+"?include=document_fields")
	s.p.RemoveRule("lagging")
	fresh := s.get(t, apiTokenA, "/v2/documents/"+id+"?include=document_fields")
	if diff := cmp.Diff(string(fresh.body), string(stale.body)); diff != "" {
		t.Errorf("stale GET after the window mismatch with a fresh GET (-fresh +stale):\n%s", diff)
	}
	for seq := int64(1); seq <= 4; seq++ {
		s.checkFaultRecord(t, seq, "lagging", http.StatusOK)
	}
	s.checkFaultRecord(t, 5, "", http.StatusOK)
}

func TestAPIFaultStaleBeforeCreation(t *testing.T) {
	s := startFaultAPI(t, mockplatform.Options{})
	s.advance(t, time.Hour)
	id := s.uploadA(t, "")
	s.advance(t, 5*time.Second)                                                    // past automatic-separation-done
	s.addRule(t, mockplatform.Rule{ID: "lagging", Fault: mockplatform.FaultStale}) // delay 1m

	want := staleView{Status: "pending", WorkflowStep: "inbound", DocumentType: nil, UpdatedAt: at(time.Hour)}
	if diff := cmp.Diff(want, s.showView(t, id)); diff != "" {
		t.Errorf("stale GET of a document younger than the delay mismatch (-want +got):\n%s", diff)
	}
}

func TestAPIFaultStalePatch(t *testing.T) {
	s := startFaultAPI(t, mockplatform.Options{})
	id := s.uploadA(t, "EX-1")
	s.advance(t, 20*time.Second)
	body := `{"data":{"type":"documents","id":"` + id + `","attributes":{"external_id":"EX-2"}}}`
	if resp := s.do(t, apiTokenA, http.MethodPatch, "/v2/documents/"+id, mockplatform.MediaType, body); resp.status != http.StatusOK {
		t.Fatalf("PATCH: status %d, want 200; body: %s", resp.status, resp.body)
	}
	s.advance(t, 8*time.Second)
	s.addRule(t, mockplatform.Rule{ID: "lagging", Fault: mockplatform.FaultStale, Delay: 10 * time.Second})

	// At 28s the read shows 18s, before the PATCH. The history keeps
	// the workflow state and updated_at, not the attributes a PATCH
	// sets, so external_id is the current one.
	got := s.showView(t, id)
	if got.UpdatedAt != at(16*time.Second) {
		t.Errorf("stale updated_at before a PATCH at 20s = %v, want %s from processing-finished", got.UpdatedAt, at(16*time.Second))
	}
	if got.ExternalID != "EX-2" {
		t.Errorf("external_id = %v, want the patched EX-2", got.ExternalID)
	}
	s.advance(t, 10*time.Second)
	if got := s.showView(t, id); got.UpdatedAt != at(20*time.Second) {
		t.Errorf("updated_at after the window = %v, want %s from the PATCH", got.UpdatedAt, at(20*time.Second))
	}
}

func TestAPIFaultStaleList(t *testing.T) {
	s := startFaultAPI(t, mockplatform.Options{})
	first := s.uploadA(t, "")
	s.advance(t, 30*time.Second) // first is done
	second := s.uploadA(t, "")
	s.advance(t, 5*time.Second) // second is in_progress
	s.addRule(t, mockplatform.Rule{ID: "lagging", Fault: mockplatform.FaultStale, Delay: 20 * time.Second})

	// At 35s the list shows 15s: first was in_progress, second did
	// not exist yet and shows its oldest version.
	tests := []struct {
		query      string
		wantIDs    []string
		wantStatus []any
	}{
		{"", []string{first, second}, []any{"in_progress", "pending"}},
		{"?filter[status]=pending&stats[total]=count", []string{second}, []any{"pending"}},
		{"?filter[status]=done", []string{}, []any{}},
	}
	for _, tt := range tests {
		resp := s.get(t, apiTokenA, "/v2/documents"+tt.query)
		if resp.status != http.StatusOK {
			t.Fatalf("GET /v2/documents%s: status %d, want 200; body: %s", tt.query, resp.status, resp.body)
		}
		var list apiList
		resp.decode(t, &list)
		statuses := []any{}
		for _, r := range list.Data {
			statuses = append(statuses, r.Attributes["status"])
		}
		if diff := cmp.Diff(tt.wantIDs, ids(list.Data)); diff != "" {
			t.Errorf("stale GET /v2/documents%s ids mismatch (-want +got):\n%s", tt.query, diff)
		}
		if diff := cmp.Diff(tt.wantStatus, statuses); diff != "" {
			t.Errorf("stale GET /v2/documents%s statuses mismatch (-want +got):\n%s", tt.query, diff)
		}
		if list.Meta != nil && list.Meta.Stats.Total.Count != len(tt.wantIDs) {
			t.Errorf("stale GET /v2/documents%s: meta.stats.total.count = %d, want %d", tt.query, list.Meta.Stats.Total.Count, len(tt.wantIDs))
		}
	}
}

// faultedRequests sends n GETs of the list and returns the 1-based
// numbers of those that got the rule's 503. It checks that the journal
// names rule on exactly those requests.
func faultedRequests(t *testing.T, s *apiServer, n int, rule string) []int {
	t.Helper()
	start := int64(len(s.journal()))
	var out []int
	for i := 1; i <= n; i++ {
		resp := s.get(t, apiTokenA, "/v2/documents")
		if resp.status == http.StatusServiceUnavailable {
			out = append(out, i)
		}
		want := ""
		if resp.status == http.StatusServiceUnavailable {
			want = rule
		}
		s.checkFaultRecord(t, start+int64(i), want, resp.status)
	}
	return out
}

func TestAPIFaultSelectionCounting(t *testing.T) {
	tests := []struct {
		name string
		when mockplatform.When
		want []int
	}{
		{"every match", mockplatform.When{}, []int{1, 2, 3, 4, 5, 6, 7, 8}},
		{"nth 3", mockplatform.When{Nth: 3}, []int{3}},
		{"first 2", mockplatform.When{First: 2}, []int{1, 2}},
		{"every 3", mockplatform.When{Every: 3}, []int{3, 6}},
		{"limit 2", mockplatform.When{Limit: 2}, []int{1, 2}},
		{"every 2 limit 3", mockplatform.When{Every: 2, Limit: 3}, []int{2, 4, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFaultAPI(t, mockplatform.Options{})
			s.addRule(t, mockplatform.Rule{ID: "r", Fault: mockplatform.FaultStatus, Status: 503, When: tt.when})
			if diff := cmp.Diff(tt.want, faultedRequests(t, s, 8, "r")); diff != "" {
				t.Errorf("faulted requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIFaultSelectionProbability(t *testing.T) {
	const n = 40
	run := func(seed uint64) []int {
		s := startFaultAPI(t, mockplatform.Options{Seed: seed})
		s.addRule(t, mockplatform.Rule{ID: "coin", Fault: mockplatform.FaultStatus, Status: 503,
			When: mockplatform.When{Probability: 0.5}})
		return faultedRequests(t, s, n, "coin")
	}
	first, second := run(42), run(42)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("decisions with the same seed mismatch (-first +second):\n%s", diff)
	}
	if len(first) == 0 || len(first) == n {
		t.Errorf("probability 0.5 faulted %d of %d requests, want some but not all", len(first), n)
	}
	if other := run(43); slices.Equal(first, other) {
		t.Errorf("seeds 42 and 43 faulted the same requests %v, want the seed to change the decisions", first)
	}
}

func TestAPIFaultSelectionWindow(t *testing.T) {
	s := startFaultAPI(t, mockplatform.Options{})
	s.addRule(t, mockplatform.Rule{ID: "window", Fault: mockplatform.FaultStatus, Status: 503,
		When: mockplatform.When{After: 30 * time.Second, Before: 90 * time.Second}})

	// Request i is sent at (i-1)*30s of platform time.
	var got []int
	for i := 1; i <= 5; i++ {
		if len(faultedRequests(t, s, 1, "window")) == 1 {
			got = append(got, i)
		}
		s.advance(t, 30*time.Second)
	}
	if diff := cmp.Diff([]int{2, 3}, got); diff != "" {
		t.Errorf("faulted requests (1 at 0s, 2 at 30s, and so on) mismatch (-want +got):\n%s", diff)
	}
}

func TestAPIFaultSelectionMatch(t *testing.T) {
	// Each case runs the same requests on a new platform with documents
	// A ("EX-1") and B ("OTHER-2") of tenant A and C ("EX-3") of tenant
	// B, uploaded in this order before the rule is added.
	const (
		docA = mockplatform.DefaultFirstID + iota
		docB
		docC
	)
	type request struct {
		token, method, path, body string
	}
	requestsFor := func(a, b, c string) []request {
		patch := `{"data":{"type":"documents","id":"` + a + `","attributes":{"external_id":"EX-1"}}}`
		return []request{
			1:  {apiTokenA, http.MethodGet, "/v2/documents/" + a, ""},
			2:  {apiTokenA, http.MethodGet, "/v2/documents", ""},
			3:  {apiTokenA, http.MethodPatch, "/v2/documents/" + a, patch},
			4:  {apiTokenA, http.MethodGet, "/v2/documents/" + b, ""},
			5:  {apiTokenA, http.MethodGet, "/v2/documents?filter[external_id]=EX-1", ""},
			6:  {apiTokenA, http.MethodPost, "/v2/documents", `{"data":{"type":"documents","attributes":{}}}`},
			7:  {apiTokenB, http.MethodGet, "/v2/documents/" + c, ""},
			8:  {apiTokenA, http.MethodGet, "/v2/documents/" + c, ""}, // another tenant's document: 404
			9:  {apiTokenA, http.MethodGet, "/v2/unknown", ""},
			10: {"", http.MethodGet, "/v2/documents/" + a, ""}, // no token: 401, never faulted
		}[1:]
	}
	tests := []struct {
		name  string
		match mockplatform.Match
		want  []int
	}{
		{"everything authenticated", mockplatform.Match{}, []int{1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"method PATCH", mockplatform.Match{Methods: []string{http.MethodPatch}}, []int{3}},
		{"methods POST and PATCH", mockplatform.Match{Methods: []string{http.MethodPost, http.MethodPatch}}, []int{3, 6}},
		{"path glob", mockplatform.Match{Path: "/v2/documents/*"}, []int{1, 3, 4, 7, 8}},
		{"exact path", mockplatform.Match{Path: "/v2/documents"}, []int{2, 5, 6}},
		{"document A", mockplatform.Match{Documents: []int64{docA}}, []int{1, 3}},
		{"documents B and C", mockplatform.Match{Documents: []int64{docB, docC}}, []int{4, 7, 8}},
		{"external_id glob", mockplatform.Match{ExternalID: "EX-*"}, []int{1, 3, 5, 7}},
		{"external_id exact", mockplatform.Match{ExternalID: "OTHER-2"}, []int{4}},
		{"GET, path and external_id", mockplatform.Match{
			Methods: []string{http.MethodGet}, Path: "/v2/documents/*", ExternalID: "EX-*",
		}, []int{1, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startFaultAPI(t, mockplatform.Options{})
			a := s.uploadA(t, "EX-1")
			b := s.uploadA(t, "OTHER-2")
			c, err := s.p.Upload(mockplatform.Upload{TenantID: apiTenantB, ExternalID: "EX-3"})
			if err != nil {
				t.Fatalf("Upload: %v", err)
			}
			if got := []int64{mustID(t, a), mustID(t, b), c.ID}; !slices.Equal(got, []int64{docA, docB, docC}) {
				t.Fatalf("document ids = %v, want %v", got, []int64{docA, docB, docC})
			}
			s.addRule(t, mockplatform.Rule{ID: "m", Fault: mockplatform.FaultStatus, Status: 503, Match: tt.match})

			var got []int
			for i, r := range requestsFor(a, b, strconv.FormatInt(c.ID, 10)) {
				var contentType string
				if r.body != "" {
					contentType = mockplatform.MediaType
				}
				resp := s.do(t, r.token, r.method, r.path, contentType, r.body)
				want := ""
				if resp.status == http.StatusServiceUnavailable {
					got = append(got, i+1)
					want = "m"
				}
				s.checkFaultRecord(t, int64(i+1), want, resp.status)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("faulted requests mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func ExamplePlatform_AddRule_status() {
	p, err := mockplatform.Start(mockplatform.Options{})
	if err != nil {
		panic(err)
	}
	defer p.Close()
	_, err = p.AddRule(mockplatform.Rule{
		ID:     "throttle",
		Fault:  mockplatform.FaultStatus,
		Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second,
		When: mockplatform.When{First: 1},
	})
	if err != nil {
		panic(err)
	}

	for range 2 {
		req, _ := http.NewRequest(http.MethodGet, p.URL()+"/v2/documents", nil)
		req.Header.Set("Authorization", "Bearer "+mockplatform.DefaultToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Printf("%d Retry-After=%q\n", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	reqs, _ := p.Requests()
	for _, r := range reqs {
		fmt.Printf("%d %s %q\n", r.Seq, r.Path, r.Fault)
	}
	http.DefaultClient.CloseIdleConnections()
	// Output:
	// 429 Retry-After="2"
	// 200 Retry-After=""
	// 1 /v2/documents "throttle"
	// 2 /v2/documents ""
}
