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

// event is the dispatcher's working state for one Event. When the
// event ends, endEvent clears payload, body and requestID,
// unless a duplicate rule may still send copies, so the events table
// keeps little more than the Event.
type event struct {
	Event
	sub       *activeSubscription
	payload   *payload
	body      []byte // encoded with the event's request_id
	requestID string
	// release ends the event's count of outstanding work exactly once.
	release sync.Once
	// order numbers the events in the order they fired, from 1.
	order int64

	// Event-level fault decisions, made once when the event fires.
	failFirst int // attempts 1..failFirst fail without being sent
	failRule  string
	duplicate *Rule // sends copies of attempt 1
	reorder   *Rule // holds attempt 1 until a later event is sent
	released  bool  // a held event was released; guarded by Platform.chainsMu
}

// eventTable keeps the events in the order they fired: every pending
// event, and the ended ones up to the journal limit. When a quarter
// more events than the limit have ended, it drops the oldest ended
// events down to the limit and counts them, so it never holds more
// than the pending events and 1.25 times the limit. Compacting only
// then keeps its cost in proportion to the events that ended, also
// while a burst holds many more events pending than the limit.
type eventTable struct {
	mu      sync.Mutex
	limit   int
	order   []*event
	fired   int64 // events added so far
	ended   int   // ended events in order
	dropped int64
}

func newEventTable(limit int) *eventTable { return &eventTable{limit: limit} }

func (t *eventTable) add(e *event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fired++
	e.order = t.fired
	t.order = append(t.order, e)
}

// end records that e was delivered, lost or dropped at the platform
// time at.
func (t *eventTable) end(e *event, s EventState, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e.State = s
	e.EndedAt = at
	t.ended++
	if t.ended > t.limit+t.limit/4 {
		t.compact()
	}
}

// compact drops the oldest ended events until limit of them are
// left. The caller holds t.mu.
func (t *eventTable) compact() {
	excess := t.ended - t.limit
	remaining := t.order[:0]
	for _, e := range t.order {
		if excess > 0 && e.State != EventPending {
			excess--
			t.ended--
			t.dropped++
			continue
		}
		remaining = append(remaining, e)
	}
	clear(t.order[len(remaining):])
	t.order = remaining
}

// update changes e under the table's lock.
func (t *eventTable) update(e *event, fn func(*Event)) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fn(&e.Event)
}

// snapshot returns copies of the kept events and how many ended
// events were dropped.
func (t *eventTable) snapshot() ([]Event, int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Event, len(t.order))
	for i, e := range t.order {
		out[i] = e.Event
		out[i].Faults = slices.Clone(e.Faults)
	}
	return out, t.dropped
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

// Events returns the events in the order they fired: every pending
// event and the newest ended ones. Once more events have ended than
// the journal limit, the oldest ended ones are dropped, and
// DroppedEvents counts them.
func (p *Platform) Events() []Event {
	events, _ := p.events.snapshot()
	return events
}

// DroppedEvents returns how many ended events were dropped to respect
// the journal limit.
func (p *Platform) DroppedEvents() int64 {
	p.events.mu.Lock()
	defer p.events.mu.Unlock()
	return p.events.dropped
}
