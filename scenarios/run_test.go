package scenarios_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/examples/consumer"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

// quick is a scenario of two straight-through documents that finishes
// in well under a second on the default clock.
func quick(checks ...scenarios.CheckSpec) scenarios.Scenario {
	return scenarios.Scenario{
		Name:      "quick",
		Documents: []scenarios.DocumentSet{{Count: 2, Profile: "straight-through", ExternalID: "quick-{n}"}},
		Checks:    checks,
		Limits:    scenarios.Limits{Settle: 200 * time.Millisecond},
	}
}

// statusServer returns the webhook URL of a consumer that responds to
// every request with status.
func statusServer(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks"
}

// closedURL returns a loopback URL on which nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/webhooks"
	ln.Close()
	return url
}

func TestRunPassesAndReports(t *testing.T) {
	t.Parallel()
	var progress bytes.Buffer
	url := statusServer(t, http.StatusNoContent)
	rep, err := scenarios.Run(t.Context(), quick(scenarios.CheckSpec{Name: "acks-fast"}),
		scenarios.RunOptions{ConsumerURL: url, Progress: &progress, FirstDocumentID: 500001})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !rep.Passed() || rep.Status() != scenarios.ReportPassed {
		t.Errorf("report status %s, want passed:\n%+v", rep.Status(), rep)
	}
	if rep.Documents != 2 || rep.FirstDocumentID != 500001 || rep.LastDocumentID != 500002 {
		t.Errorf("report documents %d, ids %d to %d, want 2 documents 500001 to 500002", rep.Documents, rep.FirstDocumentID, rep.LastDocumentID)
	}
	if rep.ConsumerURL != url || !strings.HasPrefix(rep.PlatformURL, "http://127.0.0.1:") {
		t.Errorf("report URLs: consumer %q, platform %q", rep.ConsumerURL, rep.PlatformURL)
	}
	if rep.Duration <= 0 || rep.Started.IsZero() || rep.TimedOut {
		t.Errorf("report duration %s, started %s, timed out %v", rep.Duration, rep.Started, rep.TimedOut)
	}
	for _, want := range []string{"quick: platform at http://127.0.0.1:", "quick: uploaded 2 documents, ids 500001 to 500002", "quick: platform idle after", "quick: passed in"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}

func TestRunConsumerUnreachable(t *testing.T) {
	t.Parallel()
	url := closedURL(t)
	start := time.Now()
	rep, err := scenarios.Run(t.Context(), quick(scenarios.CheckSpec{Name: "acks-fast"}), scenarios.RunOptions{ConsumerURL: url})
	if !errors.Is(err, scenarios.ErrConsumerUnreachable) {
		t.Fatalf("Run against a closed port: error %v, want ErrConsumerUnreachable", err)
	}
	if want := "consumer unreachable at " + url; !strings.HasPrefix(rep.Error, want) {
		t.Errorf("report error %q, want it to start with %q", rep.Error, want)
	}
	if rep.Status() != scenarios.ReportError || len(rep.Results) != 0 {
		t.Errorf("report status %s with %d results, want error and none", rep.Status(), len(rep.Results))
	}
	if d := time.Since(start); d > 30*time.Second { // a loose bound: expanding or waiting would take far longer
		t.Errorf("Run took %s to find a closed port, want it at once", d)
	}
}

func TestRunWaitsForConsumer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// The consumer starts 300ms after the run does.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })}
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen again on %s: %v", addr, err)
			return
		}
		_ = srv.Serve(ln)
	})
	t.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})

	rep, err := scenarios.Run(t.Context(), quick(scenarios.CheckSpec{Name: "acks-fast"}),
		scenarios.RunOptions{ConsumerURL: "http://" + addr + "/webhooks", ConsumerWait: 10 * time.Second})
	if err != nil {
		t.Fatalf("Run with ConsumerWait: %v", err)
	}
	if !rep.Passed() {
		t.Errorf("report status %s, want passed: %+v", rep.Status(), rep.Results)
	}
}

// TestRunConsumerGoneAfterProbe covers a consumer that accepted the
// first connection and then stopped: the webhooks fail to connect.
func TestRunConsumerGoneAfterProbe(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		if conn, err := ln.Accept(); err == nil {
			conn.Close()
		}
		ln.Close()
	}()
	sc := quick(scenarios.CheckSpec{Name: "acks-fast"})
	sc.Limits.Timeout = 30 * time.Second
	_, err = scenarios.Run(t.Context(), sc, scenarios.RunOptions{ConsumerURL: "http://" + ln.Addr().String() + "/webhooks"})
	if !errors.Is(err, scenarios.ErrConsumerUnreachable) {
		t.Fatalf("Run against a consumer that stopped: error %v, want ErrConsumerUnreachable", err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not name the connection error", err)
	}
}

// TestRunTimesOut runs a consumer that responds with 500, so the platform
// keeps retrying for hours of platform time: the checks judge what
// happened by the timeout. idempotent cannot fail here, so the run
// does not stop early.
func TestRunTimesOut(t *testing.T) {
	t.Parallel()
	sc := quick(scenarios.CheckSpec{Name: "acks-fast"}, scenarios.CheckSpec{Name: "idempotent"})
	sc.Limits = scenarios.Limits{Timeout: 2 * time.Second, Settle: 500 * time.Millisecond}
	start := time.Now()
	rep, err := scenarios.Run(t.Context(), sc, scenarios.RunOptions{ConsumerURL: statusServer(t, http.StatusInternalServerError)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !rep.TimedOut {
		t.Error("report not marked TimedOut, want it marked")
	}
	// The upper bound only catches a run that ignores its timeout; it
	// is far above the 2s, for a loaded machine.
	if d := time.Since(start); d < 2*time.Second || d > time.Minute {
		t.Errorf("Run took %s, want about the timeout of 2s", d)
	}
	if rep.Status() != scenarios.ReportFailed || rep.Results[0].Status != assertions.Failed {
		t.Errorf("report status %s, acks-fast %s, want both failed", rep.Status(), rep.Results[0].Status)
	}
	if !strings.Contains(rep.Results[0].Summary, "problems") || len(rep.Results[0].Evidence) == 0 {
		t.Errorf("acks-fast result lacks evidence:\n%s", rep.Results[0].Report())
	}
	if rep.Results[1].Status != assertions.Inconclusive {
		t.Errorf("idempotent = %s, want inconclusive without duplicates or effects", rep.Results[1].Status)
	}
}

// TestRunStopsWhenEveryCheckFailed runs the same consumer with
// acks-fast alone, which fails on the first response, so the run ends
// long before the timeout.
func TestRunStopsWhenEveryCheckFailed(t *testing.T) {
	t.Parallel()
	sc := quick(scenarios.CheckSpec{Name: "acks-fast"})
	sc.Limits.Timeout = time.Minute
	var progress bytes.Buffer
	start := time.Now()
	rep, err := scenarios.Run(t.Context(), sc, scenarios.RunOptions{
		ConsumerURL: statusServer(t, http.StatusInternalServerError), Progress: &progress})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %s, want it to stop once acks-fast failed", d)
	}
	if rep.TimedOut || rep.Status() != scenarios.ReportFailed {
		t.Errorf("report status %s, timed out %v, want failed before the timeout", rep.Status(), rep.TimedOut)
	}
	if !strings.Contains(progress.String(), "every check has failed") {
		t.Errorf("progress does not say why the run stopped:\n%s", progress.String())
	}
}

func TestRunExplainsMissingHeaders(t *testing.T) {
	t.Parallel()
	sc, ok := scenarios.Lookup("missing-auth")
	if !ok {
		t.Fatal("the catalog has no missing-auth scenario")
	}
	sc.Limits.Settle = 200 * time.Millisecond
	rep, err := scenarios.Run(t.Context(), sc, scenarios.RunOptions{ConsumerURL: statusServer(t, http.StatusNoContent)})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	res := rep.Results[0]
	if res.Check != "rejects-unauthenticated" || res.Status != assertions.Inconclusive || !strings.Contains(res.Summary, "--header") {
		t.Errorf("rejects-unauthenticated without headers:\n%s\nwant inconclusive, with a hint to pass --header", res.Report())
	}
}

func TestRunRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		sc   scenarios.Scenario
		opts scenarios.RunOptions
		want string
	}{
		{"no consumer URL", quick(scenarios.CheckSpec{Name: "acks-fast"}), scenarios.RunOptions{}, "consumer URL: url is missing"},
		{"relative consumer URL", quick(scenarios.CheckSpec{Name: "acks-fast"}), scenarios.RunOptions{ConsumerURL: "/webhooks"}, "consumer URL:"},
		{"invalid scenario", quick(), scenarios.RunOptions{ConsumerURL: "http://127.0.0.1:1/"}, "scenario quick: checks: no checks"},
		{"invalid header", quick(scenarios.CheckSpec{Name: "acks-fast"}),
			scenarios.RunOptions{ConsumerURL: statusServer(t, http.StatusNoContent), Headers: map[string]string{"Bad Name": "x"}}, "subscribe the consumer:"},
		{"platform hook fails", quick(scenarios.CheckSpec{Name: "acks-fast"}),
			scenarios.RunOptions{ConsumerURL: "http://127.0.0.1:1/", OnPlatform: func(string) error { return errors.New("no consumer today") }}, "no consumer today"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := scenarios.Run(t.Context(), tt.sc, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run: error %v, want one containing %q", err, tt.want)
			}
			if rep.Error != err.Error() || rep.Status() != scenarios.ReportError {
				t.Errorf("report error %q, status %s, want the error and status error", rep.Error, rep.Status())
			}
		})
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	sc := quick(scenarios.CheckSpec{Name: "acks-fast"})
	sc.Documents[0].Profile = "manual-all"
	ctx, stop := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer stop()
	_, err := scenarios.Run(ctx, sc, scenarios.RunOptions{ConsumerURL: statusServer(t, http.StatusNoContent)})
	if err == nil || !strings.Contains(err.Error(), "cancelled") {
		t.Errorf("Run with a context that ends: error %v, want one saying the scenario was cancelled", err)
	}
}

// recordingTB records the failures that RunT reports.
type recordingTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestRunTFailsEachCheck(t *testing.T) {
	t.Parallel()
	rec := &recordingTB{TB: t}
	sc := quick(scenarios.CheckSpec{Name: "acks-fast"}, scenarios.CheckSpec{Name: "idempotent"})
	rep := scenarios.RunT(rec, sc, scenarios.RunOptions{ConsumerURL: statusServer(t, http.StatusNoContent)})
	if len(rep.Results) != 2 {
		t.Fatalf("RunT returned %d results, want 2", len(rep.Results))
	}
	// acks-fast passes; idempotent is inconclusive, because the
	// consumer reports no effects and nothing was duplicated.
	if len(rec.errors) != 1 || !strings.HasPrefix(rec.errors[0], "scenario quick: idempotent: inconclusive:") {
		t.Errorf("RunT reported %q, want one failure for idempotent", rec.errors)
	}
}

func TestFullExamplePassesReferenceConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a scenario for about 7s; skipped with -short")
	}
	t.Parallel()
	sc, err := scenarios.Load("testdata/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	scenarios.RunT(t, sc, referenceConsumer(t, consumer.DefectNone))
}
