package consumer

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// TestCorrectConsumerPassesHarnessChecks runs the correct consumer
// through webhook and REST API faults that exercise all eight checks of
// package assertions, with its effects sent to the platform's sink, and
// requires every check to pass.
func TestCorrectConsumerPassesHarnessChecks(t *testing.T) {
	t.Parallel()
	cfg := Config{EffectsURL: mockEffectsSink, Overdue: 500 * time.Millisecond, PollInterval: 50 * time.Millisecond}
	e := startEnv(t, cfg, mockplatform.Options{Seed: 3})
	anyDocument := mockplatform.Match{Path: "/v2/documents/*"}
	rules := []mockplatform.Rule{
		{Fault: mockplatform.FaultDuplicate, When: mockplatform.When{Probability: 0.3}, NewRequestID: true},
		{Fault: mockplatform.FaultReorder, When: mockplatform.When{Probability: 0.3}},
		{Fault: mockplatform.FaultDrop, Match: mockplatform.Match{
			Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished}, ExternalID: "drop-*"}},
		{Fault: mockplatform.FaultHeaders, When: mockplatform.When{Nth: 1}},
		{Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptUnknownTopic, When: mockplatform.When{Nth: 2}},
		{Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptExtraAttributes, When: mockplatform.When{Nth: 3}},
		{Fault: mockplatform.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: time.Second,
			When: mockplatform.When{Nth: 1}, Match: anyDocument},
		{Fault: mockplatform.FaultStatus, Status: http.StatusServiceUnavailable, When: mockplatform.When{Nth: 3}, Match: anyDocument},
	}
	for _, r := range rules {
		e.addRule(r)
	}
	for i := range 6 {
		prefix := "keep"
		if i%2 == 0 {
			prefix = "drop"
		}
		e.upload(mockplatform.Upload{ExternalID: fmt.Sprintf("%s-%d", prefix, i)})
	}
	e.waitIdle()

	// The checks that can only pass at the end wait for the context.
	// Their deadlines are loose, because a loaded machine delays the
	// consumer and this test is not about its speed.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	assertions.Require(t, ctx, assertions.FromPlatform(e.p),
		assertions.AcksFast{Deadline: 5 * time.Second},
		assertions.RejectsUnauthenticated{},
		assertions.ForwardCompatible{},
		assertions.Idempotent{},
		assertions.OrderRobust{},
		assertions.PollsForLost{Overdue: cfg.Overdue, Deadline: 10 * time.Second},
		// The token bucket allows six requests in a one-second window:
		// the token it holds and five more. One more is allowed for
		// requests that the network delays into the next window.
		assertions.PollsPolitely{MaxRate: DefaultMaxPollRate + 2},
		assertions.RetriesPolitely{MaxAttempts: DefaultMaxAttempts},
	)
}
