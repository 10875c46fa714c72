package mockplatform

import (
	"slices"
	"sync"
	"time"
)

// EventState is the stage of an event's delivery.
type EventState string

// The states of an event.
const (
	// EventPending: an attempt is in flight or a retry is scheduled.
	EventPending EventState = "pending"
	// EventDelivered: an attempt got a 2xx response.
	EventDelivered EventState = "delivered"
	// EventLost: every attempt failed; the platform gave up.
	EventLost EventState = "lost"
	// EventDropped: a fault rule dropped the event; it was never sent.
	EventDropped EventState = "dropped"
)

// Event is one webhook the platform owes a subscription: one per
// (subscription, document, topic).
type Event struct {
	// ID is "<document id>.<subscription id>.<topic>", stable for the
	// same inputs.
	ID           string     `json:"id"`
	Subscription string     `json:"subscription"`
	DocumentID   int64      `json:"document_id"`
	Topic        Topic      `json:"topic"`
	State        EventState `json:"state"`
	Attempts     int        `json:"attempts"`
	FiredAt      time.Time  `json:"fired_at"`
	// EndedAt is when the event was delivered, lost or dropped; zero
	// while pending.
	EndedAt time.Time `json:"ended_at,omitzero"`
	// Faults are the ids of the fault rules that acted on the event or
	// its attempts, in the order they first did.
	Faults []string `json:"faults,omitempty"`
}

// event is the dispatcher's working state for one Event.
type event struct {
	Event
	sub       *activeSubscription
	payload   payload
	body      []byte // encoded with the event's request_id
	requestID string
	// chainKey names the subscription and document whose first
	// attempts are sent in order, as "<subscription id>/<document id>".
	chainKey string
	// release ends the event's count of outstanding work exactly once.
	release sync.Once
	// order numbers the events in the order they fired, from 1.
	order int64

	// Event-level fault decisions, made once when the event fires.
	failFirst int // attempts 1..failFirst fail without being sent
	failRule  string
	duplicate *Rule // sends copies of attempt 1
	reorder   *Rule // holds attempt 1 until a later event is sent
	released  bool  // a held event was released; guarded by Platform.mu
}

// eventTable keeps every event in the order it fired.
type eventTable struct {
	mu    sync.Mutex
	order []*event
}

func newEventTable() *eventTable { return &eventTable{} }

func (t *eventTable) add(e *event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.order = append(t.order, e)
	e.order = int64(len(t.order))
}

// update changes e under the table's lock.
func (t *eventTable) update(e *event, fn func(*Event)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn(&e.Event)
}

func (t *eventTable) snapshot() []Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Event, len(t.order))
	for i, e := range t.order {
		out[i] = e.Event
		out[i].Faults = slices.Clone(e.Faults)
	}
	return out
}

// noteFault adds a rule id to the event's faults once.
func (t *eventTable) noteFault(e *event, ruleID string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.Contains(e.Faults, ruleID) {
		e.Faults = append(e.Faults, ruleID)
	}
}

// pending returns the events that have not ended.
func (t *eventTable) pending() []*event {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*event
	for _, e := range t.order {
		if e.State == EventPending {
			out = append(out, e)
		}
	}
	return out
}

func (t *eventTable) count(s EventState) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, e := range t.order {
		if e.State == s {
			n++
		}
	}
	return n
}

// Events returns every event in the order it fired.
func (p *Platform) Events() []Event { return p.events.snapshot() }
