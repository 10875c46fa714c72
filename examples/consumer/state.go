package consumer

import (
	"slices"
	"sync"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// DocumentState is the consumer's view of one document.
type DocumentState struct {
	// ID is the platform's document id.
	ID int64
	// Topic is the furthest topic in workflow order that a webhook
	// delivered. Empty when only a poll has reported on the document.
	Topic mockplatform.Topic
	// Status is the consumer's view of the document status: the status
	// of the furthest topic, or the REST API's status when a poll
	// reported a later one.
	Status mockplatform.Status
	// Webhooks counts the webhooks the consumer acted on; a duplicate
	// is not counted.
	Webhooks int
	// Polls counts the polls of the document, successful or not.
	Polls int
	// LastWebhookAt is when the last webhook for the document arrived,
	// duplicates included. Real time.
	LastWebhookAt time.Time
	// LastPollAt is when the last poll of the document started; zero
	// before the first. Real time.
	LastPollAt time.Time
	// TerminalWebhook is set once a processing-finished or
	// processing-failed webhook arrived.
	TerminalWebhook bool
	// NotFoundAt is when the REST API last answered 404 for the
	// document; zero when it has not. The document is not polled again
	// until Config.NotFoundWait has passed.
	NotFoundAt time.Time
}

// Terminal reports whether no later status can follow.
func (d DocumentState) Terminal() bool { return d.Status.Terminal() }

// webhookEvent is one accepted webhook, as the worker processes it.
type webhookEvent struct {
	DocumentID int64
	Topic      mockplatform.Topic
	RequestID  string
	ReceivedAt time.Time
}

// eventKey identifies an event across deliveries. The request_id is
// not part of it, because the platform may send a new request_id with
// every attempt of the same event.
type eventKey struct {
	document int64
	topic    mockplatform.Topic
}

// store holds the documents and the events already acted on. Every
// change that is a business effect is recorded in effects while the
// lock is held, so the effects leave in the order the changes were
// made.
//
// NOTE: the store is in memory, so after a restart the consumer acts
// again on events it had already handled. A production service keeps the event keys in durable
// storage for longer than the platform's retry window, which is about
// 17.2 hours plus jitter.
type store struct {
	defect  Defect
	effects *outbox

	mu   sync.Mutex
	docs map[int64]*DocumentState
	seen map[eventKey]bool
}

func newStore(defect Defect, effects *outbox) *store {
	return &store{
		defect:  defect,
		effects: effects,
		docs:    make(map[int64]*DocumentState),
		seen:    make(map[eventKey]bool),
	}
}

// applyWebhook acts on ev unless it was acted on before, and reports
// whether it did.
func (s *store) applyWebhook(ev webhookEvent) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := s.document(ev.DocumentID)
	doc.LastWebhookAt = ev.ReceivedAt

	key := eventKey{ev.DocumentID, ev.Topic}
	if s.seen[key] && s.defect != DefectNoDedupe {
		return false
	}
	s.seen[key] = true

	doc.Webhooks++
	if isTerminalTopic(ev.Topic) {
		doc.TerminalWebhook = true
	}
	if s.defect == DefectLastEventWins || newer(ev.Topic, *doc) {
		doc.Topic = ev.Topic
		doc.Status = ev.Topic.Status()
	}
	s.effects.add(Effect{
		DocumentID: ev.DocumentID, Topic: ev.Topic, RequestID: ev.RequestID,
		Status: doc.Status, Source: SourceWebhook,
	})
	return true
}

// newer reports whether topic moves doc forward. A terminal status
// never changes: the first terminal topic or poll result wins.
func newer(topic mockplatform.Topic, doc DocumentState) bool {
	if doc.Terminal() {
		return false
	}
	if doc.Topic == "" {
		return statusRank(topic.Status()) >= statusRank(doc.Status)
	}
	return topicPosition(topic) > topicPosition(doc.Topic)
}

// applyPoll records the status the REST API reported for a document
// and reports whether it changed the consumer's view. The view only
// moves forward, because a poll can overtake a webhook, and a cached or
// lagging API read can show an older status.
func (s *store) applyPoll(id int64, status mockplatform.Status) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc := s.document(id)
	if doc.Terminal() || statusRank(status) <= statusRank(doc.Status) {
		return false
	}
	doc.Status = status
	s.effects.add(Effect{DocumentID: id, Status: status, Source: SourcePoll})
	return true
}

// claimPoll reports whether the document is still due at now and, if
// it is, records a poll starting then. The poller lists the due documents
// first and polls them one after another, each after waiting for the
// rate limiter, so a document may have become terminal or heard from
// since the list was made.
func (s *store) claimPoll(id int64, now time.Time, sel pollSelection) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	doc, ok := s.docs[id]
	if !ok || !sel.due(*doc, now) {
		return false
	}
	doc.Polls++
	doc.LastPollAt = now
	return true
}

// markNotFound holds back polls of a document the REST API does not
// show yet.
func (s *store) markNotFound(id int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.document(id).NotFoundAt = now
}

// pollSelection is the rule for which documents are due for a poll.
type pollSelection struct {
	// overdue is the time without a webhook or poll after which a
	// document is due; zero makes every candidate due.
	overdue time.Duration
	// terminal includes documents in a terminal status.
	terminal bool
	// notFoundWait is how long a 404 holds back the next poll.
	notFoundWait time.Duration
}

// duePolls returns the ids of the documents due for a poll at now,
// the longest silent first.
func (s *store) duePolls(now time.Time, sel pollSelection) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var due []*DocumentState
	for _, doc := range s.docs {
		if sel.due(*doc, now) {
			due = append(due, doc)
		}
	}
	slices.SortFunc(due, func(a, b *DocumentState) int {
		return lastContact(*a).Compare(lastContact(*b))
	})
	ids := make([]int64, len(due))
	for i, doc := range due {
		ids[i] = doc.ID
	}
	return ids
}

// due reports whether the selection includes doc at now.
func (sel pollSelection) due(doc DocumentState, now time.Time) bool {
	if doc.Terminal() && !sel.terminal {
		return false
	}
	if !doc.NotFoundAt.IsZero() && now.Sub(doc.NotFoundAt) < sel.notFoundWait {
		return false
	}
	return now.Sub(lastContact(doc)) >= sel.overdue
}

// lastContact returns when the consumer last heard about the document,
// by webhook or by poll.
func lastContact(doc DocumentState) time.Time {
	if doc.LastPollAt.After(doc.LastWebhookAt) {
		return doc.LastPollAt
	}
	return doc.LastWebhookAt
}

// snapshot returns a copy of every document's state.
func (s *store) snapshot() map[int64]DocumentState {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]DocumentState, len(s.docs))
	for id, doc := range s.docs {
		out[id] = *doc
	}
	return out
}

// document returns the state of id, creating it when the consumer first
// hears of the document. The caller holds s.mu.
func (s *store) document(id int64) *DocumentState {
	doc, ok := s.docs[id]
	if !ok {
		doc = &DocumentState{ID: id}
		s.docs[id] = doc
	}
	return doc
}

// topicPosition returns the topic's place in the workflow. Both
// terminal topics share the last place, because either ends the
// workflow.
func topicPosition(t mockplatform.Topic) int {
	if isTerminalTopic(t) {
		return len(mockplatform.Topics)
	}
	return slices.Index(mockplatform.Topics, t)
}

func isTerminalTopic(t mockplatform.Topic) bool {
	return t.Status().Terminal()
}

// statusRank orders statuses along the workflow; an unknown status
// ranks below pending so that it never replaces a known one.
func statusRank(s mockplatform.Status) int {
	switch s {
	case mockplatform.StatusPending:
		return 1
	case mockplatform.StatusInProgress:
		return 2
	case mockplatform.StatusDone, mockplatform.StatusFailed:
		return 3
	}
	return 0
}
