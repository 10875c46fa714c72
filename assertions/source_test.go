package assertions_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
	"github.com/parashift-mock/parashift-mock/mockplatform/controlapi"
)

// TestFromControlMatchesFromPlatform reads one platform both in process
// and through its control API and expects the same record, apart from
// the read time and the delivery headers, which the control API masks.
func TestFromControlMatchesFromPlatform(t *testing.T) {
	ctx := context.Background()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	p, err := mockplatform.Start(mockplatform.Options{
		Clock:         clock.NewManual(time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)),
		Subscriptions: []mockplatform.Subscription{{ID: "ci", URL: hook.URL, Headers: map[string]string{"Authorization": "Bearer s3cret"}}},
		Rules: []mockplatform.Rule{
			{ID: "lose-final", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished}}},
			{ID: "twice", Fault: mockplatform.FaultDuplicate, Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicDocumentReceived}}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	c, err := controlapi.New(p.URL())
	if err != nil {
		t.Fatal(err)
	}

	docs, err := c.CreateDocuments(ctx, mockplatform.ControlUpload{Count: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RecordEffect(ctx, mockplatform.Effect{DocumentID: docs[0].ID, Topic: mockplatform.TopicDocumentReceived, Status: mockplatform.StatusPending}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Advance(ctx, 24*time.Hour); err != nil {
		t.Fatal(err)
	}

	local, err := assertions.FromPlatform(p).Record(ctx)
	if err != nil {
		t.Fatal(err)
	}
	remote, err := assertions.FromControl(c).Record(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(remote.Deliveries) == 0 || len(remote.Events) == 0 || len(remote.Effects) != 1 || len(remote.Documents) != 3 || len(remote.Rules) != 2 {
		t.Fatalf("control record has %d deliveries, %d events, %d effects, %d documents, %d rules; want some of each",
			len(remote.Deliveries), len(remote.Events), len(remote.Effects), len(remote.Documents), len(remote.Rules))
	}
	opts := cmp.Options{
		cmpopts.IgnoreFields(assertions.Record{}, "At"),
		cmpopts.IgnoreFields(mockplatform.Delivery{}, "Headers"),
		cmpopts.EquateEmpty(),
	}
	if diff := cmp.Diff(local, remote, opts); diff != "" {
		t.Errorf("record through the control API differs (-in process +control API):\n%s", diff)
	}

	// The verdicts may quote the time since an event, so both records
	// are judged at one moment.
	remote.At = local.At
	checks := []assertions.Check{assertions.AcksFast{}, assertions.Idempotent{}, assertions.PollsForLost{Deadline: time.Millisecond}}
	want := assertions.Final(local, checks...)
	got := assertions.Final(remote, checks...)
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("verdicts differ (-in process +control API):\n%s", diff)
	}
}

// TestPollsForLostWaitsForJournalRecord judges a record read while an
// event ended: the event is dropped but its journal record is not in
// the deliveries yet. The check must wait for the record instead of
// counting the drop from the zero time.
func TestPollsForLostWaitsForJournalRecord(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	rec := assertions.Record{
		At: now,
		Events: []mockplatform.Event{{
			ID: "100001.ci.processing-finished", Subscription: "ci", DocumentID: 100001,
			Topic: mockplatform.TopicProcessingFinished, State: mockplatform.EventDropped,
		}},
		Documents: []mockplatform.Document{{ID: 100001, Status: mockplatform.StatusDone}},
	}
	got := assertions.PollsForLost{}.Evaluate(rec, false)
	if got.Status == assertions.Failed {
		t.Errorf("polls-for-lost = %s on a drop without its journal record: %s", got.Status, got.Summary)
	}

	rec.Deliveries = []mockplatform.Delivery{{
		EventID: "100001.ci.processing-finished", DocumentID: 100001, Topic: mockplatform.TopicProcessingFinished,
		Outcome: mockplatform.OutcomeDropped, Wall: now.Add(-time.Minute),
	}}
	got = assertions.PollsForLost{}.Evaluate(rec, true)
	if got.Status != assertions.Failed {
		t.Errorf("polls-for-lost = %s once the drop a minute ago is recorded and no poll came, want failed", got.Status)
	}
}

// TestPollsForLostEndsBeforeDeadline judges a run that ended before the
// consumer's deadline: the check fails, but its evidence states that the run
// ended early instead of claiming the deadline passed.
func TestPollsForLostEndsBeforeDeadline(t *testing.T) {
	dropped := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	rec := assertions.Record{
		At: dropped.Add(time.Second),
		Events: []mockplatform.Event{{
			ID: "100001.ci.processing-finished", Subscription: "ci", DocumentID: 100001,
			Topic: mockplatform.TopicProcessingFinished, State: mockplatform.EventDropped,
		}},
		Deliveries: []mockplatform.Delivery{{
			EventID: "100001.ci.processing-finished", DocumentID: 100001, Topic: mockplatform.TopicProcessingFinished,
			Outcome: mockplatform.OutcomeDropped, Wall: dropped,
		}},
		Documents: []mockplatform.Document{{ID: 100001, Status: mockplatform.StatusDone}},
	}
	got := assertions.PollsForLost{}.Evaluate(rec, true)
	if got.Status != assertions.Failed || len(got.Evidence) != 1 {
		t.Fatalf("polls-for-lost = %s with %d evidence, want failed with 1", got.Status, len(got.Evidence))
	}
	if want := "when the run ended 1s later, before its deadline of 7s"; !strings.Contains(got.Evidence[0].Detail, want) {
		t.Errorf("evidence = %q, want it to contain %q", got.Evidence[0].Detail, want)
	}
}
