package assertions

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// RetriesPolitely checks how the consumer retries its REST API calls:
// after a 429 it waits at least Retry-After; after a 5xx, a reset or a
// timeout it retries with delays of at least MinDelay that grow; it
// gives up after MaxAttempts; and it does not repeat a request that got
// another 4xx within NoRetryWindow.
type RetriesPolitely struct {
	// MinDelay is the shortest acceptable wait before retrying a 5xx,
	// a reset or a timeout. Zero means 10ms, which full jitter may
	// come close to but a loop without backoff does not exceed.
	MinDelay time.Duration
	// MaxAttempts bounds the requests in a run of failures of one
	// request. Zero means 10.
	MaxAttempts int
	// RetryWithin is how soon after a 5xx, a reset or a timeout the
	// retry must come; a later request for the same thing counts as a
	// new call, not a retry. Zero means 1.5s.
	RetryWithin time.Duration
	// NoRetryWindow is how long after a 4xx other than 429 the same
	// request must not come again. Zero means 2s.
	NoRetryWindow time.Duration
	// Tolerance absorbs the gap between the platform's and the
	// consumer's clocks on Retry-After. Zero means 50ms; an HTTP-date
	// Retry-After adds a second, its resolution.
	Tolerance time.Duration
}

// Name returns "retries-politely".
func (RetriesPolitely) Name() string { return "retries-politely" }

// Evaluate implements Check.
func (c RetriesPolitely) Evaluate(rec Record, final bool) Result {
	rules := rulesByID(rec)
	var violations []Evidence
	failures := 0
	for _, reqs := range requestsByKey(rec.Requests) {
		for i, r := range reqs {
			if !failedAnswer(r.StatusCode) {
				continue
			}
			failures++
			var next *mockplatform.Request
			if i+1 < len(reqs) {
				next = &reqs[i+1]
			}
			if ev, bad := c.judgeRetry(r, next, rules); bad {
				violations = append(violations, ev)
			}
		}
		violations = append(violations, c.judgeStreaks(reqs, rec.At, final)...)
	}
	sortEvidence(violations)
	return verdict(c.Name(), violations, failures, final, "failed REST API answers")
}

// failedAnswer reports whether a status is one a consumer reacts to:
// any 4xx or 5xx, or 0 for no answer at all.
func failedAnswer(status int) bool { return status == 0 || status >= 400 }

func retryable(status int) bool { return status == 0 || status >= 500 }

// requestsByKey groups the requests by method, path and query, each
// group in wall-time order.
func requestsByKey(reqs []mockplatform.Request) map[string][]mockplatform.Request {
	groups := map[string][]mockplatform.Request{}
	for _, r := range reqs {
		k := r.Method + " " + r.Path + "?" + r.Query
		groups[k] = append(groups[k], r)
	}
	for _, g := range groups {
		slices.SortFunc(g, func(a, b mockplatform.Request) int { return a.Wall.Compare(b.Wall) })
	}
	return groups
}

// judgeRetry checks what followed a 429 or another 4xx.
func (c RetriesPolitely) judgeRetry(r mockplatform.Request, next *mockplatform.Request, rules map[string]mockplatform.Rule) (Evidence, bool) {
	answered := r.Wall.Add(r.Latency)
	switch {
	case r.StatusCode == 429:
		if next == nil {
			return Evidence{}, false
		}
		wait := retryAfterOf(r, rules)
		if gap := next.Wall.Sub(answered); gap+c.tolerance(r, rules) < wait {
			return requestEvidence(*next, 0, fmt.Sprintf("retried %s after a 429, before its Retry-After of %s", gap.Round(time.Millisecond), wait)), true
		}
	case retryable(r.StatusCode):
		// judgeStreaks judges runs of these.
	default:
		window := cmp.Or(c.NoRetryWindow, 2*time.Second)
		if next != nil && next.Wall.Sub(answered) < window {
			return requestEvidence(*next, 0, fmt.Sprintf("repeated a request that got %d, which a retry cannot fix", r.StatusCode)), true
		}
	}
	return Evidence{}, false
}

func (c RetriesPolitely) tolerance(r mockplatform.Request, rules map[string]mockplatform.Rule) time.Duration {
	t := cmp.Or(c.Tolerance, 50*time.Millisecond)
	for _, rule := range faultsOf(r.Fault, rules) {
		if rule.RetryAfterDate {
			t += time.Second
		}
	}
	return t
}

// retryAfterOf returns the Retry-After the fault rule sent with a 429,
// rounded up to whole seconds as the header carries it.
func retryAfterOf(r mockplatform.Request, rules map[string]mockplatform.Rule) time.Duration {
	for _, rule := range faultsOf(r.Fault, rules) {
		if rule.Fault == mockplatform.FaultStatus && rule.Status == 429 {
			ra := cmp.Or(rule.RetryAfter, time.Second)
			return time.Duration(math.Ceil(ra.Seconds())) * time.Second
		}
	}
	return 0
}

// transportRetry reports whether a request right after a connection
// that closed without an answer is the HTTP client's own resend: Go's
// transport, for one, resends an idempotent request at once when a
// reused connection closes, without the caller's code seeing it.
func transportRetry(failed mockplatform.Request, wait time.Duration) bool {
	return failed.StatusCode == 0 && wait < 10*time.Millisecond
}

func describeStatus(status int) string {
	if status == 0 {
		return "no answer (reset or timeout)"
	}
	return fmt.Sprintf("a %d", status)
}

// judgeStreaks checks each run of retries of one request: a run
// starts at a retryable failure and goes on while the next request
// comes within RetryWithin of the previous answer. The waits in a run
// are at least MinDelay and grow, the run is at most MaxAttempts long,
// and a run of one failure, which nothing retried in time, shows a
// consumer that does not retry.
func (c RetriesPolitely) judgeStreaks(reqs []mockplatform.Request, now time.Time, final bool) []Evidence {
	minDelay := cmp.Or(c.MinDelay, 10*time.Millisecond)
	maxAttempts := cmp.Or(c.MaxAttempts, 10)
	within := cmp.Or(c.RetryWithin, 1500*time.Millisecond)
	var out []Evidence
	for start := 0; start < len(reqs); {
		if !retryable(reqs[start].StatusCode) {
			start++
			continue
		}
		// Extend the run while each failure is retried in time. A
		// backoff that grows may exceed RetryWithin later in the run,
		// so after the first retry a wait up to three times the
		// previous one still counts.
		end := start
		var waits []time.Duration
		for end+1 < len(reqs) && retryable(reqs[end].StatusCode) {
			wait := reqs[end+1].Wall.Sub(reqs[end].Wall.Add(reqs[end].Latency))
			limit := within
			if len(waits) > 0 {
				limit = max(within, 3*waits[len(waits)-1])
			}
			if wait > limit {
				break
			}
			waits = append(waits, wait)
			if wait < minDelay && !transportRetry(reqs[end], wait) {
				out = append(out, requestEvidence(reqs[end+1], 0, fmt.Sprintf("retried %s after a failure, sooner than %s", wait.Round(time.Millisecond), minDelay)))
			}
			end++
		}
		last := reqs[end]
		failures := end - start + 1
		if !retryable(last.StatusCode) {
			failures--
		}
		if len(waits) >= 3 && waits[len(waits)-1] <= waits[0] {
			out = append(out, requestEvidence(last, 0, fmt.Sprintf("waits between retries did not grow: first %s, last %s", waits[0].Round(time.Millisecond), waits[len(waits)-1].Round(time.Millisecond))))
		}
		if failures > maxAttempts {
			out = append(out, requestEvidence(last, 0, fmt.Sprintf("%d failed attempts in a row, more than the bound of %d", failures, maxAttempts)))
		}
		timedOut := final || now.After(last.Wall.Add(last.Latency+within))
		if end == start && retryable(last.StatusCode) && timedOut {
			out = append(out, requestEvidence(last, 0, fmt.Sprintf("did not retry within %s after %s", within, describeStatus(last.StatusCode))))
		}
		start = end + 1
	}
	return out
}
