package mockplatform

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// The platform's retry schedule: after a failed attempt, retry n (1 to
// MaxRetries) waits RetryDelay(n), which is n^5 seconds, plus a uniform
// jitter in [0, MaxJitter). After the last retry fails the event is
// lost, so an event gets at most MaxRetries+1 attempts.
const (
	MaxRetries = 8
	MaxJitter  = 30 * time.Second
)

// RetryDelay returns the wait before retry n without jitter: n^5
// seconds, so 1 s, 32 s, 243 s, … 32768 s for retry 8.
func RetryDelay(n int) time.Duration {
	return time.Duration(n*n*n*n*n) * time.Second
}

// EventState is where an event stands in its delivery.
type EventState string

// The states of an event.
const (
	// EventPending: an attempt is in flight or a retry is scheduled.
	EventPending EventState = "pending"
	// EventDelivered: an attempt got a 2xx answer.
	EventDelivered EventState = "delivered"
	// EventLost: every attempt failed; the platform gave up.
	EventLost EventState = "lost"
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
	// EndedAt is when the event was delivered or lost; zero while
	// pending.
	EndedAt time.Time `json:"ended_at,omitzero"`
}

// event is the dispatcher's working state for one Event.
type event struct {
	Event
	sub       Subscription
	payload   payload
	body      []byte // encoded with the event's request_id
	requestID string
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

// newDeliveryClient returns the client for deliveries. It keeps many
// idle connections per host, because a burst of documents sends many
// deliveries to one consumer, and it never follows redirects, because
// only a 2xx answer counts as delivered.
func newDeliveryClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 256
	tr.DisableCompression = true
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// emit creates one event per subscription that wants the topic and
// sends each one's first attempt. doc is the document as the topic left
// it.
func (p *Platform) emit(doc Document, topic Topic) {
	now := p.clock.Now()
	for _, sub := range p.Subscriptions() {
		if !sub.wants(topic) {
			continue
		}
		e := &event{
			Event: Event{
				ID:           fmt.Sprintf("%d.%s.%s", doc.ID, sub.ID, topic),
				Subscription: sub.ID,
				DocumentID:   doc.ID,
				Topic:        topic,
				State:        EventPending,
				FiredAt:      now,
			},
			sub:     sub,
			payload: newPayload(doc, topic),
		}
		e.requestID = p.requestID(e.ID, 0)
		e.payload.RequestID = e.requestID
		body, err := json.Marshal(e.payload)
		if err != nil {
			// The payload holds decoded JSON values only, so this is a
			// programming error; the event is still recorded as pending
			// so it is not lost silently.
			p.log.Error("encode webhook payload", "event", e.ID, "error", err)
		}
		e.body = body
		p.events.add(e)
		p.outstanding.add()
		p.startAttempt(e, 1, now)
	}
}

// spawn runs fn in its own goroutine, counted as busy work.
func (p *Platform) spawn(fn func()) {
	p.busy.add()
	go func() {
		defer p.busy.done()
		fn()
	}()
}

// startAttempt numbers attempt n of e, planned for the given platform
// time, and sends it in its own goroutine, so a slow consumer delays no
// other delivery. The event counts as outstanding work until it ends.
func (p *Platform) startAttempt(e *event, n int, planned time.Time) {
	seq := p.deliveries.reserve()
	body, requestID := e.body, e.requestID
	if p.opts.RequestIDPerAttempt && n > 1 {
		requestID = p.requestID(e.ID, n)
		pl := e.payload
		pl.RequestID = requestID
		body, _ = json.Marshal(pl) // encoded once already in emit
	}
	p.spawn(func() { p.deliver(e, n, seq, planned, requestID, body) })
}

// deliver sends one attempt, records it under seq, and then ends the
// event or schedules its retry.
func (p *Platform) deliver(e *event, n int, seq int64, planned time.Time, requestID string, body []byte) {
	sentAt := p.clock.Now()
	status, headers, latency, err := p.send(e.sub, body)
	outcome := OutcomeFailed
	if err == nil && status >= 200 && status < 300 {
		outcome = OutcomeDelivered
	}
	d := Delivery{
		Seq: seq, EventID: e.ID, Subscription: e.sub.ID, DocumentID: e.DocumentID,
		Topic: e.Topic, Attempt: n, RequestID: requestID, URL: e.sub.URL,
		PlannedAt: planned, SentAt: sentAt, StatusCode: status,
		Latency: latency, Outcome: outcome, Headers: headers,
	}
	if err != nil {
		d.Error = err.Error()
	}
	p.deliveries.put(seq, d)
	p.events.update(e, func(ev *Event) { ev.Attempts = n })

	if outcome == OutcomeDelivered {
		p.endEvent(e, EventDelivered)
		return
	}
	p.retryOrLose(e, n, status, err)
}

// retryOrLose schedules the retry after failed attempt n, or marks the
// event lost when n was the last attempt.
func (p *Platform) retryOrLose(e *event, n, status int, sendErr error) {
	reason := fmt.Sprintf("status %d", status)
	if sendErr != nil {
		reason = sendErr.Error()
	}
	if n > MaxRetries {
		p.log.Error("webhook lost after every attempt failed",
			"event", e.ID, "subscription", e.sub.ID, "document", e.DocumentID,
			"topic", e.Topic, "attempts", n, "last_error", reason)
		p.endEvent(e, EventLost)
		return
	}
	wait := RetryDelay(n) + p.jitter(e.ID, n)
	planned := p.clock.Now().Add(wait)
	p.log.Warn("webhook attempt failed",
		"event", e.ID, "subscription", e.sub.ID, "document", e.DocumentID,
		"topic", e.Topic, "attempt", n, "error", reason, "retry_in", wait)
	p.after(wait, fmt.Sprintf("attempt/%020d/%s/%d", e.DocumentID, e.ID, n+1), func() { p.startAttempt(e, n+1, planned) }, func() {
		// Shutdown cancelled the retry: the event stays pending and its
		// outstanding count ends here.
		p.outstanding.done()
	})
}

// endEvent records that e was delivered or lost.
func (p *Platform) endEvent(e *event, s EventState) {
	now := p.clock.Now()
	p.events.update(e, func(ev *Event) {
		ev.State = s
		ev.EndedAt = now
	})
	p.outstanding.done()
}

// send POSTs body to the subscription's URL with its headers and
// returns the status, the sent headers with secrets masked, and the
// latency. A non-nil error means no response arrived.
func (p *Platform) send(sub Subscription, body []byte) (int, map[string]string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(body))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "parashift-mock")
	for k, v := range sub.Headers {
		req.Header.Set(k, v)
	}
	journal := make(map[string]string, len(req.Header))
	for k := range req.Header {
		journal[k] = req.Header.Get(k)
	}
	for k := range sub.Headers {
		journal[http.CanonicalHeaderKey(k)] = MaskedValue
	}

	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, journal, time.Since(start), describeSendError(err, p.opts.AttemptTimeout)
	}
	// Draining a bounded part of the body lets the connection be
	// reused without letting a consumer stall the attempt.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, journal, time.Since(start), nil
}

// describeSendError shortens a client error to what a reader of the
// journal needs: a timeout, a refused connection, or the error itself.
func describeSendError(err error, timeout time.Duration) error {
	var netErr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return fmt.Errorf("timed out after %s", timeout)
	}
	return err
}
