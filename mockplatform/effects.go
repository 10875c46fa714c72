package mockplatform

import (
	"fmt"
	"time"
)

// EffectSource names what made a consumer act.
type EffectSource string

// The sources of an effect.
const (
	// EffectFromWebhook: the consumer acted on a webhook.
	EffectFromWebhook EffectSource = "webhook"
	// EffectFromPoll: the consumer's view changed after it read the
	// document from the REST API.
	EffectFromPoll EffectSource = "poll"
)

// Effect is one business action a consumer under test reports to the
// platform's effects sink, POST /_mock/effects. The sink is optional:
// a consumer that reports its effects lets the harness check that it
// deduplicates and that its final view of each document is right.
type Effect struct {
	// Seq orders the effects journal; it starts at 1. The platform
	// sets it.
	Seq int64 `json:"seq"`
	// Time is the platform time the effect arrived; Wall is the wall
	// time. The platform sets both.
	Time time.Time `json:"time"`
	Wall time.Time `json:"wall_time"`

	// DocumentID is the document the consumer acted on. Required.
	DocumentID int64 `json:"document_id"`
	// Topic is the webhook's topic for a webhook effect; empty for a
	// poll.
	Topic Topic `json:"topic,omitempty"`
	// RequestID is the webhook's request_id, if the consumer has one.
	RequestID string `json:"request_id,omitempty"`
	// Status is the consumer's view of the document's status after the
	// effect; empty when the consumer does not track it.
	Status Status `json:"status,omitempty"`
	// Source is what made the consumer act. Empty means webhook.
	Source EffectSource `json:"source,omitempty"`
}

// Validate reports the first invalid field of e, naming it and the
// accepted values.
func (e Effect) Validate() error {
	if e.DocumentID <= 0 {
		return fmt.Errorf("effect: document_id %d is invalid: give the id of the document the consumer acted on", e.DocumentID)
	}
	if e.Topic != "" && !e.Topic.Known() && e.Topic != UnknownTopic {
		return fmt.Errorf("effect: topic %q is unknown: valid topics are %s", e.Topic, topicList())
	}
	switch e.Status {
	case "", StatusPending, StatusInProgress, StatusDone, StatusFailed:
	default:
		return fmt.Errorf("effect: status %q is unknown: use pending, in_progress, done or failed", e.Status)
	}
	switch e.Source {
	case "", EffectFromWebhook, EffectFromPoll:
	default:
		return fmt.Errorf("effect: source %q is unknown: use webhook or poll", e.Source)
	}
	if (e.Source == "" || e.Source == EffectFromWebhook) && e.Topic == "" {
		return fmt.Errorf("effect: topic is missing: a webhook effect names the topic it acted on")
	}
	return nil
}

// RecordEffect stores an effect a consumer reports and returns it as
// stored. The error names the invalid field.
func (p *Platform) RecordEffect(e Effect) (Effect, error) {
	if err := e.Validate(); err != nil {
		return Effect{}, fmt.Errorf("mockplatform: %w", err)
	}
	if e.Source == "" {
		e.Source = EffectFromWebhook
	}
	e.Time = p.clock.Now()
	e.Wall = time.Now()
	p.effects.add(func(seq int64) Effect {
		e.Seq = seq
		return e
	})
	return e, nil
}

// Effects returns the effects consumers reported, oldest first, and
// how many were dropped to respect the journal limit.
func (p *Platform) Effects() ([]Effect, int64) { return p.effects.snapshot() }
