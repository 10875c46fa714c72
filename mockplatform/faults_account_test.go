package mockplatform_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// chaosDocs selects 30% of the documents of a burst: those whose
// external_id ends in 0, 1 or 2.
var chaosDocs = mockplatform.Match{ExternalID: "EX-*[012]"}

// chaosRules put faults on the events of chaosDocs, each decided from
// the seed.
var chaosRules = []mockplatform.Rule{
	{ID: "drop", Fault: mockplatform.FaultDrop, Match: chaosDocs, When: mockplatform.When{Probability: 0.14}},
	{ID: "outage", Fault: mockplatform.FaultFailAttempts, Attempts: 3, Match: chaosDocs, When: mockplatform.When{Probability: 0.14}},
	{ID: "lost-ack", Fault: mockplatform.FaultLostAck, Match: chaosDocs, When: mockplatform.When{Probability: 0.14}},
	{ID: "dup", Fault: mockplatform.FaultDuplicate, Copies: 2, Concurrent: true, Match: chaosDocs, When: mockplatform.When{Probability: 0.14}},
	{ID: "reorder", Fault: mockplatform.FaultReorder, Match: chaosDocs, When: mockplatform.When{Probability: 0.14}},
	{ID: "bad-json", Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptInvalidJSON, Match: chaosDocs, When: mockplatform.When{Probability: 0.14}},
	{ID: "no-auth", Fault: mockplatform.FaultHeaders, Match: chaosDocs, When: mockplatform.When{Probability: 0.13}},
	{ID: "slow", Fault: mockplatform.FaultDelay, Delay: time.Minute, Match: chaosDocs, When: mockplatform.When{Probability: 0.13}},
}

// chaosConsumer rejects what a careful consumer rejects (a body that
// is not the payload, a missing auth header) and is down for every
// document whose id ends in 7, so those events end lost.
func chaosConsumer(_ int, w webhook) int {
	switch {
	case w.Invalid:
		return http.StatusBadRequest
	case w.Header.Get("Authorization") != "Bearer hook-secret":
		return http.StatusUnauthorized
	case w.DocumentID%10 == 7:
		return http.StatusServiceUnavailable
	}
	return http.StatusNoContent
}

// runChaos uploads docs documents under chaosRules and runs the
// platform past the end of the retry schedule.
func runChaos(t *testing.T, seed uint64, docs int) *faultRig {
	t.Helper()
	r := newFaultRig(t, mockplatform.Options{Seed: seed, Rules: chaosRules}, chaosConsumer)
	for i := range docs {
		upload(t, r.p, mockplatform.Upload{ExternalID: fmt.Sprintf("EX-%04d", i)})
	}
	advance(t, r.p, 20*time.Hour)
	return r
}

func TestFaultBurstAccountsForEveryEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("sends over 10,000 requests; skipped with -short")
	}
	const docs, topics = 1000, 9
	r := runChaos(t, 2026, docs)

	events := r.p.Events()
	if len(events) != docs*topics {
		t.Fatalf("platform has %d events, want %d (%d documents × %d topics)", len(events), docs*topics, docs, topics)
	}
	deliveries, droppedRecords := r.p.Deliveries()
	if droppedRecords != 0 {
		t.Fatalf("journal dropped %d records; the check needs them all", droppedRecords)
	}
	byEvent := map[string][]mockplatform.Delivery{}
	for _, d := range deliveries {
		byEvent[d.EventID] = append(byEvent[d.EventID], d)
	}
	received := map[string]bool{}
	for _, w := range r.c.received() {
		received[eventID(w.DocumentID, w.Topic)] = true
	}

	states := map[mockplatform.EventState]int{}
	faultedDocs := map[int64]bool{}
	for _, e := range events {
		states[e.State]++
		if len(e.Faults) > 0 {
			faultedDocs[e.DocumentID] = true
			doc, _ := r.p.Document(e.DocumentID)
			if last := doc.ExternalID[len(doc.ExternalID)-1]; last > '2' {
				t.Errorf("event %s of %s has faults %v, but the rules match only external ids ending in 0-2", e.ID, doc.ExternalID, e.Faults)
			}
		}
		if err := accountFor(e, byEvent[e.ID], received[e.ID]); err != nil {
			t.Error(err)
		}
	}
	t.Logf("event states: %v; documents with a fault: %d of %d", states, len(faultedDocs), docs)
	if states[mockplatform.EventPending] != 0 {
		t.Errorf("%d events still pending after the retry schedule ended", states[mockplatform.EventPending])
	}
	for _, s := range []mockplatform.EventState{mockplatform.EventDelivered, mockplatform.EventLost, mockplatform.EventDropped} {
		if states[s] == 0 {
			t.Errorf("no event ended %s: the test does not cover that outcome", s)
		}
	}
	if n := len(faultedDocs); n < 250 || n > 300 {
		t.Errorf("%d of %d documents had a fault, want most of the 300 the rules match", n, docs)
	}
}

// accountFor checks that the journal explains the event's end state.
func accountFor(e mockplatform.Event, ds []mockplatform.Delivery, received bool) error {
	var attempts, delivered int
	for _, d := range ds {
		if d.Copy > 0 {
			continue
		}
		attempts++
		if d.Outcome == mockplatform.OutcomeDelivered {
			delivered++
		}
	}
	switch e.State {
	case mockplatform.EventDelivered:
		if delivered != 1 || !received {
			return fmt.Errorf("event %s is delivered, but the journal has %d delivered attempts and the consumer received it: %v", e.ID, delivered, received)
		}
	case mockplatform.EventLost:
		if attempts != mockplatform.MaxRetries+1 || delivered != 0 {
			return fmt.Errorf("event %s is lost after %d attempts (%d delivered), want %d failed", e.ID, attempts, delivered, mockplatform.MaxRetries+1)
		}
	case mockplatform.EventDropped:
		if len(ds) != 1 || ds[0].Outcome != mockplatform.OutcomeDropped || ds[0].Fault == "" {
			return fmt.Errorf("event %s is dropped, but the journal shows %+v", e.ID, ds)
		}
	default:
		return fmt.Errorf("event %s ended %s", e.ID, e.State)
	}
	return nil
}

func TestFaultJournalsReproducible(t *testing.T) {
	journal := func() ([]mockplatform.Delivery, []mockplatform.Event) {
		r := runChaos(t, 77, 60)
		ds, _ := r.p.Deliveries()
		for i := range ds {
			ds[i].Latency, ds[i].Wall = 0, time.Time{} // the wall-clock fields
		}
		return ds, r.p.Events()
	}
	firstDeliveries, firstEvents := journal()
	secondDeliveries, secondEvents := journal()
	// The consumers listen on different ports.
	for i := range secondDeliveries {
		secondDeliveries[i].URL = firstDeliveries[min(i, len(firstDeliveries)-1)].URL
	}
	if diff := cmp.Diff(firstDeliveries, secondDeliveries); diff != "" {
		t.Errorf("delivery journals of two runs with seed 77 differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(firstEvents, secondEvents); diff != "" {
		t.Errorf("events of two runs with seed 77 differ (-first +second):\n%s", diff)
	}
}
