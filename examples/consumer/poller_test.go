package consumer

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// dropFinished is a rule that drops every processing-finished webhook.
var dropFinished = mockplatform.Rule{
	ID:    "drop-finished",
	Fault: mockplatform.FaultDrop,
	Match: mockplatform.Match{Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished}},
}

func TestPollsDocumentWhoseFinishWasDropped(t *testing.T) {
	t.Parallel()
	cfg := Config{Overdue: 300 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	e := startEnv(t, cfg, mockplatform.Options{})
	e.addRule(dropFinished)
	doc := e.upload(mockplatform.Upload{})
	e.waitIdle()

	waitFor(t, "the poll to report status done", func() bool {
		return e.c.State()[doc.ID].Status == mockplatform.StatusDone
	})
	e.flush()
	last, _ := e.effects.last(doc.ID)
	want := Effect{DocumentID: doc.ID, Status: mockplatform.StatusDone, Source: SourcePoll}
	if last != want {
		t.Errorf("last effect = %+v, want %+v", last, want)
	}
	st := e.c.State()[doc.ID]
	if st.Topic != mockplatform.TopicExtractionDone {
		t.Errorf("state topic = %q, want the last delivered topic %q", st.Topic, mockplatform.TopicExtractionDone)
	}
	polls := getCount(e.p, doc.ID)
	if polls == 0 {
		t.Fatalf("no GET for document %d reached the platform", doc.ID)
	}

	time.Sleep(3 * cfg.Overdue)
	if got := getCount(e.p, doc.ID); got != polls {
		t.Errorf("GET requests after the document was done: %d, want %d as before", got, polls)
	}
}

func TestPollRateIsBounded(t *testing.T) {
	t.Parallel()
	const rate = 4.0
	cfg := Config{Overdue: 100 * time.Millisecond, PollInterval: 20 * time.Millisecond, MaxPollRate: rate}
	// The consumer's token bucket starts when New runs, inside startEnv.
	started := time.Now()
	e := startEnv(t, cfg, mockplatform.Options{})
	e.addRule(dropFinished)
	var docs []mockplatform.Document
	for range 6 {
		docs = append(docs, e.upload(mockplatform.Upload{}))
	}
	e.waitIdle()
	for _, doc := range docs {
		waitFor(t, fmt.Sprintf("document %d to be done", doc.ID), func() bool {
			return e.c.State()[doc.ID].Status == mockplatform.StatusDone
		})
	}

	reqs, _ := e.p.Requests()
	elapsed := time.Since(started)
	// The bucket holds one token at the start and gains rate tokens per
	// second, so no schedule can send more than this.
	limit := 1 + int(rate*elapsed.Seconds())
	if len(reqs) > limit {
		t.Errorf("%d REST API requests in %s, more than %d allowed at %v per second", len(reqs), elapsed, limit, rate)
	}
	if len(reqs) < len(docs) {
		t.Errorf("%d REST API requests, want at least one per document, %d", len(reqs), len(docs))
	}
}

func TestTokenBucketSpacesRequests(t *testing.T) {
	t.Parallel()
	const rate = 20.0
	b := newTokenBucket(rate)
	started := time.Now()
	for range 5 {
		if err := b.wait(context.Background()); err != nil {
			t.Fatalf("wait: %v", err)
		}
	}
	// The first token is there at the start; each of the other four
	// takes 1/rate seconds to accrue.
	if elapsed, min := time.Since(started), 4*time.Second/rate; elapsed < min {
		t.Errorf("5 tokens took %s, want at least %s at %v per second", elapsed, min, rate)
	}
}

func TestTokenBucketWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	b := newTokenBucket(0.001)
	if err := b.wait(context.Background()); err != nil {
		t.Fatalf("first wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.wait(ctx); err != context.Canceled {
		t.Errorf("wait with a cancelled context = %v, want context.Canceled", err)
	}
}
