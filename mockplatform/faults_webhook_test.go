package mockplatform_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// faultRig is a manual-clock platform with one subscription, id "c",
// to a recording consumer.
type faultRig struct {
	p *mockplatform.Platform
	c *consumer
}

func newFaultRig(t *testing.T, opts mockplatform.Options, respond func(int, webhook) int, topics ...mockplatform.Topic) *faultRig {
	t.Helper()
	r := &faultRig{}
	r.c = newConsumer(t, func() time.Time { return r.p.Clock().Now() }, respond)
	opts.Subscriptions = []mockplatform.Subscription{{
		ID: "c", URL: r.c.srv.URL, Topics: topics,
		Headers: map[string]string{"Authorization": "Bearer hook-secret"},
	}}
	r.p, _ = startManual(t, opts)
	return r
}

func (r *faultRig) addRule(t *testing.T, rule mockplatform.Rule) {
	t.Helper()
	if _, err := r.p.AddRule(rule); err != nil {
		t.Fatalf("AddRule: %v", err)
	}
}

// deliveriesOf returns the journal records of one event.
func (r *faultRig) deliveriesOf(eventID string) []mockplatform.Delivery {
	all, _ := r.p.Deliveries()
	var out []mockplatform.Delivery
	for _, d := range all {
		if d.EventID == eventID {
			out = append(out, d)
		}
	}
	return out
}

func eventID(doc int64, topic mockplatform.Topic) string {
	return fmt.Sprintf("%d.c.%s", doc, topic)
}

func TestFaultDrop(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{}, nil)
	r.addRule(t, mockplatform.Rule{ID: "lose-final", Fault: mockplatform.FaultDrop,
		Match: mockplatform.Match{Topics: []mockplatform.Topic{"processing-finished"}}})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, time.Hour)

	if got := r.c.topicsOf(doc.ID); len(got) != 8 || got[7] != "extraction-done" {
		t.Errorf("consumer received %v, want every topic up to extraction-done and no processing-finished", got)
	}
	ds := r.deliveriesOf(eventID(doc.ID, "processing-finished"))
	if len(ds) != 1 || ds[0].Outcome != mockplatform.OutcomeDropped || ds[0].Fault != "lose-final" || ds[0].Attempt != 0 {
		t.Errorf("journal for the dropped event = %+v, want one dropped record naming lose-final", ds)
	}
	final, _ := r.p.Document(doc.ID)
	if final.Status != mockplatform.StatusDone {
		t.Errorf("document status = %s, want done: a dropped webhook must not change the document", final.Status)
	}
	assertEventState(t, r.p, eventID(doc.ID, "processing-finished"), mockplatform.EventDropped, "lose-final")
}

func TestFaultDropWinsOverOtherRules(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{}, nil, onlyReceived...)
	r.addRule(t, mockplatform.Rule{ID: "twice", Fault: mockplatform.FaultDuplicate})
	r.addRule(t, mockplatform.Rule{ID: "gone", Fault: mockplatform.FaultDrop})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, time.Minute)
	for _, e := range r.p.Events() {
		if diff := cmp.Diff([]string{"gone"}, e.Faults); diff != "" {
			t.Errorf("event %s faults mismatch (-want +got):\n%s", e.ID, diff)
		}
	}
	if got := r.c.received(); len(got) != 0 {
		t.Errorf("consumer received %d requests for a dropped event of document %d, want none", len(got), doc.ID)
	}
}

func assertEventState(t *testing.T, p *mockplatform.Platform, id string, want mockplatform.EventState, rule string) {
	t.Helper()
	for _, e := range p.Events() {
		if e.ID != id {
			continue
		}
		if e.State != want {
			t.Errorf("event %s is %s, want %s", id, e.State, want)
		}
		if rule != "" && !slicesContains(e.Faults, rule) {
			t.Errorf("event %s faults = %v, want %s among them", id, e.Faults, rule)
		}
		return
	}
	t.Errorf("no event %s", id)
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestFaultFailAttempts(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{}, nil, onlyReceived...)
	r.addRule(t, mockplatform.Rule{ID: "outage", Fault: mockplatform.FaultFailAttempts, Attempts: 2})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, time.Hour)

	got := r.c.received()
	if len(got) != 1 {
		t.Fatalf("consumer received %d requests, want 1: attempts 1 and 2 are not sent", len(got))
	}
	// Attempt 3 comes after retry 1 (1 s) and retry 2 (32 s), each
	// with up to 30 s of jitter.
	wait := got[0].At.Sub(epoch)
	if wait < 33*time.Second || wait >= 93*time.Second {
		t.Errorf("first request arrived %s after the upload, want within [33s, 93s)", wait)
	}
	ds := r.deliveriesOf(eventID(doc.ID, "document-received"))
	if len(ds) != 3 {
		t.Fatalf("journal has %d attempts, want 3", len(ds))
	}
	for _, d := range ds[:2] {
		if d.Outcome != mockplatform.OutcomeFailed || d.Fault != "outage" || !d.SentAt.IsZero() {
			t.Errorf("attempt %d = %+v, want failed by outage and never sent", d.Attempt, d)
		}
	}
	if ds[2].Outcome != mockplatform.OutcomeDelivered || ds[2].Fault != "" {
		t.Errorf("attempt 3 = %+v, want delivered without a fault", ds[2])
	}
}

func TestFaultLostAckCausesDuplicate(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{}, nil, onlyReceived...)
	r.addRule(t, mockplatform.Rule{ID: "lost-ack", Fault: mockplatform.FaultLostAck,
		Match: mockplatform.Match{Attempts: []int{1}}})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, time.Hour)

	got := r.c.received()
	if len(got) != 2 || got[0].RequestID != got[1].RequestID {
		t.Fatalf("consumer received %d requests, want the same event twice with one request_id", len(got))
	}
	ds := r.deliveriesOf(eventID(doc.ID, "document-received"))
	if len(ds) != 2 || ds[0].Outcome != mockplatform.OutcomeFailed || ds[0].StatusCode != http.StatusNoContent || ds[0].Fault != "lost-ack" {
		t.Errorf("journal = %+v, want attempt 1 answered 204 yet failed by lost-ack", ds)
	}
	assertEventState(t, r.p, eventID(doc.ID, "document-received"), mockplatform.EventDelivered, "lost-ack")
}

func TestFaultDelay(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{}, nil, onlyReceived...)
	r.addRule(t, mockplatform.Rule{ID: "slow-net", Fault: mockplatform.FaultDelay, Delay: 5 * time.Minute})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, 4*time.Minute)
	if n := len(r.c.received()); n != 0 {
		t.Fatalf("consumer received %d requests before the delay passed, want 0", n)
	}
	advance(t, r.p, 2*time.Minute)
	got := r.c.received()
	if len(got) != 1 || !got[0].At.Equal(epoch.Add(5*time.Minute)) {
		t.Fatalf("consumer received %+v, want one request at upload + 5m", got)
	}
	d := r.deliveriesOf(eventID(doc.ID, "document-received"))[0]
	if !d.PlannedAt.Equal(epoch) || !d.SentAt.Equal(epoch.Add(5*time.Minute)) || d.Fault != "slow-net" {
		t.Errorf("journal = planned %s, sent %s, fault %q: want planned at upload, sent 5m later, fault slow-net", d.PlannedAt, d.SentAt, d.Fault)
	}
}

func TestFaultDuplicate(t *testing.T) {
	tests := []struct {
		name          string
		rule          mockplatform.Rule
		wantRequestID int // distinct request_ids the consumer sees
	}{
		{"sequential same id", mockplatform.Rule{Copies: 2}, 1},
		{"concurrent new ids", mockplatform.Rule{Copies: 2, Concurrent: true, NewRequestID: true}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFaultRig(t, mockplatform.Options{}, nil, onlyReceived...)
			rule := tt.rule
			rule.ID, rule.Fault = "dup", mockplatform.FaultDuplicate
			r.addRule(t, rule)
			doc := upload(t, r.p, mockplatform.Upload{})
			advance(t, r.p, time.Minute)

			got := r.c.received()
			ids := map[string]bool{}
			for _, w := range got {
				ids[w.RequestID] = true
				if w.Topic != "document-received" || w.DocumentID != doc.ID {
					t.Errorf("copy carries %s for document %d, want the original event", w.Topic, w.DocumentID)
				}
			}
			if len(got) != 3 || len(ids) != tt.wantRequestID {
				t.Errorf("consumer received %d requests with %d request_ids, want 3 with %d", len(got), len(ids), tt.wantRequestID)
			}
			copies := 0
			for _, d := range r.deliveriesOf(eventID(doc.ID, "document-received")) {
				if d.Copy > 0 {
					copies++
					if d.Fault != "dup" {
						t.Errorf("copy %d fault = %q, want dup", d.Copy, d.Fault)
					}
				}
			}
			if copies != 2 {
				t.Errorf("journal has %d copies, want 2", copies)
			}
			assertEventState(t, r.p, eventID(doc.ID, "document-received"), mockplatform.EventDelivered, "dup")
		})
	}
}

func TestFaultReorder(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{}, nil)
	r.addRule(t, mockplatform.Rule{ID: "late", Fault: mockplatform.FaultReorder,
		Match: mockplatform.Match{Topics: []mockplatform.Topic{"extraction-done"}}})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, time.Hour)

	got := r.c.topicsOf(doc.ID)
	want := concat(inboundTopics, separation, classifying, []mockplatform.Topic{"automatic-extraction-done", "processing-finished", "extraction-done"})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("topics received mismatch (-want +got):\n%s", diff)
	}
	d := r.deliveriesOf(eventID(doc.ID, "extraction-done"))
	if len(d) != 1 || d[0].Fault != "late" {
		t.Errorf("journal for the held event = %+v, want one attempt naming late", d)
	}
}

func TestFaultReorderReleasesAfterDelay(t *testing.T) {
	// The terminal topic has no later event, so only the delay
	// releases it.
	r := newFaultRig(t, mockplatform.Options{}, nil)
	r.addRule(t, mockplatform.Rule{ID: "late", Fault: mockplatform.FaultReorder, Delay: 10 * time.Minute,
		Match: mockplatform.Match{Topics: []mockplatform.Topic{"processing-finished"}}})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, 5*time.Minute)
	if got := r.c.topicsOf(doc.ID); len(got) != 8 {
		t.Fatalf("received %d topics before the hold ended, want 8", len(got))
	}
	advance(t, r.p, 10*time.Minute)
	got := r.c.topicsOf(doc.ID)
	if len(got) != 9 || got[8] != "processing-finished" {
		t.Errorf("received %v, want processing-finished last after the hold", got)
	}
}

func TestFaultCorrupt(t *testing.T) {
	tests := []struct {
		corruption mockplatform.Corruption
		check      func(w webhook) error
	}{
		{mockplatform.CorruptInvalidJSON, func(w webhook) error {
			if json.Valid(w.Body) {
				return fmt.Errorf("body is valid JSON: %s", w.Body)
			}
			return nil
		}},
		{mockplatform.CorruptTruncated, func(w webhook) error {
			if json.Valid(w.Body) || !strings.HasPrefix(string(w.Body), `{"id":"`) {
				return fmt.Errorf("body is not a truncated payload: %s", w.Body)
			}
			return nil
		}},
		{mockplatform.CorruptContentType, func(w webhook) error {
			if ct := w.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") || !json.Valid(w.Body) {
				return fmt.Errorf("Content-Type %q with body %s, want text/plain and the payload", ct, w.Body)
			}
			return nil
		}},
		{mockplatform.CorruptUnknownTopic, func(w webhook) error {
			if w.Topic != mockplatform.UnknownTopic {
				return fmt.Errorf("topic %q, want %q", w.Topic, mockplatform.UnknownTopic)
			}
			return nil
		}},
		{mockplatform.CorruptExtraAttributes, func(w webhook) error {
			var p struct {
				Attributes map[string]any `json:"attributes"`
				Meta       map[string]any `json:"meta"`
			}
			if err := json.Unmarshal(w.Body, &p); err != nil || p.Attributes["priority"] == nil || p.Meta == nil || w.Topic != "document-received" {
				return fmt.Errorf("body %s lacks the extra members or the real topic", w.Body)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.corruption), func(t *testing.T) {
			r := newFaultRig(t, mockplatform.Options{}, nil, onlyReceived...)
			r.addRule(t, mockplatform.Rule{ID: "bad", Fault: mockplatform.FaultCorrupt, Corruption: tt.corruption,
				When: mockplatform.When{First: 1}})
			doc := upload(t, r.p, mockplatform.Upload{})
			advance(t, r.p, time.Minute)
			got := r.c.received()
			if len(got) == 0 {
				t.Fatal("consumer received nothing")
			}
			if err := tt.check(got[0]); err != nil {
				t.Error(err)
			}
			if d := r.deliveriesOf(eventID(doc.ID, "document-received"))[0]; d.Fault != "bad" {
				t.Errorf("journal fault = %q, want bad", d.Fault)
			}
		})
	}
}

func TestFaultHeaders(t *testing.T) {
	for _, mode := range []mockplatform.HeaderMode{mockplatform.HeaderMissing, mockplatform.HeaderWrong} {
		t.Run(string(mode), func(t *testing.T) {
			r := newFaultRig(t, mockplatform.Options{}, func(_ int, w webhook) int {
				if w.Header.Get("Authorization") != "Bearer hook-secret" {
					return http.StatusUnauthorized
				}
				return http.StatusNoContent
			}, onlyReceived...)
			r.addRule(t, mockplatform.Rule{ID: "no-auth", Fault: mockplatform.FaultHeaders, HeaderMode: mode,
				Header: "authorization", Match: mockplatform.Match{Attempts: []int{1}}})
			doc := upload(t, r.p, mockplatform.Upload{})
			advance(t, r.p, time.Minute)

			got := r.c.received()
			if len(got) != 2 {
				t.Fatalf("consumer received %d requests, want the damaged attempt and its retry", len(got))
			}
			first := got[0].Header.Values("Authorization")
			if mode == mockplatform.HeaderMissing && len(first) != 0 {
				t.Errorf("attempt 1 carried Authorization %q, want none", first)
			}
			if mode == mockplatform.HeaderWrong && (len(first) != 1 || first[0] == "Bearer hook-secret") {
				t.Errorf("attempt 1 carried Authorization %q, want a wrong value", first)
			}
			ds := r.deliveriesOf(eventID(doc.ID, "document-received"))
			if ds[0].StatusCode != http.StatusUnauthorized || ds[0].Fault != "no-auth" || ds[1].Outcome != mockplatform.OutcomeDelivered {
				t.Errorf("journal = %+v, want 401 on attempt 1 by no-auth, then delivered", ds)
			}
			for _, d := range ds {
				if v, ok := d.Headers["Authorization"]; ok && v != mockplatform.MaskedValue {
					t.Errorf("journal shows Authorization %q, want it masked", v)
				}
			}
		})
	}
}

func TestFaultSelection(t *testing.T) {
	tests := []struct {
		name string
		when mockplatform.When
		want []int64 // dropped documents, counted from 1
	}{
		{"every match", mockplatform.When{}, []int64{1, 2, 3, 4, 5, 6}},
		{"nth", mockplatform.When{Nth: 3}, []int64{3}},
		{"first", mockplatform.When{First: 2}, []int64{1, 2}},
		{"every", mockplatform.When{Every: 2}, []int64{2, 4, 6}},
		{"limit", mockplatform.When{Every: 2, Limit: 2}, []int64{2, 4}},
		{"window", mockplatform.When{After: 2 * time.Second, Before: 4 * time.Second}, []int64{3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newFaultRig(t, mockplatform.Options{FirstDocumentID: 1}, nil, onlyReceived...)
			r.addRule(t, mockplatform.Rule{ID: "d", Fault: mockplatform.FaultDrop, When: tt.when})
			for range 6 {
				upload(t, r.p, mockplatform.Upload{})
				advance(t, r.p, time.Second)
			}
			var dropped []int64
			for _, e := range r.p.Events() {
				if e.State == mockplatform.EventDropped {
					dropped = append(dropped, e.DocumentID)
				}
			}
			if diff := cmp.Diff(tt.want, dropped); diff != "" {
				t.Errorf("dropped documents mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFaultMatchFields(t *testing.T) {
	r := newFaultRig(t, mockplatform.Options{FirstDocumentID: 1}, nil, onlyReceived...)
	r.addRule(t, mockplatform.Rule{ID: "by-ext", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{ExternalID: "EX-9*"}})
	r.addRule(t, mockplatform.Rule{ID: "by-doc", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{Documents: []int64{2}}})
	r.addRule(t, mockplatform.Rule{ID: "by-sub", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{Subscriptions: []string{"other"}}})
	for _, ext := range []string{"EX-91", "EX-10", "EX-99", "AB-9"} {
		upload(t, r.p, mockplatform.Upload{ExternalID: ext})
	}
	advance(t, r.p, time.Second)
	got := map[int64]mockplatform.EventState{}
	for _, e := range r.p.Events() {
		got[e.DocumentID] = e.State
	}
	want := map[int64]mockplatform.EventState{1: "dropped", 2: "dropped", 3: "dropped", 4: "delivered"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("event states by document mismatch (-want +got):\n%s", diff)
	}
}

func TestFaultProbabilityReproducible(t *testing.T) {
	run := func(seed uint64) []mockplatform.EventState {
		r := newFaultRig(t, mockplatform.Options{Seed: seed}, nil, onlyReceived...)
		r.addRule(t, mockplatform.Rule{ID: "p", Fault: mockplatform.FaultDrop, When: mockplatform.When{Probability: 0.5}})
		for range 40 {
			upload(t, r.p, mockplatform.Upload{})
		}
		advance(t, r.p, time.Second)
		var states []mockplatform.EventState
		for _, e := range r.p.Events() {
			states = append(states, e.State)
		}
		return states
	}
	first := run(5)
	if diff := cmp.Diff(first, run(5)); diff != "" {
		t.Errorf("seed 5 decided differently twice (-first +second):\n%s", diff)
	}
	dropped := 0
	for _, s := range first {
		if s == mockplatform.EventDropped {
			dropped++
		}
	}
	if dropped < 8 || dropped > 32 {
		t.Errorf("probability 0.5 dropped %d of 40 events, want between 8 and 32", dropped)
	}
	if cmp.Equal(first, run(6)) {
		t.Error("seeds 5 and 6 made the same 40 decisions: the seed is ignored")
	}
}

func TestRuleValidation(t *testing.T) {
	p, _ := startManual(t, mockplatform.Options{})
	tests := []struct {
		name string
		rule mockplatform.Rule
		want string
	}{
		{"unknown fault", mockplatform.Rule{Fault: "explode"}, `fault "explode" is unknown: webhook faults are drop`},
		{"unknown topic", mockplatform.Rule{Fault: "drop", Match: mockplatform.Match{Topics: []mockplatform.Topic{"finished"}}}, "valid topics are"},
		{"api match on webhook fault", mockplatform.Rule{Fault: "drop", Match: mockplatform.Match{Methods: []string{"GET"}}}, "webhook fault"},
		{"webhook match on api fault", mockplatform.Rule{Fault: "status", Status: 500, Match: mockplatform.Match{Topics: []mockplatform.Topic{"document-received"}}}, "REST API fault"},
		{"two selectors", mockplatform.Rule{Fault: "drop", When: mockplatform.When{Nth: 1, First: 2}}, "at most one of nth, first, every and probability"},
		{"probability above 1", mockplatform.Rule{Fault: "drop", When: mockplatform.When{Probability: 1.5}}, "probability 1.5"},
		{"empty window", mockplatform.Rule{Fault: "drop", When: mockplatform.When{After: time.Minute, Before: time.Second}}, "window would be empty"},
		{"bad corruption", mockplatform.Rule{Fault: "corrupt", Corruption: "scramble"}, `corruption "scramble" is unknown: use one of invalid_json`},
		{"bad status", mockplatform.Rule{Fault: "status", Status: 418}, "status 418"},
		{"bad header mode", mockplatform.Rule{Fault: "headers", HeaderMode: "swap"}, `header_mode "swap"`},
		{"attempt out of range", mockplatform.Rule{Fault: "lost_ack", Match: mockplatform.Match{Attempts: []int{10}}}, "attempt 10 is out of range"},
		{"bad external id pattern", mockplatform.Rule{Fault: "drop", Match: mockplatform.Match{ExternalID: "EX-["}}, `"EX-["`},
		{"negative delay", mockplatform.Rule{Fault: "delay", Delay: -time.Second}, "delay -1s"},
		{"too many copies", mockplatform.Rule{Fault: "duplicate", Copies: 1000}, "copies 1000"},
		{"bad id", mockplatform.Rule{ID: "a b", Fault: "drop"}, `rule id "a b"`},
		{"parameter of another fault", mockplatform.Rule{Fault: "drop", Corruption: "invalid_json"}, "corruption does not apply to drop"},
		{"retry_after on a 503", mockplatform.Rule{Fault: "status", Status: 503, RetryAfter: time.Second}, "apply to status 429 only, and status is 503"},
		{"attempts on an event fault", mockplatform.Rule{Fault: "drop", Match: mockplatform.Match{Attempts: []int{2}}}, "acts on the whole event"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.AddRule(tt.rule)
			if err == nil {
				t.Fatal("AddRule: no error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("AddRule: error %q does not contain %q", err, tt.want)
			}
		})
	}
	if _, err := p.AddRule(mockplatform.Rule{ID: "x", Fault: "drop"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.AddRule(mockplatform.Rule{ID: "x", Fault: "drop"}); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Errorf("second rule with id x: error %v, want one saying the id is taken", err)
	}
}

func TestFaultReorderWithSlowConsumer(t *testing.T) {
	// Steps come faster than the consumer answers, so several events
	// of a document wait in its queue while extraction-done is held.
	c := newConsumer(t, time.Now, func(int, webhook) int {
		time.Sleep(30 * time.Millisecond)
		return http.StatusNoContent
	})
	scaled, err := clock.NewScaled(100)
	if err != nil {
		t.Fatal(err)
	}
	p, err := mockplatform.Start(mockplatform.Options{
		Clock:         scaled,
		Subscriptions: []mockplatform.Subscription{{URL: c.srv.URL}},
		Rules: []mockplatform.Rule{{ID: "late", Fault: mockplatform.FaultReorder,
			Match: mockplatform.Match{Topics: []mockplatform.Topic{"extraction-done"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var docs []mockplatform.Document
	for range 3 {
		docs = append(docs, upload(t, p, mockplatform.Upload{}))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	want := concat(inboundTopics, separation, classifying, []mockplatform.Topic{"automatic-extraction-done", "processing-finished", "extraction-done"})
	for _, d := range docs {
		if diff := cmp.Diff(want, c.topicsOf(d.ID)); diff != "" {
			t.Errorf("document %d topics received mismatch (-want +got):\n%s", d.ID, diff)
		}
	}
}

func TestFaultRecordedOnlyWhenItActs(t *testing.T) {
	// The consumer answers 500, so there is no acknowledgement to
	// lose, and the headers rule names a header the subscription does
	// not send.
	r := newFaultRig(t, mockplatform.Options{}, func(int, webhook) int { return http.StatusInternalServerError }, onlyReceived...)
	r.addRule(t, mockplatform.Rule{ID: "ack", Fault: mockplatform.FaultLostAck, Match: mockplatform.Match{Attempts: []int{1}}})
	r.addRule(t, mockplatform.Rule{ID: "trace", Fault: mockplatform.FaultHeaders, Header: "X-Trace", Match: mockplatform.Match{Attempts: []int{1}}})
	doc := upload(t, r.p, mockplatform.Upload{})
	advance(t, r.p, time.Second)
	ds := r.deliveriesOf(eventID(doc.ID, "document-received"))
	if len(ds) == 0 || ds[0].Fault != "" {
		t.Errorf("attempt 1 = %+v, want no fault: neither rule changed it", ds)
	}
	for _, e := range r.p.Events() {
		if len(e.Faults) != 0 {
			t.Errorf("event %s faults = %v, want none", e.ID, e.Faults)
		}
	}
}
