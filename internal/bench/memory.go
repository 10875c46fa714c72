package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// MemoryJournalLimit is the journal limit of the memory measurement
// whose journals are not kept in full.
const MemoryJournalLimit = 1_000

// The journal records a document makes in the memory measurements: one
// delivery and one event for each of the nine topics of the
// straight-through profile.
const (
	topicsPerDocument  = 9
	recordsPerDocument = 2 * topicsPerDocument
)

// MemoryBound is the documented bound of the heap per document with
// journals kept in full: 2 KiB for the document and 400 bytes for each
// of its 18 records. docs/benchmarks.md derives the 400 bytes from the
// sizes of the records.
const MemoryBound = 2048 + recordsPerDocument*400

// measureMemoryCapped measures the heap per document with journals
// capped at MemoryJournalLimit records, so that almost all of it is
// the documents themselves.
func measureMemoryCapped(ctx context.Context, cfg Config) (Sample, error) {
	run, err := measureHeap(ctx, cfg.MemoryDocuments, MemoryJournalLimit)
	if err != nil {
		return Sample{}, err
	}
	return Sample{
		Value:  run.perDocument,
		Detail: fmt.Sprintf("%s, %d journal records and events kept", count(cfg.MemoryDocuments, "document"), run.records),
	}, nil
}

// measureMemoryFull measures the heap per document with every journal
// record and event kept, and from the capped measurement the heap per
// record.
func measureMemoryFull(ctx context.Context, cfg Config) (Sample, error) {
	capped, err := measureHeap(ctx, cfg.MemoryDocuments, MemoryJournalLimit)
	if err != nil {
		return Sample{}, err
	}
	full, err := measureHeap(ctx, cfg.MemoryDocuments, cfg.MemoryDocuments*topicsPerDocument)
	if err != nil {
		return Sample{}, err
	}
	if want := cfg.MemoryDocuments * recordsPerDocument; full.records != want {
		return Sample{}, fmt.Errorf("the platform kept %d journal records and events, want all %d", full.records, want)
	}
	// The records' share is the growth beyond the capped run. With few
	// documents, heap noise outweighs it and the estimate is left out.
	perRecord := (full.perDocument - capped.perDocument) / recordsPerDocument
	estimate := "too few documents to estimate the heap per record"
	if perRecord > 0 {
		estimate = fmt.Sprintf("%.0f B per record, from the growth beyond the capped run", perRecord)
	}
	return Sample{
		Value:  full.perDocument,
		Detail: fmt.Sprintf("%s with %d records each; %s", count(cfg.MemoryDocuments, "document"), recordsPerDocument, estimate),
	}, nil
}

// answer204 is a transport that responds to every request with 204
// without a network, so the memory measurement spends its time in the
// platform.
type answer204 struct{}

func (answer204) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	return &http.Response{StatusCode: http.StatusNoContent, Header: http.Header{}, Body: http.NoBody, Request: r}, nil
}

// memoryRun is the heap a platform holds after its documents have
// gone through the workflow.
type memoryRun struct {
	// perDocument is the growth of the live heap divided by the
	// number of documents, in bytes.
	perDocument float64
	// records is the number of journal records and events the
	// platform keeps.
	records int
}

// measureHeap uploads n documents that go straight through the
// workflow, with one subscription to every topic, advances a manual
// clock until every webhook is delivered, and returns the growth of
// the live heap per document. The journals keep at most journalLimit
// records each.
func measureHeap(ctx context.Context, n, journalLimit int) (memoryRun, error) {
	before := liveHeap()
	p, err := mockplatform.New(mockplatform.Options{
		Clock:         clock.NewManual(epoch),
		HTTPClient:    &http.Client{Transport: answer204{}},
		Subscriptions: []mockplatform.Subscription{{URL: "http://127.0.0.1:9/webhooks"}},
		JournalLimit:  journalLimit,
	})
	if err != nil {
		return memoryRun{}, fmt.Errorf("create platform: %w", err)
	}
	defer p.Close()
	for range n {
		if _, err := p.Upload(mockplatform.Upload{TenantID: mockplatform.DefaultTenant, ExternalID: "INV-2026-0001"}); err != nil {
			return memoryRun{}, fmt.Errorf("upload: %w", err)
		}
	}
	if err := p.Advance(ctx, time.Minute); err != nil {
		return memoryRun{}, err
	}
	after := liveHeap()

	deliveries, _ := p.Deliveries()
	events := p.Events()
	for _, e := range events {
		if e.State != mockplatform.EventDelivered {
			return memoryRun{}, fmt.Errorf("event %s is %s after the workflow, want delivered", e.ID, e.State)
		}
	}
	runtime.KeepAlive(p)
	return memoryRun{
		perDocument: float64(after-before) / float64(n),
		records:     len(deliveries) + len(events),
	}, nil
}

// liveHeap returns the bytes of live heap objects after a full garbage
// collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
