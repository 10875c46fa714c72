package scenarios

import (
	"context"
	"sync"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
)

// earlyCheckInterval is how often waitIdle evaluates the checks while
// the platform works.
const earlyCheckInterval = 250 * time.Millisecond

// waitIdle waits until the platform is idle or ctx ends. Meanwhile it
// watches the delivery journal, and returns an error wrapping
// ErrConsumerUnreachable when the consumer stopped accepting
// connections before it responded to any webhook. It also evaluates the
// checks and returns their results when every one has failed, because
// nothing that happens later can change those verdicts. Without this
// stop, a consumer that times out every webhook would keep the
// platform retrying until the timeout.
func (r *runner) waitIdle(ctx context.Context, checks []assertions.Check) ([]assertions.Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := make(chan error, 1)
	go func() { idle <- r.platform.WaitIdle(ctx) }()

	watch := time.NewTicker(assertions.DefaultPollInterval)
	defer watch.Stop()
	evaluate := time.NewTicker(earlyCheckInterval)
	defer evaluate.Stop()
	for {
		select {
		case err := <-idle:
			return nil, err
		case <-watch.C:
			deliveries, _ := r.platform.Deliveries()
			if cause, ok := connectFailures(deliveries); ok {
				return nil, r.unreachable(cause)
			}
		case <-evaluate.C:
			if results := r.allFailed(ctx, checks); results != nil {
				return results, nil
			}
		}
	}
}

// allFailed evaluates the checks on the current journals and returns
// their results when every one has failed, or nil.
func (r *runner) allFailed(ctx context.Context, checks []assertions.Check) []assertions.Result {
	rec, err := assertions.FromPlatform(r.platform).Record(ctx)
	if err != nil {
		return nil
	}
	results := make([]assertions.Result, len(checks))
	for i, c := range checks {
		results[i] = r.explain(c.Evaluate(rec, false))
		if results[i].Status != assertions.Failed {
			return nil
		}
	}
	return results
}

// checks returns the scenario's checks, each passing only on its
// final evaluation.
func (r *runner) checks() []assertions.Check {
	checks := make([]assertions.Check, len(r.sc.Checks))
	for i, c := range r.sc.Checks {
		checks[i] = passAtEnd{c.Check()}
	}
	return checks
}

// judge runs the checks until ctx ends. The checks share their reads
// of the platform's journals, one read per half poll interval.
func (r *runner) judge(ctx context.Context, checks []assertions.Check) []assertions.Result {
	src := &sharedSource{src: assertions.FromPlatform(r.platform), maxAge: assertions.DefaultPollInterval / 2}
	results := assertions.RunAll(ctx, src, checks...)
	for i := range results {
		results[i] = r.explain(results[i])
	}
	return results
}

// explain replaces a result whose cause the run can tell better than
// the check. Without configured headers a headers fault changes nothing,
// but the journal still names it, so rejects-unauthenticated would
// judge ordinary webhooks as unauthenticated ones.
func (r *runner) explain(res assertions.Result) assertions.Result {
	noHeaders := len(r.opts.Headers) == 0 && len(r.sc.Subscription.Headers) == 0
	if res.Check == (assertions.RejectsUnauthenticated{}).Name() && noHeaders {
		return assertions.Result{Check: res.Check, Status: assertions.Inconclusive,
			Summary: "the subscription has no headers, so no webhook could lack one: pass the consumer's auth header, such as --header \"Authorization: Bearer <secret>\""}
	}
	return res
}

// passAtEnd lets a check fail as soon as the journals show a
// violation but pass only on the final evaluation. A consumer reports
// its effects after it acknowledged the webhooks, so a check such as
// order-robust could pass on a record that lacks a late effect that
// moves a document's view back.
type passAtEnd struct{ assertions.Check }

func (c passAtEnd) Evaluate(rec assertions.Record, final bool) assertions.Result {
	res := c.Check.Evaluate(rec, final)
	if !final && res.Status != assertions.Failed {
		return assertions.Result{Check: res.Check, Status: assertions.Pending}
	}
	return res
}

// sharedSource lets concurrent checks share one read of the journals
// per maxAge, because each read copies every journal. Checks only read
// a Record, so sharing one is safe.
type sharedSource struct {
	src    assertions.Source
	maxAge time.Duration

	mu   sync.Mutex
	rec  assertions.Record
	read time.Time
}

func (s *sharedSource) Record(ctx context.Context) (assertions.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.read.IsZero() && time.Since(s.read) < s.maxAge {
		return s.rec, nil
	}
	rec, err := s.src.Record(ctx)
	if err != nil {
		return rec, err
	}
	s.rec, s.read = rec, time.Now()
	return rec, nil
}
