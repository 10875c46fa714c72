package mockplatform_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

func TestCloseEndsGoroutines(t *testing.T) {
	c := newConsumer(t, time.Now, func(n int, _ webhook) int {
		if n == 1 {
			return http.StatusInternalServerError // leaves a retry waiting on the clock
		}
		return http.StatusOK
	})
	before := runtime.NumGoroutine()

	p, err := mockplatform.Start(mockplatform.Options{
		Clock:         clock.Real(),
		Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		upload(t, p, mockplatform.Upload{})
	}
	resp, err := http.Get(p.URL() + "/_mock/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	http.DefaultClient.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	waitFor(ctx, func() bool { return len(c.received()) >= 10 })
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	c.srv.CloseClientConnections()

	if !waitFor(ctx, func() bool { return runtime.NumGoroutine() <= before }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after Close, %d before Start:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
	}
	if _, err := p.Upload(mockplatform.Upload{TenantID: 1}); !errors.Is(err, mockplatform.ErrClosed) {
		t.Errorf("Upload after Close: error %v, want ErrClosed", err)
	}
	for _, e := range p.Events() {
		if e.State == mockplatform.EventLost {
			t.Errorf("event %s is lost: Close must leave cancelled events pending", e.ID)
		}
	}
}

func TestAdvanceNeedsManualClock(t *testing.T) {
	p, err := mockplatform.Start(mockplatform.Options{Clock: clock.Real()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Advance(context.Background(), time.Second); err == nil {
		t.Error("Advance on a real clock: no error, want one naming the clock")
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts mockplatform.Options
		want string // a part of the error naming the value
	}{
		{"empty token", mockplatform.Options{Tokens: map[string]int64{"": 1}}, "empty bearer token"},
		{"zero tenant", mockplatform.Options{Tokens: map[string]int64{"t": 0}}, "tenant id 0"},
		{"negative timeout", mockplatform.Options{AttemptTimeout: -time.Second}, "-1s"},
		{"negative body limit", mockplatform.Options{MaxBodyBytes: -1}, "max body size -1"},
		{"negative journal limit", mockplatform.Options{JournalLimit: -1}, "journal limit -1"},
		{"unknown default profile", mockplatform.Options{DefaultProfile: "nope"}, `"nope"`},
		{"bad subscription url", mockplatform.Options{Subscriptions: []mockplatform.Subscription{{URL: "ftp://x"}}}, `"ftp://x"`},
		{"unknown topic", mockplatform.Options{Subscriptions: []mockplatform.Subscription{{URL: "http://127.0.0.1:1", Topics: []mockplatform.Topic{"document-recieved"}}}}, `"document-recieved"`},
		{"bad header name", mockplatform.Options{Subscriptions: []mockplatform.Subscription{{URL: "http://127.0.0.1:1", Headers: map[string]string{"Bad Header": "x"}}}}, `"Bad Header"`},
		{"bad profile level", mockplatform.Options{Profiles: []mockplatform.Profile{{Name: "p", Extraction: []mockplatform.Level{"fourth"}}}}, `"fourth"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mockplatform.New(tt.opts)
			if err == nil {
				t.Fatal("New: no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New: error %q does not name %s", err, tt.want)
			}
		})
	}
}

func TestJournalLimitCountsDropped(t *testing.T) {
	var p *mockplatform.Platform
	c := newConsumer(t, func() time.Time { return p.Clock().Now() }, nil)
	p, _ = startManual(t, mockplatform.Options{
		JournalLimit:  5,
		Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL, Topics: onlyReceived}},
	})
	for range 8 {
		upload(t, p, mockplatform.Upload{})
	}
	advance(t, p, time.Second)
	got, dropped := p.Deliveries()
	if len(got) != 5 || dropped != 3 {
		t.Errorf("journal keeps %d and dropped %d, want 5 and 3", len(got), dropped)
	}
	for i := 1; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Errorf("journal seq %d follows %d: want the newest records in order", got[i].Seq, got[i-1].Seq)
		}
	}
	if got[len(got)-1].Seq != 8 {
		t.Errorf("newest record has seq %d, want 8", got[len(got)-1].Seq)
	}
}

func TestURLOfWildcardListener(t *testing.T) {
	p, err := mockplatform.Start(mockplatform.Options{Addr: "0.0.0.0:0"})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer p.Close()
	if !strings.HasPrefix(p.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL() = %q, want a loopback URL for a platform on 0.0.0.0", p.URL())
	}
	resp, err := http.Get(p.URL() + "/_mock/health")
	if err != nil {
		t.Fatalf("GET health at URL(): %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET health at URL() = %d, want 200", resp.StatusCode)
	}
}

func TestWaitIdleAfterCloseDuringUploads(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	stuck := 0
	for round := range 100 {
		p, err := mockplatform.New(mockplatform.Options{
			Clock:         clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
			Subscriptions: []mockplatform.Subscription{{URL: srv.URL}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 100 {
					if _, err := p.Upload(mockplatform.Upload{TenantID: mockplatform.DefaultTenant}); err != nil {
						return
					}
				}
			})
		}
		time.Sleep(time.Duration(round%4) * 100 * time.Microsecond)
		p.Close()
		wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := p.WaitIdle(ctx); err != nil {
			stuck++
		}
		cancel()
	}
	if stuck > 0 {
		t.Errorf("WaitIdle did not return after Close in %d of 100 rounds with uploads running", stuck)
	}
}
