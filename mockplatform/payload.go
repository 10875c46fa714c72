package mockplatform

import (
	"strconv"
	"time"
)

// timeLayout is the platform's timestamp format: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// formatTime formats t in the platform's timestamp format.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// payload is the webhook request body. The field order is the platform's.
type payload struct {
	ID         string            `json:"id"`
	Type       string            `json:"type"`
	Attributes payloadAttributes `json:"attributes"`
	RequestID  string            `json:"request_id"`
	Topic      Topic             `json:"topic"`
}

// payloadAttributes are the document attributes a webhook carries. The
// platform leaves out everything it deems sensitive, such as extracted
// values and file names.
type payloadAttributes struct {
	Status       Status         `json:"status"`
	TenantID     int64          `json:"tenant_id"`
	SLADeadline  *string        `json:"sla_deadline"`
	CustomFields map[string]any `json:"custom_fields"`
	ExternalID   *string        `json:"external_id"`
	CreatedAt    string         `json:"created_at"`
	UpdatedAt    string         `json:"updated_at"`
	DocumentID   int64          `json:"document_id"`
}

// newPayload returns the payload for doc as the topic left it, without
// a request_id.
func newPayload(doc Document, topic Topic) payload {
	attrs := payloadAttributes{
		Status:       doc.Status,
		TenantID:     doc.TenantID,
		CustomFields: doc.CustomFields,
		CreatedAt:    formatTime(doc.CreatedAt),
		UpdatedAt:    formatTime(doc.UpdatedAt),
		DocumentID:   doc.ID,
	}
	if attrs.CustomFields == nil {
		attrs.CustomFields = map[string]any{}
	}
	if doc.SLADeadline != nil {
		s := formatTime(*doc.SLADeadline)
		attrs.SLADeadline = &s
	}
	if doc.ExternalID != "" {
		s := doc.ExternalID
		attrs.ExternalID = &s
	}
	return payload{
		ID:         strconv.FormatInt(doc.ID, 10),
		Type:       "documents",
		Attributes: attrs,
		Topic:      topic,
	}
}
