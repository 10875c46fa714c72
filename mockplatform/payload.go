package mockplatform

import (
	"encoding/json"
	"strconv"
	"time"
)

// timeLayout is the platform's timestamp format: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// formatTime formats t in the platform's timestamp format.
func formatTime(t time.Time) string {
	var buf [len(timeLayout)]byte
	return string(appendTimestamp(buf[:0], t))
}

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

// noCustomFields is the custom_fields of every payload whose document
// has none. Payloads are only encoded, never changed, so they share it.
var noCustomFields = map[string]any{}

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
		attrs.CustomFields = noCustomFields
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

// marshal returns pl as JSON, byte for byte as json.Marshal encodes
// it. It writes the members directly and leaves to encoding/json only
// strings that need escaping and custom fields other than strings,
// booleans and nulls, because emit encodes a payload for every event.
// The tests compare the two on payloads with every kind of value.
func (pl *payload) marshal() ([]byte, error) {
	var fields []byte
	if len(pl.Attributes.CustomFields) > 0 {
		var err error
		if fields, err = encodeObject(pl.Attributes.CustomFields, true); err != nil {
			return nil, err
		}
	}
	a := &pl.Attributes
	b := make([]byte, 0, 256+len(pl.ID)+len(a.CreatedAt)+len(a.UpdatedAt)+len(pl.RequestID)+len(fields)+
		stringLen(a.SLADeadline)+stringLen(a.ExternalID))

	b = append(b, `{"id":`...)
	b = appendJSONString(b, pl.ID)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, pl.Type)

	b = append(b, `,"attributes":{"status":`...)
	b = appendJSONString(b, string(a.Status))
	b = append(b, `,"tenant_id":`...)
	b = strconv.AppendInt(b, a.TenantID, 10)
	b = append(b, `,"sla_deadline":`...)
	b = appendJSONStringOrNull(b, a.SLADeadline)
	b = append(b, `,"custom_fields":`...)
	if fields == nil {
		b = append(b, "{}"...)
	} else {
		b = append(b, fields...)
	}
	b = append(b, `,"external_id":`...)
	b = appendJSONStringOrNull(b, a.ExternalID)
	b = append(b, `,"created_at":`...)
	b = appendJSONString(b, a.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendJSONString(b, a.UpdatedAt)
	b = append(b, `,"document_id":`...)
	b = strconv.AppendInt(b, a.DocumentID, 10)
	b = append(b, '}')

	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, pl.RequestID)
	b = append(b, `,"topic":`...)
	b = appendJSONString(b, string(pl.Topic))
	return append(b, '}'), nil
}

func stringLen(s *string) int {
	if s == nil {
		return 0
	}
	return len(*s)
}

func appendJSONStringOrNull(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendJSONString(b, *s)
}

// appendJSONString appends s as a JSON string the way json.Marshal
// writes it, copying plain strings and leaving the others to
// json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	if !plainJSONString(s, true) {
		quoted, _ := json.Marshal(s) // a string always encodes
		return append(b, quoted...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
