package mockplatform_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// onlyReceived subscribes to document-received alone, so each upload
// makes exactly one event.
var onlyReceived = []mockplatform.Topic{mockplatform.TopicDocumentReceived}

func TestRetryScheduleOffsets(t *testing.T) {
	for k := 0; k <= mockplatform.MaxRetries; k++ {
		t.Run(fmt.Sprintf("fail_first_%d", k), func(t *testing.T) {
			var p *mockplatform.Platform
			c := newConsumer(t, func() time.Time { return p.Clock().Now() }, func(n int, _ webhook) int {
				if n <= k {
					return http.StatusInternalServerError
				}
				return http.StatusNoContent
			})
			p, _ = startManual(t, mockplatform.Options{
				Seed:          uint64(k),
				Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL, Topics: onlyReceived}},
			})
			upload(t, p, mockplatform.Upload{})
			advance(t, p, 20*time.Hour)

			got := c.received()
			if len(got) != k+1 {
				t.Fatalf("consumer received %d attempts, want %d", len(got), k+1)
			}
			if !got[0].At.Equal(epoch) {
				t.Errorf("attempt 1 arrived at %s, want the upload time %s", got[0].At, epoch)
			}
			for n := 1; n <= k; n++ {
				gap := got[n].At.Sub(got[n-1].At)
				jitter := gap - mockplatform.RetryDelay(n)
				if jitter < 0 || jitter >= mockplatform.MaxJitter {
					t.Errorf("retry %d came %s after attempt %d: jitter %s is outside [0s, 30s)", n, gap, n, jitter)
				}
			}
			deliveries, _ := p.Deliveries()
			if len(deliveries) != k+1 {
				t.Fatalf("journal has %d attempts, want %d", len(deliveries), k+1)
			}
			for i, d := range deliveries {
				if d.Attempt != i+1 {
					t.Errorf("journal entry %d is attempt %d, want %d", i, d.Attempt, i+1)
				}
				if !d.SentAt.Equal(d.PlannedAt) || !d.SentAt.Equal(got[i].At) {
					t.Errorf("attempt %d planned %s, sent %s, arrived %s: want all equal", d.Attempt, d.PlannedAt, d.SentAt, got[i].At)
				}
				wantOutcome := mockplatform.OutcomeFailed
				if i == k {
					wantOutcome = mockplatform.OutcomeDelivered
				}
				if d.Outcome != wantOutcome {
					t.Errorf("attempt %d outcome = %s, want %s", d.Attempt, d.Outcome, wantOutcome)
				}
			}
			if e := p.Events()[0]; e.State != mockplatform.EventDelivered || e.Attempts != k+1 {
				t.Errorf("event = %s after %d attempts, want delivered after %d", e.State, e.Attempts, k+1)
			}
		})
	}
}

func TestRetryAlwaysFailingIsLost(t *testing.T) {
	var p *mockplatform.Platform
	c := newConsumer(t, func() time.Time { return p.Clock().Now() }, func(int, webhook) int {
		return http.StatusServiceUnavailable
	})
	p, _ = startManual(t, mockplatform.Options{
		Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL, Topics: onlyReceived}},
	})
	upload(t, p, mockplatform.Upload{})

	// The schedule adds up to 61,776 s (about 17.2 h) plus at most 8 × 30 s.
	advance(t, p, 17*time.Hour)
	if e := p.Events()[0]; e.State != mockplatform.EventPending {
		t.Fatalf("after 17h the event is %s, want pending: the last retry is due after 17.16h", e.State)
	}
	advance(t, p, time.Hour)
	if n := len(c.received()); n != 9 {
		t.Errorf("consumer received %d attempts, want 9 (1 + 8 retries)", n)
	}
	e := p.Events()[0]
	if e.State != mockplatform.EventLost || e.Attempts != 9 {
		t.Errorf("event = %s after %d attempts, want lost after 9", e.State, e.Attempts)
	}
	if !e.EndedAt.Equal(c.received()[8].At) {
		t.Errorf("event ended at %s, want the time of the 9th attempt %s", e.EndedAt, c.received()[8].At)
	}

	advance(t, p, 48*time.Hour)
	if n := len(c.received()); n != 9 {
		t.Errorf("consumer received %d attempts after the event was lost, want no more than 9", n)
	}
}

func TestRetryConnectionRefused(t *testing.T) {
	// A closed server's port refuses connections.
	dead := newConsumer(t, time.Now, nil)
	url := dead.srv.URL
	dead.srv.Close()

	p, _ := startManual(t, mockplatform.Options{
		Subscriptions: []mockplatform.Subscription{{URL: url, Topics: onlyReceived}},
	})
	upload(t, p, mockplatform.Upload{})
	advance(t, p, 20*time.Hour)

	deliveries, _ := p.Deliveries()
	if len(deliveries) != 9 {
		t.Fatalf("journal has %d attempts, want 9", len(deliveries))
	}
	for _, d := range deliveries {
		if d.StatusCode != 0 || d.Error == "" {
			t.Errorf("attempt %d: status %d, error %q: want no status and a connection error", d.Attempt, d.StatusCode, d.Error)
		}
	}
}

func TestRequestIDStablePerEvent(t *testing.T) {
	for _, perAttempt := range []bool{false, true} {
		t.Run(fmt.Sprintf("per_attempt_%v", perAttempt), func(t *testing.T) {
			var p *mockplatform.Platform
			c := newConsumer(t, func() time.Time { return p.Clock().Now() }, func(n int, _ webhook) int {
				if n < 3 {
					return http.StatusBadGateway
				}
				return http.StatusOK
			})
			p, _ = startManual(t, mockplatform.Options{
				RequestIDPerAttempt: perAttempt,
				Subscriptions:       []mockplatform.Subscription{{URL: c.srv.URL, Topics: onlyReceived}},
			})
			upload(t, p, mockplatform.Upload{})
			advance(t, p, time.Hour)

			ids := map[string]bool{}
			for _, w := range c.received() {
				if len(w.RequestID) != 32 {
					t.Errorf("request_id %q is not 32 hex digits", w.RequestID)
				}
				ids[w.RequestID] = true
			}
			want := 1
			if perAttempt {
				want = 3
			}
			if len(ids) != want {
				t.Errorf("3 attempts carried %d distinct request_ids, want %d", len(ids), want)
			}
		})
	}
}

func TestJitterReproducibleFromSeed(t *testing.T) {
	offsets := func(seed uint64) []time.Duration {
		var p *mockplatform.Platform
		c := newConsumer(t, func() time.Time { return p.Clock().Now() }, func(int, webhook) int { return 500 })
		p, _ = startManual(t, mockplatform.Options{
			Seed:          seed,
			Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL, Topics: onlyReceived}},
		})
		for range 3 {
			upload(t, p, mockplatform.Upload{})
		}
		advance(t, p, 20*time.Hour)
		var out []time.Duration
		for _, d := range sortedDeliveries(p) {
			out = append(out, d.SentAt.Sub(epoch))
		}
		return out
	}
	first, second := offsets(99), offsets(99)
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("two runs with seed 99 sent at different times (-first +second):\n%s", diff)
	}
	if cmp.Equal(first, offsets(100)) {
		t.Error("seeds 99 and 100 gave the same send times: the jitter ignores the seed")
	}
}

// sortedDeliveries returns the delivery journal ordered by event and
// attempt, which does not depend on goroutine scheduling.
func sortedDeliveries(p *mockplatform.Platform) []mockplatform.Delivery {
	ds, _ := p.Deliveries()
	slices.SortFunc(ds, func(a, b mockplatform.Delivery) int {
		if a.EventID != b.EventID {
			return strings.Compare(a.EventID, b.EventID)
		}
		return a.Attempt - b.Attempt
	})
	return ds
}

func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	// The slow endpoint holds every request until the test ends; the
	// fast one must still receive every event of every document, and
	// the slow one the first event of every document at once.
	release := make(chan struct{})
	var held sync.WaitGroup
	var mu sync.Mutex
	inFlight := 0
	slow := newConsumer(t, time.Now, func(int, webhook) int {
		mu.Lock()
		inFlight++
		mu.Unlock()
		held.Done()
		<-release
		return http.StatusOK
	})
	fast := newConsumer(t, time.Now, nil)

	quick := mockplatform.Profile{Name: "quick", StepDuration: time.Millisecond}
	p, err := mockplatform.Start(mockplatform.Options{
		Clock:          clock.Real(),
		AttemptTimeout: time.Minute,
		Profiles:       []mockplatform.Profile{quick},
		DefaultProfile: "quick",
		Subscriptions: []mockplatform.Subscription{
			{ID: "slow", URL: slow.srv.URL},
			{ID: "fast", URL: fast.srv.URL},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	defer close(release) // runs before Close, so Close does not wait a minute

	const docs, topicsPerDoc = 5, 9
	held.Add(docs)
	for range docs {
		upload(t, p, mockplatform.Upload{})
	}

	// A document's later events wait for its first one, but the
	// documents' first events run side by side.
	waitCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !waitFor(waitCtx, func() bool { return len(fast.received()) == docs*topicsPerDoc }) {
		t.Fatalf("fast endpoint received %d webhooks, want %d", len(fast.received()), docs*topicsPerDoc)
	}
	done := make(chan struct{})
	go func() { held.Wait(); close(done) }()
	select {
	case <-done:
	case <-waitCtx.Done():
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("slow endpoint holds %d requests, want %d at once, one per document", inFlight, docs)
	}
	for _, e := range p.Events() {
		if e.Subscription == "slow" && e.State != mockplatform.EventPending {
			t.Errorf("slow event %s is %s while its request is held, want pending", e.ID, e.State)
		}
	}
}

// waitFor polls cond every few milliseconds until it holds or ctx ends.
func waitFor(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(5 * time.Millisecond):
		}
	}
	return true
}

// deliverOnce uploads one document to a platform whose only
// subscription takes document-received at url, and returns the
// delivery record of its first attempt.
func deliverOnce(t *testing.T, url string, client *http.Client) mockplatform.Delivery {
	t.Helper()
	p, _ := startManual(t, mockplatform.Options{
		HTTPClient:    client,
		Subscriptions: []mockplatform.Subscription{{URL: url, Topics: onlyReceived}},
	})
	upload(t, p, mockplatform.Upload{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var deliveries []mockplatform.Delivery
	if !waitFor(ctx, func() bool { deliveries, _ = p.Deliveries(); return len(deliveries) == 1 }) {
		t.Fatalf("no delivery recorded")
	}
	return deliveries[0]
}

// clientCase is a delivery client under test: nil for the platform's
// default client.
type clientCase struct {
	name   string
	client *http.Client
}

// bothClients returns the default client and a custom one, which take
// different paths in the platform but must send and record the same.
func bothClients() []clientCase {
	return []clientCase{{"default client", nil}, {"custom client", &http.Client{}}}
}

func TestDeliverySendsURLUserAsBasicAuth(t *testing.T) {
	got := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	url := strings.Replace(srv.URL, "http://", "http://hook-user:hook-secret@", 1)

	for _, tc := range bothClients() {
		t.Run(tc.name, func(t *testing.T) {
			d := deliverOnce(t, url, tc.client)
			// base64("hook-user:hook-secret")
			if auth := <-got; auth != "Basic aG9vay11c2VyOmhvb2stc2VjcmV0" {
				t.Errorf("consumer got Authorization %q, want the URL's user information as Basic", auth)
			}
			if _, ok := d.Headers["Authorization"]; ok {
				t.Errorf("journal headers %v show the Authorization derived from the URL", d.Headers)
			}
			if strings.Contains(d.URL, "hook-secret") {
				t.Errorf("journal URL %q shows the password", d.URL)
			}
		})
	}
}

func TestDeliveryErrorIsTheSameForEveryClient(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close() // nothing listens on addr now
	url := "http://hook-user:hook-secret@" + addr + "/webhooks"

	byDefault := deliverOnce(t, url, nil)
	custom := deliverOnce(t, url, &http.Client{})
	if byDefault.Error != custom.Error {
		t.Errorf("default client error %q, want the custom client's %q", byDefault.Error, custom.Error)
	}
	if want := `Post "http://hook-user:***@` + addr + `/webhooks": `; !strings.HasPrefix(byDefault.Error, want) {
		t.Errorf("error %q, want it to start with %q", byDefault.Error, want)
	}
}

// prefixTransport adds a path prefix to the request in place, as some
// test transports do, although RoundTrip should not change a request.
type prefixTransport struct{ next http.RoundTripper }

func (t prefixTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.URL.Path = "/v1" + r.URL.Path
	return t.next.RoundTrip(r)
}

func TestCustomClientGetsOwnRequestCopies(t *testing.T) {
	var mu sync.Mutex
	var paths, cookies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		cookies = append(cookies, strings.Join(r.Header.Values("Cookie"), "; "))
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Jar: jar, Transport: prefixTransport{mockplatform.DeliveryTransport()}}
	p, _ := startManual(t, mockplatform.Options{
		HTTPClient:    client,
		Subscriptions: []mockplatform.Subscription{{URL: srv.URL + "/hooks", Topics: onlyReceived}},
	})
	for range 3 {
		upload(t, p, mockplatform.Upload{})
		advance(t, p, time.Second)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 3 {
		t.Fatalf("consumer got %d requests, want 3", len(paths))
	}
	for i, path := range paths {
		if path != "/v1/hooks" {
			t.Errorf("request %d went to %q, want /v1/hooks: the transport's change reached the next attempt", i+1, path)
		}
	}
	for i, c := range cookies[1:] {
		if c != "session=s1" {
			t.Errorf("request %d sent cookies %q, want session=s1 once", i+2, c)
		}
	}
}

func TestDeliveryErrorMasksSecretQuery(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close() // nothing listens on addr now
	url := "http://" + addr + "/webhooks?api_token=hook-secret&tenant=7"

	for _, tc := range bothClients() {
		t.Run(tc.name, func(t *testing.T) {
			d := deliverOnce(t, url, tc.client)
			if strings.Contains(d.Error, "hook-secret") {
				t.Errorf("error %q shows the secret query value", d.Error)
			}
			if !strings.Contains(d.Error, "tenant=7") {
				t.Errorf("error %q lacks the query parameter that is no secret", d.Error)
			}
		})
	}
}
