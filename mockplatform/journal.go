package mockplatform

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultJournalLimit is the number of records each journal keeps when
// Options.JournalLimit is zero.
const DefaultJournalLimit = 100_000

// Outcome is the result of one delivery attempt.
type Outcome string

// The outcomes of a delivery attempt.
const (
	// OutcomeDelivered: the consumer responded with a 2xx status.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeFailed: a non-2xx status, a connection error, a timeout,
	// or a fault rule that failed the attempt; the event is retried
	// unless this was the last attempt.
	OutcomeFailed Outcome = "failed"
	// OutcomeDropped: a fault rule dropped the event, so nothing was
	// sent. The record has attempt 0.
	OutcomeDropped Outcome = "dropped"
)

// Delivery records one webhook delivery attempt.
type Delivery struct {
	// Seq orders the delivery journal; it starts at 1.
	Seq          int64     `json:"seq"`
	EventID      string    `json:"event_id"`
	Subscription string    `json:"subscription"`
	DocumentID   int64     `json:"document_id"`
	Topic        Topic     `json:"topic"`
	Attempt      int       `json:"attempt"`
	RequestID    string    `json:"request_id"`
	URL          string    `json:"url"`
	PlannedAt    time.Time `json:"planned_at"`
	SentAt       time.Time `json:"sent_at"`
	// Wall is the wall-clock time the attempt was sent, or for an
	// attempt a fault kept back, the time it was recorded. Checks of
	// the consumer's own deadlines use it, because those are real time.
	Wall time.Time `json:"wall_time"`
	// StatusCode is the consumer's HTTP status; zero when no response
	// arrived.
	StatusCode int `json:"status_code,omitempty"`
	// Error describes a connection error or timeout; empty otherwise.
	Error   string        `json:"error,omitempty"`
	Latency time.Duration `json:"latency_ns"`
	Outcome Outcome       `json:"outcome"`
	// Headers are the request's headers with every value that may be a
	// secret masked. Records may share one map, so treat it as
	// read-only.
	Headers map[string]string `json:"headers,omitempty"`
	// Fault lists the ids of the fault rules that acted on this record,
	// separated by commas; empty when none did.
	Fault string `json:"fault,omitempty"`
	// Copy numbers the extra copies a duplicate rule sent, from 1; zero
	// for the attempt itself.
	Copy int `json:"copy,omitempty"`
}

// Request records one call a consumer made to the REST API.
type Request struct {
	// Seq orders the request journal; it starts at 1.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Wall is the wall-clock time the request arrived.
	Wall   time.Time `json:"wall_time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	// Tenant is the tenant of the bearer token; zero when the token was
	// missing or unknown.
	Tenant     int64         `json:"tenant,omitempty"`
	StatusCode int           `json:"status_code"`
	Latency    time.Duration `json:"latency_ns"`
	// Fault lists the ids of the fault rules that acted on this
	// request, separated by commas; empty when none did. StatusCode is
	// zero when a rule closed the connection without a response.
	Fault string `json:"fault,omitempty"`
}

// ring is a bounded journal that keeps the records with the newest
// sequence numbers and counts the ones it had to drop. A record's
// sequence number is reserved when its work starts, which is
// deterministic on a manual clock, and the record is stored when the
// work ends, in any order. Record s lives in slot (s-1) % limit, so storing
// it drops record s-limit, and a record that arrives after a newer one
// took its slot is dropped instead.
//
// The slots are allocated in blocks of ringBlock as records arrive, so
// a journal that fills up is never copied to a larger array and never
// holds more than one partly used block.
type ring[T any] struct {
	mu    sync.Mutex
	limit int64
	// blocks[b] holds slots b*ringBlock up to (b+1)*ringBlock-1; nil
	// until a record needs it. A seq of 0 marks an empty slot.
	blocks [][]seqItem[T]
	// seq is the last sequence number reserved. It is atomic, so that
	// reserving one takes no lock.
	seq     atomic.Int64
	dropped int64
}

// ringBlock is the number of slots a journal allocates at once.
const ringBlock = 1024

type seqItem[T any] struct {
	seq  int64
	item T
}

func newRing[T any](limit int) *ring[T] {
	return &ring[T]{limit: int64(limit)}
}

// reserve returns the next sequence number.
func (r *ring[T]) reserve() int64 {
	return r.seq.Add(1)
}

// put stores a record numbered by reserve.
func (r *ring[T]) put(seq int64, item T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	slot := r.slot((seq - 1) % r.limit)
	switch {
	case slot.seq == 0:
	case slot.seq < seq:
		r.dropped++
	default:
		r.dropped++
		return
	}
	*slot = seqItem[T]{seq, item}
}

// slot returns slot i, allocating its block if needed. The caller
// holds r.mu.
func (r *ring[T]) slot(i int64) *seqItem[T] {
	b := int(i / ringBlock)
	for len(r.blocks) <= b {
		r.blocks = append(r.blocks, nil)
	}
	if r.blocks[b] == nil {
		r.blocks[b] = make([]seqItem[T], min(ringBlock, r.limit-int64(b)*ringBlock))
	}
	return &r.blocks[b][i%ringBlock]
}

// add stores the record built by fn from the next sequence number.
func (r *ring[T]) add(fn func(seq int64) T) {
	seq := r.reserve()
	r.put(seq, fn(seq))
}

// snapshot returns the kept records in sequence order and how many were
// dropped to respect the limit.
func (r *ring[T]) snapshot() ([]T, int64) {
	r.mu.Lock()
	items := make([]seqItem[T], 0, min(r.seq.Load(), r.limit))
	for _, block := range r.blocks {
		for _, it := range block {
			if it.seq != 0 {
				items = append(items, it)
			}
		}
	}
	dropped := r.dropped
	r.mu.Unlock()

	slices.SortFunc(items, func(a, b seqItem[T]) int { return cmp.Compare(a.seq, b.seq) })
	out := make([]T, len(items))
	for i, it := range items {
		out[i] = it.item
	}
	return out, dropped
}
