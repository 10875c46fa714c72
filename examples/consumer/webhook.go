package consumer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// payload is the part of the webhook body the consumer reads. Members
// it does not list are ignored, so that new attributes from a newer
// platform version do not break it.
type payload struct {
	ID         string             `json:"id"`
	Type       string             `json:"type"`
	Topic      mockplatform.Topic `json:"topic"`
	RequestID  string             `json:"request_id"`
	Attributes payloadAttributes  `json:"attributes"`
}

// payloadAttributes lists every attribute the platform sends today, so
// that DefectStrictDecoding rejects only members that are new.
type payloadAttributes struct {
	DocumentID   int64               `json:"document_id"`
	Status       mockplatform.Status `json:"status"`
	TenantID     int64               `json:"tenant_id"`
	ExternalID   *string             `json:"external_id"`
	SLADeadline  *string             `json:"sla_deadline"`
	CustomFields map[string]any      `json:"custom_fields"`
	CreatedAt    string              `json:"created_at"`
	UpdatedAt    string              `json:"updated_at"`
}

// handleWebhook receives POST /webhooks. It checks the Authorization
// header, decodes the body, ignores unknown topics, and queues the
// event for the worker, so the platform gets its 2xx before any work
// is done. The platform treats a slow response as failed and retries
// the event.
func (c *Consumer) handleWebhook(w http.ResponseWriter, r *http.Request) {
	if c.cfg.Defect != DefectNoAuthCheck && !c.authorized(r.Header.Get("Authorization")) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="webhooks"`)
		c.log.Warn("webhook rejected: missing or wrong Authorization header", "remote", r.RemoteAddr)
		http.Error(w, "missing or wrong Authorization header", http.StatusUnauthorized)
		return
	}
	ev, status, err := c.readEvent(w, r)
	if err != nil {
		c.log.Warn("webhook rejected", "status", status, "error", err, "remote", r.RemoteAddr)
		http.Error(w, err.Error(), status)
		return
	}
	if !ev.Topic.Known() {
		c.handleUnknownTopic(w, ev)
		return
	}
	if c.cfg.Defect == DefectSlowAck {
		c.processBeforeAnswer(w, ev)
		return
	}
	select {
	case c.queue <- ev:
		w.WriteHeader(http.StatusNoContent)
	default:
		// 503 makes the platform retry later, when the worker has
		// caught up, rather than lose the event.
		c.log.Warn("webhook rejected: queue full", "document", ev.DocumentID, "topic", ev.Topic,
			"queue_size", cap(c.queue))
		w.Header().Set("Retry-After", "1")
		http.Error(w, "queue full, retry later", http.StatusServiceUnavailable)
	}
}

// authorized compares the header with the expected one in constant
// time. Comparing SHA-256 digests keeps the comparison's duration
// independent of the secret's length too.
func (c *Consumer) authorized(header string) bool {
	scheme, secret, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(secret)))
	want := sha256.Sum256([]byte(c.cfg.WebhookSecret))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// readEvent reads and decodes the body. On error it also returns the
// status of the response.
func (c *Consumer) readEvent(w http.ResponseWriter, r *http.Request) (webhookEvent, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, c.cfg.MaxBodyBytes))
	if err != nil {
		if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
			return webhookEvent{}, http.StatusRequestEntityTooLarge,
				fmt.Errorf("body larger than %d bytes", c.cfg.MaxBodyBytes)
		}
		return webhookEvent{}, http.StatusBadRequest, fmt.Errorf("read body: %w", err)
	}
	p, err := decodePayload(body, c.cfg.Defect == DefectStrictDecoding)
	if err != nil {
		return webhookEvent{}, http.StatusBadRequest, err
	}
	ev := webhookEvent{
		DocumentID: p.Attributes.DocumentID,
		Topic:      p.Topic,
		RequestID:  p.RequestID,
		ReceivedAt: time.Now(),
	}
	return ev, 0, nil
}

// decodePayload decodes a webhook body and checks the members the
// consumer needs. strict rejects unknown members, as DefectStrictDecoding
// does.
func decodePayload(body []byte, strict bool) (payload, error) {
	var p payload
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(&p); err != nil {
		return payload{}, fmt.Errorf("invalid JSON body: %w", err)
	}
	if p.Attributes.DocumentID <= 0 {
		return payload{}, errors.New("invalid payload: attributes.document_id is missing or not a positive number")
	}
	if p.Topic == "" {
		return payload{}, errors.New("invalid payload: topic is missing")
	}
	return p, nil
}

// handleUnknownTopic responds with 204 to a topic the consumer does not
// know, because a newer platform version may add topics, and a non-2xx
// status would only make the platform retry the event for hours.
func (c *Consumer) handleUnknownTopic(w http.ResponseWriter, ev webhookEvent) {
	if c.cfg.Defect == DefectFailUnknownTopic {
		c.log.Error("webhook failed: unknown topic", "document", ev.DocumentID, "topic", ev.Topic)
		http.Error(w, fmt.Sprintf("unknown topic %q", ev.Topic), http.StatusInternalServerError)
		return
	}
	c.log.Info("webhook ignored: unknown topic", "document", ev.DocumentID, "topic", ev.Topic,
		"request_id", ev.RequestID)
	w.WriteHeader(http.StatusNoContent)
}

// processBeforeAnswer is DefectSlowAck: it does the work inside the
// handler, standing in for slow work with a sleep, so the platform
// waits for both. The work is done even when the platform has given up
// meanwhile, as in a handler that never checks its context.
func (c *Consumer) processBeforeAnswer(w http.ResponseWriter, ev webhookEvent) {
	time.Sleep(c.cfg.SlowAckDelay)
	c.process(ev)
	w.WriteHeader(http.StatusNoContent)
}

// runWorker processes queued events until ctx is done, and then the
// events still queued, because the platform already got its 204 for
// them and will not send them again.
func (c *Consumer) runWorker(ctx context.Context) {
	for {
		select {
		case ev := <-c.queue:
			c.process(ev)
		case <-ctx.Done():
			c.drainQueue()
			return
		}
	}
}

func (c *Consumer) drainQueue() {
	for {
		select {
		case ev := <-c.queue:
			c.process(ev)
		default:
			return
		}
	}
}

// process applies one event to the store.
func (c *Consumer) process(ev webhookEvent) {
	if !c.state.applyWebhook(ev) {
		c.log.Debug("duplicate webhook ignored", "document", ev.DocumentID, "topic", ev.Topic,
			"request_id", ev.RequestID)
		return
	}
	c.log.Debug("webhook processed", "document", ev.DocumentID, "topic", ev.Topic,
		"request_id", ev.RequestID)
}
