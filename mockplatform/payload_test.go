package mockplatform

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// payloadCases are payloads with every kind of value marshal handles:
// null and set pointers, empty and nested custom fields, and strings
// that json.Marshal escapes.
func payloadCases() []payload {
	external := "INV-<2026>&\"0001\"\\\n\u2028é\xff"
	plain := benchDocument()
	withAll := benchDocument()
	withAll.ExternalID = external
	withAll.SLADeadline = new(benchEpoch.Add(time.Hour))
	withAll.CustomFields = map[string]any{
		"b": []any{json.Number("1.50"), true, nil, "x<y"},
		"a": map[string]any{"nested": "ü", "html": "<script>"},
	}
	flat := benchDocument()
	flat.CustomFields = map[string]any{"b": true, "a": "x<y&z", "c": nil, "ä": "é\n", "": "empty key"}
	empty := benchDocument()
	empty.CustomFields = nil
	empty.ExternalID = ""
	cases := []payload{
		newPayload(plain, TopicDocumentReceived),
		newPayload(withAll, TopicProcessingFinished),
		newPayload(empty, UnknownTopic),
		newPayload(flat, TopicSeparationDone),
	}
	for i := range cases {
		cases[i].RequestID = "dddc8b2ab57d333f8afa4ba45dd4436e"
	}
	return cases
}

func TestPayloadMarshalMatchesJSON(t *testing.T) {
	for _, pl := range payloadCases() {
		assertMarshalMatchesJSON(t, pl)
	}
}

// assertMarshalMatchesJSON checks that pl.marshal writes the bytes of
// json.Marshal.
func assertMarshalMatchesJSON(t *testing.T, pl payload) {
	t.Helper()
	want, err := json.Marshal(pl)
	if err != nil {
		t.Fatalf("json.Marshal: %v", err)
	}
	got, err := pl.marshal()
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("marshal =\n%s\nwant json.Marshal's\n%s", got, want)
	}
}

func FuzzPayloadMarshal(f *testing.F) {
	f.Add("INV-2026-0001", "value", "<&>")
	f.Add("\x00\x1f\"\\", "\u2028\u2029", "\xff\xfe")
	f.Fuzz(func(t *testing.T, externalID, field, key string) {
		doc := benchDocument()
		doc.ExternalID = externalID
		doc.CustomFields = map[string]any{key: field}
		pl := newPayload(doc, TopicDocumentReceived)
		pl.RequestID = field
		assertMarshalMatchesJSON(t, pl)
	})
}
