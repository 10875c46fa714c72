package mockplatform

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// newDeliveryClient returns the client for deliveries, with the
// transport of DeliveryTransport. It never follows redirects, because
// only a 2xx answer counts as delivered.
func newDeliveryClient() *http.Client {
	return &http.Client{
		Transport: DeliveryTransport(),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// DeliveryTransport returns a new transport with the settings of the
// platform's default delivery client: it keeps many idle connections
// per host, because a burst of documents sends many deliveries to one
// consumer, and it does not ask for compressed responses. Load
// generators use it to compare plain clients with the platform on
// equal terms.
func DeliveryTransport() *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 256
	tr.DisableCompression = true
	return tr
}

// emit creates one event per subscription that wants the topic and
// dispatches each. doc is the document as the topic left it, a
// shallow copy whose maps and slices emit only reads.
func (p *Platform) emit(doc Document, topic Topic) {
	now := p.clock.Now()
	docID := strconv.FormatInt(doc.ID, 10)
	for _, sub := range p.activeSubscriptions() {
		if !sub.wants(topic) {
			continue
		}
		e := &event{
			Event: Event{
				ID:           docID + "." + sub.ID + "." + string(topic),
				Subscription: sub.ID,
				DocumentID:   doc.ID,
				Topic:        topic,
				State:        EventPending,
				FiredAt:      now,
			},
			sub:     sub,
			payload: new(newPayload(doc, topic)),
		}
		e.requestID = p.requestID(e.ID, 0)
		e.payload.RequestID = e.requestID
		body, err := e.payload.marshal()
		if err != nil {
			// The payload holds decoded JSON values only, so this is a
			// programming error; the event still counts as pending,
			// so it is not lost silently.
			p.log.Error("encode webhook payload", "event", e.ID, "error", err)
		}
		e.body = body
		p.events.add(e)
		p.outstanding.add()
		select {
		case <-p.stopping:
			// Shutdown may have released the pending events before
			// this one was added, so its count ends here. The event
			// stays pending like the others that Shutdown cancelled.
			p.releaseEvent(e)
			continue
		default:
		}
		p.dispatch(e, doc.ExternalID)
	}
}

// dispatch applies the event-level fault rules to a new event, then
// queues its first attempt behind the document's earlier events for
// the same subscription.
func (p *Platform) dispatch(e *event, externalID string) {
	if dropped := p.applyEventFaults(e, externalID); dropped {
		return
	}
	if e.reorder != nil {
		p.hold(e)
		return
	}
	p.chainsMu.Lock()
	key := e.chain()
	c, busy := p.chains[key]
	if busy {
		c.queue = append(c.queue, e)
		p.chainsMu.Unlock()
		return
	}
	p.chains[key] = &chain{}
	p.chainsMu.Unlock()
	p.startAttempt(e, 1, e.FiredAt)
}

// chainKey names the subscription and the document whose first
// attempts are sent in order.
type chainKey struct {
	sub      *activeSubscription
	document int64
}

// chain returns the key of e's chain.
func (e *event) chain() chainKey { return chainKey{e.sub, e.DocumentID} }

// chain orders the first attempts of one document's events for one
// subscription: each waits until the previous one has been answered,
// so without a fault rule a consumer sees a document's topics in
// workflow order. Retries do not wait, as on the real platform.
type chain struct {
	queue []*event
}

// firstAttemptDone starts the next queued first attempt of e's chain,
// and releases the events a reorder rule holds for the same document
// and subscription that fired before e, which then arrive after it.
func (p *Platform) firstAttemptDone(e *event) {
	if e.reorder != nil {
		// A held event waits outside the document's queue.
		return
	}
	p.chainsMu.Lock()
	key := e.chain()
	var next *event
	if c, ok := p.chains[key]; ok {
		if len(c.queue) > 0 {
			next, c.queue = c.queue[0], c.queue[1:]
		} else {
			delete(p.chains, key)
		}
	}
	ready := p.heldBefore(key, e.order)
	p.chainsMu.Unlock()
	if next != nil {
		// Through the clock, so that on a manual clock the start is
		// ordered with the other work of this instant.
		p.after(0, attemptKey(next, 1, sendAttempt), func() { p.startAttempt(next, 1, next.FiredAt) }, nil)
	}
	p.releaseHeld(ready)
}

// startAttempt numbers attempt n of e, planned for the given platform
// time, applies the attempt-level fault rules, and queues it on the
// URL's send queue, so a slow consumer delays no delivery to another
// URL. The event counts as outstanding work until it ends.
func (p *Platform) startAttempt(e *event, n int, planned time.Time) {
	seq := p.deliveries.reserve()
	if n <= e.failFirst {
		p.failUnsent(e, n, seq, planned)
		return
	}
	out := p.newOutgoing(e, n)
	if n == 1 && e.reorder != nil {
		out.faults = append(out.faults, e.reorder.ID)
	}
	p.applyAttemptFaults(e, n, &out)
	copies := p.planCopies(e, n)
	deliver := func() { p.deliver(e, n, seq, planned, out, copies) }
	if out.delay == 0 && copies == nil {
		p.enqueue(e.sub.queue, deliver)
		return
	}
	send := func() {
		for _, c := range copies {
			if c.concurrent {
				p.enqueue(e.sub.queue, func() { p.sendCopy(e, n, c) })
			}
		}
		p.enqueue(e.sub.queue, deliver)
	}
	if out.delay > 0 {
		p.after(out.delay, attemptKey(e, n, delayedAttempt), send, nil)
		return
	}
	send()
}

// outgoing is one request of a delivery attempt as faults left it.
type outgoing struct {
	body      []byte
	requestID string
	// header is the subscription's shared header until a fault rule
	// changes it through editHeader, which copies it first. The HTTP
	// client only reads a request's header, so attempts can share it.
	header http.Header
	// headerChanged is set when a fault rule changed header.
	headerChanged bool
	faults        []string // ids of the rules that changed this attempt
	lostAck       string   // id of a lost_ack rule that fired, if any
	delay         time.Duration
}

// newOutgoing returns attempt n of e before faults.
func (p *Platform) newOutgoing(e *event, n int) outgoing {
	out := outgoing{body: e.body, requestID: e.requestID, header: e.sub.header}
	if p.opts.RequestIDPerAttempt && n > 1 {
		out.requestID = p.requestID(e.ID, n)
		out.body = e.encode(func(pl *payload) { pl.RequestID = out.requestID })
	}
	return out
}

// editHeader returns the attempt's own header for a fault rule to
// change, copying the shared one the first time.
func (out *outgoing) editHeader() http.Header {
	if !out.headerChanged {
		out.header = out.header.Clone()
		out.headerChanged = true
	}
	return out.header
}

// encode returns e's payload, changed by edit, as JSON.
func (e *event) encode(edit func(*payload)) []byte {
	pl := *e.payload
	edit(&pl)
	body, _ := pl.marshal() // the same payload encoded in emit
	return body
}

// deliver sends one attempt, records it under seq, sends sequential
// copies, and then ends the event or schedules its retry.
func (p *Platform) deliver(e *event, n int, seq int64, planned time.Time, out outgoing, copies []plannedCopy) {
	d, err := p.sendRecorded(e, n, seq, planned, out)
	if out.lostAck != "" && d.Outcome == OutcomeDelivered {
		d.Outcome = OutcomeFailed
		d.Error = fmt.Sprintf("acknowledgement lost: fault rule %s treats the %d response as failed", out.lostAck, d.StatusCode)
		d.Fault = strings.Join(append(out.faults, out.lostAck), ",")
		p.events.noteFault(e, out.lostAck)
		err = errors.New(d.Error)
	}
	p.deliveries.put(seq, d)
	p.events.update(e, func(ev *Event) { ev.Attempts = n })

	for _, c := range copies {
		if !c.concurrent {
			p.sendCopy(e, n, c)
		}
	}
	if n == 1 {
		p.firstAttemptDone(e)
	}
	if d.Outcome == OutcomeDelivered {
		p.endEvent(e, EventDelivered)
		return
	}
	p.retryOrLose(e, n, d.StatusCode, err)
}

// sendRecorded sends out and returns its journal record and the send
// error, if any.
func (p *Platform) sendRecorded(e *event, n int, seq int64, planned time.Time, out outgoing) (Delivery, error) {
	sentAt, wall := p.clock.Now(), time.Now()
	status, latency, err := p.send(e.sub, out, wall)
	headers := e.sub.journalHeaders
	if out.headerChanged {
		headers = maskHeaders(out.header, e.sub.Headers)
	}
	d := Delivery{
		Seq: seq, EventID: e.ID, Subscription: e.sub.ID, DocumentID: e.DocumentID,
		Topic: e.Topic, Attempt: n, RequestID: out.requestID, URL: e.sub.journalURL,
		PlannedAt: planned, SentAt: sentAt, Wall: wall, StatusCode: status,
		Latency: latency, Outcome: OutcomeFailed, Headers: headers,
		Fault: strings.Join(out.faults, ","),
	}
	if err != nil {
		d.Error = err.Error()
	} else if status >= 200 && status < 300 {
		d.Outcome = OutcomeDelivered
	}
	return d, err
}

// maskHeaders returns an attempt's header for the journal, with the
// values of the configured headers masked.
func maskHeaders(header http.Header, configured map[string]string) map[string]string {
	h := make(map[string]string, len(header))
	for k := range header {
		h[k] = header.Get(k)
	}
	for k := range configured {
		if _, sent := h[http.CanonicalHeaderKey(k)]; sent {
			h[http.CanonicalHeaderKey(k)] = MaskedValue
		}
	}
	return h
}

// retryOrLose schedules the retry after failed attempt n, or marks the
// event lost when n was the last attempt.
func (p *Platform) retryOrLose(e *event, n, status int, sendErr error) {
	// The arguments of a log call are built even when its level is
	// off, so each call is made only when the logger takes it.
	reason := func() string {
		if sendErr != nil {
			return sendErr.Error()
		}
		return "status " + strconv.Itoa(status)
	}
	if n > MaxRetries {
		if p.log.Enabled(context.Background(), slog.LevelError) {
			p.log.Error("webhook lost after every attempt failed",
				"event", e.ID, "subscription", e.sub.ID, "document", e.DocumentID,
				"topic", e.Topic, "attempts", n, "last_error", reason())
		}
		p.endEvent(e, EventLost)
		return
	}
	wait := RetryDelay(n) + p.jitter(e.ID, n)
	planned := p.clock.Now().Add(wait)
	if p.log.Enabled(context.Background(), slog.LevelWarn) {
		p.log.Warn("webhook attempt failed",
			"event", e.ID, "subscription", e.sub.ID, "document", e.DocumentID,
			"topic", e.Topic, "attempt", n, "error", reason(), "retry_in", wait)
	}
	p.after(wait, attemptKey(e, n+1, sendAttempt), func() { p.startAttempt(e, n+1, planned) }, func() {
		// Shutdown cancelled the retry: the event stays pending and its
		// outstanding count ends here.
		p.releaseEvent(e)
	})
}

// endEvent records that e was delivered, lost or dropped, and frees
// what only its attempts needed. Copies of a duplicate rule may still
// be queued, so such an event keeps its payload.
func (p *Platform) endEvent(e *event, s EventState) {
	p.events.end(e, s, p.clock.Now())
	if e.duplicate == nil {
		e.payload, e.body, e.requestID = nil, nil, ""
	}
	p.releaseEvent(e)
}

// releaseEvent ends e's outstanding count, once, whether the event
// ended or Shutdown abandoned it.
func (p *Platform) releaseEvent(e *event) {
	e.release.Do(p.outstanding.done)
}

// send POSTs the attempt to the subscription's URL and returns the
// status and the latency from start, the wall time just before. A
// non-nil error means no response arrived.
func (p *Platform) send(sub *activeSubscription, out outgoing, start time.Time) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.AttemptTimeout)
	defer cancel()
	req := newAttemptRequest(ctx, sub, out)
	resp, err := p.do(req, sub)
	if err != nil {
		return 0, time.Since(start), describeSendError(err, p.opts.AttemptTimeout)
	}
	// Draining a bounded part of the body lets the connection be
	// reused without letting a consumer stall the attempt.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	return resp.StatusCode, time.Since(start), nil
}

// newAttemptRequest returns the POST request of an attempt, as
// http.NewRequestWithContext builds it from the subscription's URL and
// the attempt's body, without parsing the URL again.
func newAttemptRequest(ctx context.Context, sub *activeSubscription, out outgoing) *http.Request {
	body := out.body
	req := http.Request{
		Method: http.MethodPost, URL: sub.target, Host: sub.host,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: out.header, ContentLength: int64(len(body)),
		// The body must stay an io.NopCloser around a *bytes.Reader,
		// which the transport treats as in memory, so it writes the
		// header and the body in one write.
		Body: io.NopCloser(bytes.NewReader(body)),
		// The transport calls GetBody to send the request again when a
		// kept-alive connection closed before the request was written.
		GetBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
	}
	return req.WithContext(ctx)
}

// do sends req to sub through the platform's client. The default
// client's transport is called directly, because http.Client.Do
// copies the header of every request for redirects, which the
// platform never follows. On that path, do adds the Authorization
// header of the URL's user information and wraps errors as
// http.Client.Do does, so both paths send and record the same.
func (p *Platform) do(req *http.Request, sub *activeSubscription) (*http.Response, error) {
	if p.transport == nil {
		// A custom client may change the request in place: a cookie
		// jar adds to its header, and some test transports rewrite
		// its URL. The attempts of a subscription share both, so this
		// request gets its own copies.
		u := *req.URL
		req.URL = &u
		req.Header = req.Header.Clone()
		resp, err := p.client.Do(req)
		if ue, ok := err.(*url.Error); ok {
			// The client's error shows secret query values, which the
			// journal must not.
			ue.URL = sub.errorURL
		}
		return resp, err
	}
	if sub.basicAuth != "" && req.Header.Get("Authorization") == "" {
		req.Header = req.Header.Clone()
		req.Header.Set("Authorization", sub.basicAuth)
	}
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: "Post", URL: sub.errorURL, Err: err}
	}
	return resp, nil
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
