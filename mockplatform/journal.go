package mockplatform

import (
	"sync"
	"time"
)

// DefaultJournalLimit is the number of records each journal keeps when
// Options.JournalLimit is zero.
const DefaultJournalLimit = 100_000

// Outcome is how one delivery attempt ended.
type Outcome string

// The outcomes of a delivery attempt.
const (
	// OutcomeDelivered: the consumer answered with a 2xx status.
	OutcomeDelivered Outcome = "delivered"
	// OutcomeFailed: a non-2xx status, a connection error or a timeout;
	// the event is retried unless this was the last attempt.
	OutcomeFailed Outcome = "failed"
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
	// StatusCode is the consumer's HTTP status; zero when no response
	// arrived.
	StatusCode int `json:"status_code,omitempty"`
	// Error describes a connection error or timeout; empty otherwise.
	Error   string        `json:"error,omitempty"`
	Latency time.Duration `json:"latency_ns"`
	Outcome Outcome       `json:"outcome"`
	// Headers are the request's headers with every value that may be a
	// secret masked.
	Headers map[string]string `json:"headers,omitempty"`
}

// Request records one call a consumer made to the REST API.
type Request struct {
	// Seq orders the request journal; it starts at 1.
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	Query  string    `json:"query,omitempty"`
	// Tenant is the tenant of the bearer token; zero when the token was
	// missing or unknown.
	Tenant     int64         `json:"tenant,omitempty"`
	StatusCode int           `json:"status_code"`
	Latency    time.Duration `json:"latency_ns"`
}

// ring is a bounded list that keeps the newest records and counts the
// ones it had to drop.
type ring[T any] struct {
	mu      sync.Mutex
	limit   int
	items   []T
	start   int // index of the oldest item once the ring is full
	seq     int64
	dropped int64
}

func newRing[T any](limit int) *ring[T] {
	return &ring[T]{limit: limit}
}

// add stores the record built by fn from the next sequence number.
func (r *ring[T]) add(fn func(seq int64) T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	item := fn(r.seq)
	if len(r.items) < r.limit {
		r.items = append(r.items, item)
		return
	}
	r.items[r.start] = item
	r.start = (r.start + 1) % r.limit
	r.dropped++
}

// snapshot returns the kept records, oldest first, and how many were
// dropped to respect the limit.
func (r *ring[T]) snapshot() ([]T, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, len(r.items))
	out = append(out, r.items[r.start:]...)
	out = append(out, r.items[:r.start]...)
	return out, r.dropped
}
