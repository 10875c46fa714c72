package mockplatform

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// writeDocument writes the response about one document without its
// extracted fields, the bytes writeJSON writes for
// newSingleResponse(doc, false). It encodes the fixed members directly
// instead of by reflection, because GET /v2/documents/{id} is the
// request a polling consumer repeats most; the tests compare the two.
func writeDocument(w http.ResponseWriter, status int, doc *Document) {
	buf := responseBuffers.Get().(*[]byte)
	defer responseBuffers.Put(buf)
	body, err := appendDocumentResponse((*buf)[:0], doc)
	if err != nil {
		writeJSON(w, status, newSingleResponse(*doc, false))
		return
	}
	*buf = body
	w.Header().Set("Content-Type", MediaType)
	w.WriteHeader(status)
	w.Write(body)
}

// responseBuffers holds the buffers of writeDocument, which
// http.ResponseWriter.Write copies before it returns.
var responseBuffers = sync.Pool{New: func() any { return new([]byte) }}

// appendDocumentResponse appends the response document of doc without
// its extracted fields, with the newline that json.Encoder ends it
// with. Only the custom fields, the classification scope and strings
// that need escaping go through encoding/json.
func appendDocumentResponse(b []byte, doc *Document) ([]byte, error) {
	var fields, scope []byte
	var err error
	if len(doc.CustomFields) > 0 {
		if fields, err = encodeObject(doc.CustomFields, false); err != nil {
			return nil, err
		}
	}
	if len(doc.ClassificationScope) > 0 {
		if scope, err = encodeNoHTMLEscape(doc.ClassificationScope); err != nil {
			return nil, err
		}
	}
	b = slices.Grow(b, 512+len(doc.Name)+len(doc.ExternalID)+len(doc.DocumentType)+len(fields)+len(scope))

	b = append(b, `{"data":{"id":"`...)
	b = strconv.AppendInt(b, doc.ID, 10)
	b = append(b, `","type":"documents",`...)

	b = append(b, `"attributes":{"name":`...)
	b = appendJSONStringNoHTML(b, doc.Name)
	b = append(b, `,"status":`...)
	b = appendJSONStringNoHTML(b, string(doc.Status))
	b = append(b, `,"workflow_step":`...)
	b = appendJSONStringNoHTML(b, string(doc.WorkflowStep))
	b = append(b, `,"document_type_identifier":`...)
	b = appendStringOrNull(b, doc.DocumentType)
	b = append(b, `,"tenant_id":`...)
	b = strconv.AppendInt(b, doc.TenantID, 10)
	b = append(b, `,"external_id":`...)
	b = appendStringOrNull(b, doc.ExternalID)
	b = append(b, `,"custom_fields":`...)
	b = appendOr(b, fields, "{}")
	b = append(b, `,"classification_scope":`...)
	b = appendOr(b, scope, "[]")
	b = append(b, `,"validation_required":`...)
	b = strconv.AppendBool(b, doc.ValidationRequired)
	b = append(b, `,"not_for_training":`...)
	b = strconv.AppendBool(b, doc.NotForTraining)
	b = append(b, `,"sla_deadline":`...)
	if doc.SLADeadline == nil {
		b = append(b, "null"...)
	} else {
		b = appendTime(b, *doc.SLADeadline)
	}
	b = append(b, `,"created_at":`...)
	b = appendTime(b, doc.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = appendTime(b, doc.UpdatedAt)
	b = append(b, '}')

	b = append(b, `,"links":{"self":"/v2/documents/`...)
	b = strconv.AppendInt(b, doc.ID, 10)
	return append(b, "\"}}}\n"...), nil
}

// appendTime appends t in the platform's timestamp format as a JSON
// string. The format has no character that JSON escapes.
func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = appendTimestamp(b, t)
	return append(b, '"')
}

// appendTimestamp appends t formatted with timeLayout. For years 0 to
// 9999 it writes the digits directly, without the layout parsing of
// time.Time.AppendFormat.
func appendTimestamp(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, timeLayout)
	}
	hour, minute, second := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, second, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3)
	return append(b, 'Z')
}

// appendDigits appends the last width decimal digits of a
// non-negative v.
func appendDigits(b []byte, v, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		div := 1
		for range i {
			div *= 10
		}
		b = append(b, byte('0'+v/div%10))
	}
	return b
}

// appendStringOrNull appends s as a JSON string, or null when it is
// empty.
func appendStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONStringNoHTML(b, s)
}

// appendOr appends encoded, or empty when encoded is nil.
func appendOr(b, encoded []byte, empty string) []byte {
	if encoded == nil {
		return append(b, empty...)
	}
	return append(b, encoded...)
}

// appendJSONStringNoHTML appends s as a JSON string the way a
// json.Encoder with SetEscapeHTML(false) writes it.
func appendJSONStringNoHTML(b []byte, s string) []byte {
	if !plainJSONString(s, false) {
		quoted, _ := encodeNoHTMLEscape(s) // a string always encodes
		return append(b, quoted...)
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// encodeObject returns m encoded as json.Marshal encodes it, or with
// escapeHTML false as a json.Encoder with SetEscapeHTML(false) does,
// without the final newline. Custom fields are usually strings,
// booleans and nulls. Such an object is written directly, with its
// keys sorted as encoding/json sorts them, and any other goes to
// encoding/json.
func encodeObject(m map[string]any, escapeHTML bool) ([]byte, error) {
	keys := make([]string, 0, len(m))
	size := 2
	for k, v := range m {
		switch v := v.(type) {
		case string:
			size += len(v)
		case bool, nil:
		default:
			if escapeHTML {
				return json.Marshal(m)
			}
			return encodeNoHTMLEscape(m)
		}
		keys = append(keys, k)
		size += len(k) + 10
	}
	slices.Sort(keys)
	appendString := appendJSONStringNoHTML
	if escapeHTML {
		appendString = appendJSONString
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		switch v := m[k].(type) {
		case string:
			b = appendString(b, v)
		case bool:
			b = strconv.AppendBool(b, v)
		default:
			b = append(b, "null"...)
		}
	}
	return append(b, '}'), nil
}

// encodeNoHTMLEscape returns v encoded as a json.Encoder with
// SetEscapeHTML(false) writes it, without the final newline.
func encodeNoHTMLEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// plainJSONString reports whether s is printable ASCII that
// encoding/json copies into a JSON string as it is: no quote,
// backslash or control character, and with escapeHTML no <, > or &.
func plainJSONString(s string, escapeHTML bool) bool {
	for i := range len(s) {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
		if escapeHTML && (c == '<' || c == '>' || c == '&') {
			return false
		}
	}
	return true
}
