package samples

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

func TestPDFHeaderAndText(t *testing.T) {
	if got := http.DetectContentType(PDF); got != "application/pdf" {
		t.Errorf("DetectContentType(PDF) = %q, want application/pdf", got)
	}
	if !bytes.HasSuffix(PDF, []byte("%%EOF\n")) {
		t.Errorf("PDF does not end with the %%%%EOF marker")
	}
	if !bytes.Contains(PDF, []byte("(Invoice 2026-0001) Tj")) {
		t.Errorf("PDF does not draw the text Invoice 2026-0001")
	}
}

// TestPDFXrefOffsets checks that startxref points at the xref table and
// that every in-use entry points at its object, as PDF readers expect.
func TestPDFXrefOffsets(t *testing.T) {
	_, tail, ok := bytes.Cut(PDF, []byte("startxref\n"))
	if !ok {
		t.Fatal("PDF has no startxref")
	}
	xrefAt, err := strconv.Atoi(strings.Fields(string(tail))[0])
	if err != nil {
		t.Fatalf("startxref value: %v", err)
	}
	if !bytes.HasPrefix(PDF[xrefAt:], []byte("xref\n")) {
		t.Fatalf("startxref %d does not point at the xref table", xrefAt)
	}
	lines := strings.Split(string(PDF[xrefAt:]), "\n")
	var first, count int
	if _, err := fmt.Sscanf(lines[1], "%d %d", &first, &count); err != nil {
		t.Fatalf("xref subsection header %q: %v", lines[1], err)
	}
	for i := 1; i < count; i++ {
		entry := lines[2+i]
		// Each entry is exactly 20 bytes with its end of line.
		if len(entry) != 19 || !strings.HasSuffix(entry, " n ") {
			t.Errorf("xref entry %d = %q, want a 20-byte in-use entry", first+i, entry)
			continue
		}
		offset, err := strconv.Atoi(entry[:10])
		if err != nil {
			t.Errorf("xref entry %d offset: %v", first+i, err)
			continue
		}
		want := fmt.Sprintf("%d 0 obj\n", first+i)
		if !bytes.HasPrefix(PDF[offset:], []byte(want)) {
			t.Errorf("xref entry %d points at %q, want %q", first+i, PDF[offset:offset+len(want)], want)
		}
	}
}
