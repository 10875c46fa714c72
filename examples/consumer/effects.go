package consumer

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// effectsDrainTimeout bounds how long Run keeps sending effects after
// its context is done, so the effects of the last webhooks still reach
// the harness.
const effectsDrainTimeout = 5 * time.Second

// The values of Effect.Source.
const (
	SourceWebhook = "webhook"
	SourcePoll    = "poll"
)

// Effect is one business effect of the consumer, as it is POSTed to
// Config.EffectsURL. A harness compares the effects with the events
// the platform fired to check idempotency (one webhook effect per
// document and topic) and order (the last effect of a document carries
// its final status).
type Effect struct {
	DocumentID int64              `json:"document_id"`
	Topic      mockplatform.Topic `json:"topic,omitempty"`
	RequestID  string             `json:"request_id,omitempty"`
	// Status is the consumer's view of the document's status after
	// this effect.
	Status mockplatform.Status `json:"status"`
	// Source is SourceWebhook or SourcePoll.
	Source string `json:"source"`
}

// outbox queues effects in the order they happened until the sender
// takes them. It is unbounded, because the store adds effects while
// holding its lock and must never wait for the network. A nil outbox
// discards effects.
type outbox struct {
	mu      sync.Mutex
	pending []Effect
	// wake has room for one signal, so add never blocks and the sender
	// wakes at least once after every add.
	wake chan struct{}
}

func newOutbox() *outbox {
	return &outbox{wake: make(chan struct{}, 1)}
}

func (o *outbox) add(e Effect) {
	if o == nil {
		return
	}
	o.mu.Lock()
	o.pending = append(o.pending, e)
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// take removes and returns the queued effects, oldest first.
func (o *outbox) take() []Effect {
	o.mu.Lock()
	defer o.mu.Unlock()
	batch := o.pending
	o.pending = nil
	return batch
}

// effectsSender POSTs effects one at a time, so the receiver gets them
// in the order they happened.
type effectsSender struct {
	url     string
	outbox  *outbox
	retrier *retrier
	log     *slog.Logger
}

// run sends effects until producersDone is closed and the outbox is
// empty. When ctx ends, sending goes on for at most
// effectsDrainTimeout, because ctx usually ends while the last
// effects are still queued.
func (s *effectsSender) run(ctx context.Context, producersDone <-chan struct{}) {
	sendCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(effectsDrainTimeout, cancel) })
	defer stop()

	for {
		select {
		case <-s.outbox.wake:
			s.sendPending(sendCtx)
		case <-producersDone:
			s.sendPending(sendCtx)
			return
		}
	}
}

// sendPending sends every queued effect. Effects that cannot be sent
// are logged and dropped, because the receiver is a test harness and
// the consumer's own state is already updated.
func (s *effectsSender) sendPending(ctx context.Context) {
	for batch := s.outbox.take(); len(batch) > 0; batch = s.outbox.take() {
		for i, e := range batch {
			if ctx.Err() != nil {
				s.log.Error("effects dropped: the drain time after shutdown ran out",
					"count", len(batch)-i, "timeout", effectsDrainTimeout)
				break
			}
			if err := s.send(ctx, e); err != nil {
				s.log.Error("effect dropped", "document", e.DocumentID, "topic", e.Topic,
					"source", e.Source, "error", err)
			}
		}
	}
}

func (s *effectsSender) send(ctx context.Context, e Effect) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = s.retrier.do(ctx, "POST effect", func(ctx context.Context) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		return req, nil
	})
	return err
}
