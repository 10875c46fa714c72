// Package assertions judges a consumer of the Parashift platform from
// what the mock platform recorded: the delivery and request journals,
// the events, the documents' final states, and the effects the consumer
// reported to the platform's effects sink.
//
// Each Check covers one behaviour a production consumer needs: it acks
// webhooks fast, rejects webhooks without the configured auth header,
// tolerates unknown topics and attributes, deduplicates, survives
// disorder, polls for webhooks that never arrive, polls politely, and
// retries its own API calls correctly. A check returns a Result with
// the evidence: which documents, events and requests, at what times.
//
// Checks read a Record, a snapshot of the journals. Run re-reads the
// Source until the check's outcome is known or its context ends, so a
// check that waits for the consumer returns as soon as it can.
package assertions

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/mockplatform/controlapi"
)

// Record is what the checks read: the platform's journals and state at
// one moment.
type Record struct {
	// At is the wall time the record was read; checks with deadlines
	// measure from the journals' wall times to it.
	At time.Time

	Deliveries []mockplatform.Delivery
	Requests   []mockplatform.Request
	Events     []mockplatform.Event
	Effects    []mockplatform.Effect
	Documents  []mockplatform.Document
	Rules      []mockplatform.RuleStatus
}

// Source returns the current Record.
type Source interface {
	Record(ctx context.Context) (Record, error)
}

// platformSource reads an in-process platform.
type platformSource struct{ p *mockplatform.Platform }

// FromPlatform returns a Source that reads p directly.
func FromPlatform(p *mockplatform.Platform) Source { return platformSource{p} }

func (s platformSource) Record(context.Context) (Record, error) {
	// Events and rules come first, so every event that has ended has
	// its journal record in the deliveries read after them.
	rec := Record{Events: s.p.Events(), Rules: s.p.Rules(), At: time.Now()}
	rec.Deliveries, _ = s.p.Deliveries()
	rec.Requests, _ = s.p.Requests()
	rec.Effects, _ = s.p.Effects()
	rec.Documents = s.p.Documents()
	return rec, nil
}

// controlSource reads a platform through its control API.
type controlSource struct{ c *controlapi.Client }

// FromControl returns a Source that reads the platform behind c through
// its control API, so checks judge a platform in a container or another
// process the same way as one in the test's own process. Delivery
// headers arrive masked, which no check reads.
func FromControl(c *controlapi.Client) Source { return controlSource{c} }

func (s controlSource) Record(ctx context.Context) (Record, error) {
	var (
		rec Record
		err error
	)
	// Events and rules come first, so every event that has ended has
	// its journal record in the deliveries read after them. At is taken
	// before the journals, so no check counts time that passed while
	// they were read as time in which the consumer did nothing.
	if rec.Events, _, err = s.c.Events(ctx, controlapi.Filter{}); err != nil {
		return Record{}, fmt.Errorf("read events: %w", err)
	}
	if rec.Rules, err = s.c.Rules(ctx); err != nil {
		return Record{}, fmt.Errorf("read rules: %w", err)
	}
	rec.At = time.Now()
	if rec.Deliveries, _, err = s.c.Deliveries(ctx, controlapi.Filter{}); err != nil {
		return Record{}, fmt.Errorf("read deliveries: %w", err)
	}
	if rec.Requests, _, err = s.c.Requests(ctx, controlapi.Filter{}); err != nil {
		return Record{}, fmt.Errorf("read requests: %w", err)
	}
	if rec.Effects, _, err = s.c.Effects(ctx, controlapi.Filter{}); err != nil {
		return Record{}, fmt.Errorf("read effects: %w", err)
	}
	if rec.Documents, err = s.c.Documents(ctx); err != nil {
		return Record{}, fmt.Errorf("read documents: %w", err)
	}
	return rec, nil
}

// Status is a check's verdict.
type Status string

// The verdicts of a check.
const (
	// Passed: the consumer behaved correctly in everything the record
	// shows.
	Passed Status = "passed"
	// Failed: the record shows the consumer misbehaving; the evidence
	// says where.
	Failed Status = "failed"
	// Inconclusive: the record does not exercise the behaviour, for
	// example no webhook had a missing auth header, so the check can
	// neither pass nor fail.
	Inconclusive Status = "inconclusive"
	// Pending: the outcome is not known yet; more records may decide
	// it. Run never returns it.
	Pending Status = "pending"
)

// Result is the outcome of one check.
type Result struct {
	Check   string `json:"check"`
	Status  Status `json:"status"`
	Summary string `json:"summary"`
	// Diff compares what the platform shows with what the consumer
	// did, in go-cmp's (-want +got) form; empty when not relevant.
	Diff string `json:"diff,omitempty"`
	// Evidence lists the records that decided the outcome: for a
	// failure, each violation; for a pass, a sample of what was
	// checked.
	Evidence []Evidence `json:"evidence,omitempty"`
}

// Evidence points at one record behind a result.
type Evidence struct {
	Document int64              `json:"document,omitempty"`
	Event    string             `json:"event,omitempty"`
	Topic    mockplatform.Topic `json:"topic,omitempty"`
	Attempt  int                `json:"attempt,omitempty"`
	// Request is the seq of a request journal record; zero for none.
	Request int64 `json:"request,omitempty"`
	// At is the wall time of the record.
	At     time.Time `json:"at,omitzero"`
	Detail string    `json:"detail"`
}

func (e Evidence) String() string {
	var parts []string
	if e.Document != 0 {
		parts = append(parts, fmt.Sprintf("document %d", e.Document))
	}
	if e.Topic != "" {
		parts = append(parts, string(e.Topic))
	}
	if e.Attempt != 0 {
		parts = append(parts, fmt.Sprintf("attempt %d", e.Attempt))
	}
	if e.Request != 0 {
		parts = append(parts, fmt.Sprintf("request #%d", e.Request))
	}
	if len(parts) == 0 {
		return e.Detail
	}
	return strings.Join(parts, ", ") + ": " + e.Detail
}

// Check judges one behaviour of the consumer.
type Check interface {
	// Name is the check's stable identifier, such as "acks-fast".
	Name() string
	// Evaluate judges rec. With final false it may return Pending
	// while later records could change the outcome; with final true
	// no more records will come and it must decide.
	Evaluate(rec Record, final bool) Result
}

// DefaultPollInterval is how often Run re-reads its Source.
const DefaultPollInterval = 50 * time.Millisecond

// Run evaluates c until its outcome is known or ctx ends, re-reading
// src every DefaultPollInterval. When ctx ends it evaluates a last time
// with final set. A Source error ends the run with a Failed result
// that names it.
func Run(ctx context.Context, src Source, c Check) Result {
	var last Record
	for {
		rec, err := src.Record(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return c.Evaluate(last, true)
			}
			return Result{Check: c.Name(), Status: Failed, Summary: fmt.Sprintf("reading the platform's journals failed: %v", err)}
		}
		last = rec
		if res := c.Evaluate(rec, false); res.Status != Pending {
			return res
		}
		select {
		case <-ctx.Done():
			return c.Evaluate(last, true)
		case <-time.After(DefaultPollInterval):
		}
	}
}

// Final evaluates every check once on rec as the last record.
func Final(rec Record, checks ...Check) []Result {
	out := make([]Result, len(checks))
	for i, c := range checks {
		out[i] = c.Evaluate(rec, true)
	}
	return out
}

// maxEvidence bounds the evidence a result lists, so a burst with
// thousands of violations stays readable.
const maxEvidence = 20

// verdict builds a result from violations: Failed when there are any,
// else Pending before the end, else Passed when something was checked
// and Inconclusive when nothing was.
func verdict(name string, violations []Evidence, checked int, final bool, what string) Result {
	switch {
	case len(violations) > 0:
		ev := violations
		if len(ev) > maxEvidence {
			ev = ev[:maxEvidence]
		}
		summary := fmt.Sprintf("%d problems in %d %s", len(violations), checked, what)
		if len(violations) == 1 {
			summary = fmt.Sprintf("1 problem in %d %s", checked, what)
		}
		if len(violations) > len(ev) {
			summary += fmt.Sprintf(" (the first %d are listed)", len(ev))
		}
		return Result{Check: name, Status: Failed, Evidence: ev, Summary: summary}
	case !final:
		return Result{Check: name, Status: Pending}
	case checked == 0:
		return Result{Check: name, Status: Inconclusive, Summary: fmt.Sprintf("no %s to check", what)}
	}
	return Result{Check: name, Status: Passed, Summary: fmt.Sprintf("all %d %s passed", checked, what)}
}
