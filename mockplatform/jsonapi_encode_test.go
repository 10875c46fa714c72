package mockplatform

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// encodeResponse returns what writeJSON writes for
// newSingleResponse(doc, false).
func encodeResponse(t *testing.T, doc Document) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(newSingleResponse(doc, false)); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return buf.Bytes()
}

func TestDocumentResponseMatchesEncoder(t *testing.T) {
	uploaded := benchDocument()
	done := benchDocument()
	done.Name = "Rechnung <März> & \"Co\"\n\xff.pdf"
	done.Status, done.WorkflowStep = StatusDone, StageOutbound
	done.DocumentType = "invoice"
	done.ExternalID = "\u2028INV&1"
	done.CustomFields = map[string]any{"z": json.Number("12.50"), "a": []any{"<b>", nil, true}}
	done.ClassificationScope = []string{"invoice", "receipt&co"}
	done.ValidationRequired, done.NotForTraining = true, true
	done.SLADeadline = new(benchEpoch.Add(48 * time.Hour))
	done.UpdatedAt = benchEpoch.Add(16 * time.Second).In(time.FixedZone("CET", 3600))
	bare := Document{ID: 7, TenantID: 1}
	flat := benchDocument()
	flat.CustomFields = map[string]any{"b": true, "a": "x<y&z", "c": nil, "ä": "é\n", "": "empty key"}

	for _, doc := range []Document{uploaded, done, bare, flat} {
		got, err := appendDocumentResponse(nil, &doc)
		if err != nil {
			t.Fatalf("appendDocumentResponse: %v", err)
		}
		if want := encodeResponse(t, doc); !bytes.Equal(got, want) {
			t.Errorf("appendDocumentResponse =\n%s\nwant the encoder's\n%s", got, want)
		}
	}
}

func FuzzDocumentResponse(f *testing.F) {
	f.Add("sample.pdf", "INV-1", "invoice", "customer")
	f.Add("<&>\u2029", "\x00\"\\", "\xff", "")
	f.Fuzz(func(t *testing.T, name, externalID, docType, key string) {
		doc := benchDocument()
		doc.Name, doc.ExternalID, doc.DocumentType = name, externalID, docType
		doc.CustomFields = map[string]any{key: name}
		doc.ClassificationScope = []string{docType}
		got, err := appendDocumentResponse(nil, &doc)
		if err != nil {
			t.Fatalf("appendDocumentResponse: %v", err)
		}
		if want := encodeResponse(t, doc); !bytes.Equal(got, want) {
			t.Errorf("appendDocumentResponse =\n%s\nwant the encoder's\n%s", got, want)
		}
	})
}

func TestTimestampMatchesFormat(t *testing.T) {
	times := []time.Time{
		benchEpoch,
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1_000_000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 12, 30, 0, 0, time.UTC),
		time.Date(2026, 3, 29, 2, 30, 0, 123_456_789, time.FixedZone("UTC+14", 14*3600)),
		time.Now(),
	}
	for _, tm := range times {
		got := string(appendTimestamp(nil, tm))
		if want := tm.UTC().Format(timeLayout); got != want {
			t.Errorf("appendTimestamp(%v) = %s, want %s", tm, got, want)
		}
	}
}
