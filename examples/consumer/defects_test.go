package consumer

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// Each test below runs one scenario against the correct consumer and
// against one defect, and checks that the outcomes differ the way the
// defect's failure mode predicts.

func TestDefectNoDedupe(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		defect Defect
		want   int
	}{{DefectNone, 1}, {DefectNoDedupe, 2}} {
		t.Run(defectName(tt.defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: tt.defect}, mockplatform.Options{})
			e.addRule(mockplatform.Rule{ID: "dup", Fault: mockplatform.FaultDuplicate,
				Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicExtractionDone}}})
			doc := e.upload(mockplatform.Upload{})
			e.waitIdle()
			e.flush()

			if got := e.effects.webhookCounts()[eventKey{doc.ID, mockplatform.TopicExtractionDone}]; got != tt.want {
				t.Errorf("effects of the duplicated extraction-done = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestDefectSlowAck uses a consumer that is not running: the correct
// handler responds with the event only queued, and the slow one
// responds after it has done the work.
func TestDefectSlowAck(t *testing.T) {
	t.Parallel()
	const delay = 300 * time.Millisecond
	for _, tt := range []struct {
		defect      Defect
		wantQueued  int
		wantApplied bool
	}{{DefectNone, 1, false}, {DefectSlowAck, 0, true}} {
		t.Run(defectName(tt.defect), func(t *testing.T) {
			t.Parallel()
			c, url := startHandler(t, Config{Defect: tt.defect, SlowAckDelay: delay})
			started := time.Now()
			body := webhookBody(100001, mockplatform.TopicDocumentReceived, "r1")
			if got := postWebhook(t, url, "Bearer "+testSecret, body); got != http.StatusNoContent {
				t.Fatalf("status = %d, want 204", got)
			}
			elapsed := time.Since(started)

			if got := len(c.queue); got != tt.wantQueued {
				t.Errorf("queued events when the answer arrived = %d, want %d", got, tt.wantQueued)
			}
			_, applied := c.State()[100001]
			if applied != tt.wantApplied {
				t.Errorf("event applied when the answer arrived = %v, want %v", applied, tt.wantApplied)
			}
			if tt.defect == DefectSlowAck && elapsed < delay {
				t.Errorf("answer after %s, want at least the slow-ack delay %s", elapsed, delay)
			}
		})
	}
}

func TestDefectNoAuthCheck(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		defect Defect
		want   int
	}{{DefectNone, http.StatusUnauthorized}, {DefectNoAuthCheck, http.StatusNoContent}} {
		t.Run(defectName(tt.defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: tt.defect}, mockplatform.Options{})
			rule := e.addRule(mockplatform.Rule{Fault: mockplatform.FaultHeaders, HeaderMode: mockplatform.HeaderMissing,
				When: mockplatform.When{Nth: 1}})
			e.upload(mockplatform.Upload{})
			e.waitIdle()

			damaged := deliveriesOf(e.p, rule.ID)
			if len(damaged) != 1 {
				t.Fatalf("%d deliveries without the header, want 1", len(damaged))
			}
			if damaged[0].StatusCode != tt.want {
				t.Errorf("delivery without the Authorization header: status %d, want %d", damaged[0].StatusCode, tt.want)
			}
		})
	}
}

func TestDefectFailUnknownTopic(t *testing.T) {
	t.Parallel()
	checkCorruptionAnswer(t, mockplatform.CorruptUnknownTopic, DefectFailUnknownTopic, http.StatusInternalServerError)
}

func TestDefectStrictDecoding(t *testing.T) {
	t.Parallel()
	checkCorruptionAnswer(t, mockplatform.CorruptExtraAttributes, DefectStrictDecoding, http.StatusBadRequest)
}

// checkCorruptionAnswer lets the platform damage the first delivery
// with the given corruption, and checks that the correct consumer
// responds with 204 and the defect with defectStatus.
func checkCorruptionAnswer(t *testing.T, corruption mockplatform.Corruption, defect Defect, defectStatus int) {
	t.Helper()
	for _, tt := range []struct {
		defect Defect
		want   int
	}{{DefectNone, http.StatusNoContent}, {defect, defectStatus}} {
		t.Run(defectName(tt.defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: tt.defect}, mockplatform.Options{})
			rule := e.addRule(mockplatform.Rule{Fault: mockplatform.FaultCorrupt, Corruption: corruption,
				When: mockplatform.When{Nth: 1}})
			e.upload(mockplatform.Upload{})
			e.waitIdle()

			damaged := deliveriesOf(e.p, rule.ID)
			if len(damaged) != 1 {
				t.Fatalf("%d corrupted deliveries, want 1", len(damaged))
			}
			if damaged[0].StatusCode != tt.want {
				t.Errorf("delivery with %s: status %d, want %d", corruption, damaged[0].StatusCode, tt.want)
			}
		})
	}
}

// TestDefectLastEventWins holds extraction-done back until
// processing-finished has been sent. Polling is pushed out of the test
// with a long overdue time, because a poll would repair the state.
func TestDefectLastEventWins(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		defect Defect
		want   mockplatform.Status
	}{{DefectNone, mockplatform.StatusDone}, {DefectLastEventWins, mockplatform.StatusInProgress}} {
		t.Run(defectName(tt.defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: tt.defect, Overdue: time.Hour}, mockplatform.Options{})
			e.addRule(mockplatform.Rule{ID: "late", Fault: mockplatform.FaultReorder,
				Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicExtractionDone}}})
			doc := e.upload(mockplatform.Upload{})
			e.waitIdle()
			e.flush()

			if got := e.c.State()[doc.ID].Status; got != tt.want {
				t.Errorf("final status = %q, want %q", got, tt.want)
			}
			last, _ := e.effects.last(doc.ID)
			if last.Topic != mockplatform.TopicExtractionDone || last.Status != tt.want {
				t.Errorf("last effect = %+v, want extraction-done with status %q", last, tt.want)
			}
		})
	}
}

func TestDefectNoPolling(t *testing.T) {
	t.Parallel()
	const overdue = 300 * time.Millisecond
	for _, defect := range []Defect{DefectNone, DefectNoPolling} {
		t.Run(defectName(defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: defect, Overdue: overdue, PollInterval: 50 * time.Millisecond}, mockplatform.Options{})
			e.addRule(dropFinished)
			doc := e.upload(mockplatform.Upload{})
			e.waitIdle()

			if defect == DefectNone {
				waitFor(t, "the poll to report done", func() bool {
					return e.c.State()[doc.ID].Status == mockplatform.StatusDone
				})
				return
			}
			e.flush()
			time.Sleep(3 * overdue)
			if got := e.c.State()[doc.ID].Status; got != mockplatform.StatusInProgress {
				t.Errorf("status = %q, want in_progress, the last status a webhook reported", got)
			}
			if n := getCount(e.p, doc.ID); n != 0 {
				t.Errorf("%d GET requests, want none", n)
			}
		})
	}
}

// TestDefectPollStorm keeps a document in a manual queue for an hour of
// platform time. With a long overdue time the correct consumer has no
// reason to poll it; the storm polls it on every tick.
func TestDefectPollStorm(t *testing.T) {
	t.Parallel()
	waiting := mockplatform.Profile{Name: "waiting", Separation: []mockplatform.Level{mockplatform.LevelFirst}, ManualDuration: time.Hour}
	for _, defect := range []Defect{DefectNone, DefectPollStorm} {
		t.Run(defectName(defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: defect, Overdue: time.Minute}, mockplatform.Options{Profiles: []mockplatform.Profile{waiting}})
			doc := e.upload(mockplatform.Upload{Profile: waiting.Name})
			waitFor(t, "the document to enter the manual queue", func() bool {
				return e.c.State()[doc.ID].Topic == mockplatform.TopicSeparationFirst
			})

			if defect == DefectNone {
				time.Sleep(time.Second)
				if n := getCount(e.p, doc.ID); n != 0 {
					t.Errorf("%d GET requests for a document that is not overdue, want none", n)
				}
				return
			}
			waitFor(t, "20 GET requests", func() bool { return getCount(e.p, doc.ID) >= 20 })
		})
	}
}

// TestDefectPollTerminal lets every webhook through, so the consumer
// hears the end of the document and has no reason to poll afterwards.
func TestDefectPollTerminal(t *testing.T) {
	t.Parallel()
	const overdue = 200 * time.Millisecond
	for _, defect := range []Defect{DefectNone, DefectPollTerminal} {
		t.Run(defectName(defect), func(t *testing.T) {
			t.Parallel()
			e := startEnv(t, Config{Defect: defect, Overdue: overdue, PollInterval: 20 * time.Millisecond}, mockplatform.Options{})
			doc := e.upload(mockplatform.Upload{})
			waitFor(t, "the terminal webhook", func() bool { return e.c.State()[doc.ID].TerminalWebhook })
			before := getCount(e.p, doc.ID)

			if defect == DefectNone {
				time.Sleep(4 * overdue)
				if after := getCount(e.p, doc.ID); after != before {
					t.Errorf("GET requests after the terminal webhook: %d, want none", after-before)
				}
				return
			}
			waitFor(t, "2 GET requests after the terminal webhook", func() bool {
				return getCount(e.p, doc.ID) >= before+2
			})
		})
	}
}

func TestDefectIgnoreRetryAfter(t *testing.T) {
	t.Parallel()
	for _, defect := range []Defect{DefectNone, DefectIgnoreRetryAfter} {
		t.Run(defectName(defect), func(t *testing.T) {
			t.Parallel()
			a := startAPIEnv(t, Config{Defect: defect})
			a.addRule(t, mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: http.StatusTooManyRequests,
				RetryAfter: time.Minute, When: mockplatform.When{First: 1}})
			// The correct consumer waits a minute, so the context ends
			// its wait; the defect's retry succeeds long before.
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := a.c.api.documentStatus(ctx, a.doc.ID)
			requests := len(requestsTo(a.p, a.path))

			if defect == DefectNone {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("error = %v, want the context's deadline while waiting Retry-After", err)
				}
				if requests != 1 {
					t.Errorf("%d requests within Retry-After, want 1", requests)
				}
				return
			}
			if err != nil {
				t.Errorf("documentStatus: %v", err)
			}
			if requests != 2 {
				t.Errorf("%d requests, want 2: the 429 and the early retry", requests)
			}
		})
	}
}

func TestDefectNoRetry5xx(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		defect       Defect
		wantRequests int
	}{{DefectNone, 2}, {DefectNoRetry5xx, 1}} {
		t.Run(defectName(tt.defect), func(t *testing.T) {
			t.Parallel()
			a := startAPIEnv(t, Config{Defect: tt.defect, RetryBase: 10 * time.Millisecond})
			a.addRule(t, mockplatform.Rule{Fault: mockplatform.FaultStatus, Status: http.StatusServiceUnavailable,
				When: mockplatform.When{First: 1}})
			_, err := a.c.api.documentStatus(context.Background(), a.doc.ID)

			if gotErr := err != nil; gotErr != (tt.defect == DefectNoRetry5xx) {
				t.Errorf("error = %v, want an error only with the defect", err)
			}
			if n := len(requestsTo(a.p, a.path)); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
		})
	}
}

func TestDefectRetry404Forever(t *testing.T) {
	t.Parallel()
	const missing = 999999
	path := "/v2/documents/999999"
	for _, defect := range []Defect{DefectNone, DefectRetry404Forever} {
		t.Run(defectName(defect), func(t *testing.T) {
			t.Parallel()
			a := startAPIEnv(t, Config{Defect: defect, MaxAttempts: 3})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := a.c.api.documentStatus(ctx, missing)
				done <- err
			}()

			if defect == DefectNone {
				err := <-done
				if !isNotFound(err) || !strings.Contains(err.Error(), "not retried") {
					t.Errorf("error = %v, want a 404 that was not retried", err)
				}
				if n := len(requestsTo(a.p, path)); n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
				return
			}
			// MaxAttempts is 3; the defect goes past it.
			waitFor(t, "6 requests for the missing document", func() bool { return len(requestsTo(a.p, path)) >= 6 })
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Errorf("error = %v, want context.Canceled: only the context ends the retries", err)
			}
		})
	}
}

// defectName names a subtest after the defect, or "correct".
func defectName(d Defect) string {
	if d == DefectNone {
		return "correct"
	}
	return string(d)
}
