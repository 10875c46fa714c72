package mockplatform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// since returns the platform time elapsed since the platform started,
// which fault rule windows are measured in.
func (p *Platform) since() time.Duration { return p.clock.Now().Sub(p.started) }

// applyEventFaults decides the event-level fault rules for a new event
// and reports whether one dropped it.
func (p *Platform) applyEventFaults(e *event, externalID string) (dropped bool) {
	if !p.rules.hasActive(true) {
		return false
	}
	s := subject{
		topic: e.Topic, subscription: e.sub.ID, document: e.DocumentID,
		externalID: externalID, key: e.ID,
	}
	fired := p.rules.decide(s, true, p.since(), FaultDrop, FaultFailAttempts, FaultDuplicate, FaultReorder)
	// A drop wins over the other faults, which then never act.
	for _, r := range fired {
		if r.Fault == FaultDrop {
			p.drop(e, r)
			return true
		}
	}
	for _, r := range fired {
		switch r.Fault {
		case FaultFailAttempts:
			e.failFirst, e.failRule = r.Attempts, r.ID
		case FaultDuplicate:
			e.duplicate = &r
		case FaultReorder:
			e.reorder = &r
		}
		p.events.noteFault(e, r.ID)
	}
	return false
}

// drop ends e as dropped by rule r and records why.
func (p *Platform) drop(e *event, r Rule) {
	now := p.clock.Now()
	p.events.noteFault(e, r.ID)
	p.deliveries.add(func(seq int64) Delivery {
		return Delivery{
			Seq: seq, EventID: e.ID, Subscription: e.sub.ID, DocumentID: e.DocumentID,
			Topic: e.Topic, RequestID: e.requestID, URL: e.sub.journalURL, PlannedAt: now,
			Wall: time.Now(), Outcome: OutcomeDropped, Fault: r.ID,
			Error: fmt.Sprintf("not sent: fault rule %s drops the event", r.ID),
		}
	})
	p.log.Info("webhook dropped by fault rule", "event", e.ID, "rule", r.ID,
		"subscription", e.sub.ID, "document", e.DocumentID, "topic", e.Topic)
	p.endEvent(e, EventDropped)
}

// failUnsent records attempt n of e as failed without sending it, as
// a fail_attempts rule asks, and goes on with the retry schedule.
func (p *Platform) failUnsent(e *event, n int, seq int64, planned time.Time) {
	msg := fmt.Sprintf("not sent: fault rule %s fails the first %d attempts", e.failRule, e.failFirst)
	p.deliveries.put(seq, Delivery{
		Seq: seq, EventID: e.ID, Subscription: e.sub.ID, DocumentID: e.DocumentID,
		Topic: e.Topic, Attempt: n, RequestID: e.requestID, URL: e.sub.journalURL,
		PlannedAt: planned, Wall: time.Now(), Outcome: OutcomeFailed, Fault: e.failRule, Error: msg,
	})
	p.events.update(e, func(ev *Event) { ev.Attempts = n })
	if n == 1 {
		p.firstAttemptDone(e)
	}
	p.retryOrLose(e, n, 0, fmt.Errorf("%s", msg))
}

// applyAttemptFaults decides the attempt-level fault rules for attempt
// n of e and applies them to out.
func (p *Platform) applyAttemptFaults(e *event, n int, out *outgoing) {
	if !p.rules.hasActive(true) {
		return
	}
	_, externalID, _ := p.store.owner(e.DocumentID)
	s := subject{
		topic: e.Topic, subscription: e.sub.ID, document: e.DocumentID,
		externalID: externalID, attempt: n, key: e.ID + "/" + strconv.Itoa(n),
	}
	for _, r := range p.rules.decide(s, true, p.since(), FaultDelay, FaultLostAck, FaultCorrupt, FaultHeaders) {
		switch r.Fault {
		case FaultDelay:
			out.delay += r.Delay
		case FaultLostAck:
			// Recorded once the answer shows there was an
			// acknowledgement to lose.
			out.lostAck = r.ID
			continue
		case FaultCorrupt:
			corrupt(e, out, r.Corruption)
		case FaultHeaders:
			if !damageHeaders(e.sub.Subscription, out, r) {
				// No configured header to damage: the attempt is
				// sent as it was, and no record names the rule.
				continue
			}
		}
		out.faults = append(out.faults, r.ID)
		p.events.noteFault(e, r.ID)
	}
}

// corrupt damages the attempt's body or headers.
func corrupt(e *event, out *outgoing, c Corruption) {
	switch c {
	case CorruptInvalidJSON:
		// Replacing the first colon breaks the syntax but keeps every
		// value readable for a person looking at the request.
		out.body = bytes.Replace(out.body, []byte(":"), []byte("="), 1)
	case CorruptTruncated:
		out.body = out.body[:len(out.body)/2]
	case CorruptContentType:
		out.editHeader().Set("Content-Type", "text/plain; charset=utf-8")
	case CorruptUnknownTopic:
		out.body = e.encode(func(pl *payload) {
			pl.RequestID = out.requestID
			pl.Topic = UnknownTopic
		})
	case CorruptExtraAttributes:
		out.body = withExtraMembers(out.body)
	}
}

// withExtraMembers adds attributes and a top-level member that today's
// payload does not have, as a newer platform version might send.
func withExtraMembers(body []byte) []byte {
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		return body
	}
	if attrs, ok := doc["attributes"].(map[string]any); ok {
		attrs["priority"] = "high"
		attrs["source_channel"] = "email"
		attrs["page_count"] = 3
		attrs["batch"] = map[string]any{"id": "b-1", "size": 12}
	}
	doc["meta"] = map[string]any{"api_version": "v3", "attempt_hint": 1}
	extended, err := json.Marshal(doc)
	if err != nil {
		return body
	}
	return extended
}

// damageHeaders leaves out, or sends with a wrong value, the header the
// rule names, or every configured header when it names none. It
// reports whether it changed any header.
func damageHeaders(sub Subscription, out *outgoing, r Rule) bool {
	changed := false
	for name := range sub.Headers {
		if r.Header != "" && http.CanonicalHeaderKey(name) != http.CanonicalHeaderKey(r.Header) {
			continue
		}
		changed = true
		if r.HeaderMode == HeaderWrong {
			out.editHeader().Set(name, "wrong-value-from-fault-rule-"+r.ID)
			continue
		}
		out.editHeader().Del(name)
	}
	return changed
}

// plannedCopy is one extra copy of an attempt that a duplicate rule
// sends, numbered in the journal when the attempt starts.
type plannedCopy struct {
	seq        int64
	number     int
	requestID  string
	concurrent bool
	rule       string
}

// planCopies numbers the copies a duplicate rule adds to attempt n.
// Only the first attempt is copied.
func (p *Platform) planCopies(e *event, n int) []plannedCopy {
	if e.duplicate == nil || n != 1 {
		return nil
	}
	copies := make([]plannedCopy, e.duplicate.Copies)
	for i := range copies {
		c := plannedCopy{
			seq: p.deliveries.reserve(), number: i + 1, requestID: e.requestID,
			concurrent: e.duplicate.Concurrent, rule: e.duplicate.ID,
		}
		if e.duplicate.NewRequestID {
			c.requestID = p.requestID(e.ID, 100+c.number)
		}
		copies[i] = c
	}
	return copies
}

// sendCopy sends one copy and records it. A copy's answer does not
// change the event's state: the platform meant to send it once.
func (p *Platform) sendCopy(e *event, n int, c plannedCopy) {
	out := p.newOutgoing(e, n)
	if c.requestID != out.requestID {
		out.requestID = c.requestID
		out.body = e.encode(func(pl *payload) { pl.RequestID = c.requestID })
	}
	out.faults = []string{c.rule}
	d, _ := p.sendRecorded(e, n, c.seq, p.clock.Now(), out)
	d.Copy = c.number
	p.deliveries.put(c.seq, d)
}

// hold keeps e back until a later event of the same document and
// subscription has been sent, or until the rule's delay passes.
func (p *Platform) hold(e *event) {
	key := e.chain()
	p.chainsMu.Lock()
	p.held[key] = append(p.held[key], e)
	p.chainsMu.Unlock()
	p.after(e.reorder.Delay, attemptKey(e, 1, heldAttempt), func() { p.release(e) }, nil)
}

// heldBefore returns the events held for the chain key that fired
// before the event numbered before. The caller holds p.chainsMu.
func (p *Platform) heldBefore(key chainKey, before int64) []*event {
	var ready []*event
	for _, e := range p.held[key] {
		if e.order < before {
			ready = append(ready, e)
		}
	}
	return ready
}

// releaseHeld releases the held events that heldBefore returned.
func (p *Platform) releaseHeld(ready []*event) {
	for _, e := range ready {
		p.after(0, attemptKey(e, 1, sendAttempt), func() { p.release(e) }, nil)
	}
}

// release sends a held event's first attempt unless that already
// happened.
func (p *Platform) release(e *event) {
	p.chainsMu.Lock()
	if e.released {
		p.chainsMu.Unlock()
		return
	}
	e.released = true
	key := e.chain()
	p.held[key] = removeEvent(p.held[key], e)
	if len(p.held[key]) == 0 {
		delete(p.held, key)
	}
	p.chainsMu.Unlock()
	p.startAttempt(e, 1, e.FiredAt)
}

func removeEvent(list []*event, e *event) []*event {
	out := list[:0]
	for _, x := range list {
		if x != e {
			out = append(out, x)
		}
	}
	return out
}
