package consumer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// maxResponseBytes bounds a response body that the consumer reads. A
// document without included fields is a few kilobytes.
const maxResponseBytes = 1 << 20

// The waits of the defects that break the retry rules.
const (
	ignoredRetryAfterWait = 10 * time.Millisecond
	notFoundRetryWait     = 50 * time.Millisecond
)

// maxRetryAfterSeconds caps the wait a Retry-After header can ask for
// at one day, so that a bogus value does not overflow time.Duration.
const maxRetryAfterSeconds = 24 * 60 * 60

// statusError is a response with a status other than 2xx.
type statusError struct {
	StatusCode int
	// RetryAfter is the wait the Retry-After header requests. It is
	// valid only when HasRetryAfter is set.
	RetryAfter    time.Duration
	HasRetryAfter bool
}

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d %s", e.StatusCode, http.StatusText(e.StatusCode))
}

// isNotFound reports whether err is a 404 response.
func isNotFound(err error) bool {
	var se *statusError
	return errors.As(err, &se) && se.StatusCode == http.StatusNotFound
}

// retrier sends requests with the consumer's retry rules: 429 waits at
// least Retry-After, 5xx, connection errors and timeouts are retried
// with growing delays, and every other status is final. Each attempt
// is bounded by timeout and, when limiter is set, waits for a token.
type retrier struct {
	client      *http.Client
	timeout     time.Duration
	maxAttempts int
	base        time.Duration
	maxDelay    time.Duration
	limiter     *tokenBucket
	defect      Defect
	log         *slog.Logger
}

// do sends the request that newRequest builds until an attempt gets a
// 2xx response, and returns that response's body. op names the request
// in logs and errors, such as "GET /v2/documents/100001"; it must not
// contain a secret. The error states why the retries ended and after
// how many attempts.
func (r *retrier) do(ctx context.Context, op string, newRequest func(context.Context) (*http.Request, error)) ([]byte, error) {
	for attempt := 1; ; attempt++ {
		body, err := r.attempt(ctx, newRequest)
		if err == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%s: stopped after %s: %w (last error: %v)", op, attempts(attempt), ctx.Err(), err)
		}
		wait, retry := r.nextWait(attempt, err)
		if !retry {
			return nil, r.finalError(op, attempt, err)
		}
		r.log.Info("retrying request", "op", op, "attempt", attempt, "wait", wait, "error", err)
		if sleep(ctx, wait) != nil {
			return nil, fmt.Errorf("%s: stopped after %s: %w (last error: %v)", op, attempts(attempt), ctx.Err(), err)
		}
	}
}

// finalError describes why the request is not retried.
func (r *retrier) finalError(op string, attempt int, err error) error {
	if retryable(err) && attempt >= r.maxAttempts {
		return fmt.Errorf("%s: gave up after %s: %w", op, attempts(attempt), err)
	}
	return fmt.Errorf("%s: failed after %s, not retried: %w", op, attempts(attempt), err)
}

// attempts returns "1 attempt" or "n attempts".
func attempts(n int) string {
	if n == 1 {
		return "1 attempt"
	}
	return fmt.Sprintf("%d attempts", n)
}

// attempt sends one request and reads its response within r.timeout.
func (r *retrier) attempt(ctx context.Context, newRequest func(context.Context) (*http.Request, error)) ([]byte, error) {
	if r.limiter != nil {
		if err := r.limiter.wait(ctx); err != nil {
			return nil, err
		}
	}
	attemptCtx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	req, err := newRequest(attemptCtx)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, attemptError(ctx, attemptCtx, r.timeout, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	if err != nil {
		return nil, attemptError(ctx, attemptCtx, r.timeout, fmt.Errorf("read response: %w", err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, newStatusError(resp, time.Now())
	}
	return body, nil
}

// attemptError names a timeout of the attempt as such, because the
// transport reports it as a cancelled context.
func attemptError(ctx, attemptCtx context.Context, timeout time.Duration, err error) error {
	if ctx.Err() == nil && errors.Is(attemptCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	return err
}

func newStatusError(resp *http.Response, now time.Time) *statusError {
	se := &statusError{StatusCode: resp.StatusCode}
	se.RetryAfter, se.HasRetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	return se
}

// retryable reports whether the rules retry err when attempts are left:
// 429, 5xx, and errors without a response, such as connection errors
// and timeouts.
func retryable(err error) bool {
	var se *statusError
	if !errors.As(err, &se) {
		return true
	}
	return se.StatusCode == http.StatusTooManyRequests || se.StatusCode >= 500
}

// nextWait returns how long to wait before attempt+1, or false when the
// request is not retried.
func (r *retrier) nextWait(attempt int, err error) (time.Duration, bool) {
	var se *statusError
	isStatus := errors.As(err, &se)
	if isStatus && se.StatusCode == http.StatusNotFound && r.defect == DefectRetry404Forever {
		return notFoundRetryWait, true
	}
	if !retryable(err) || attempt >= r.maxAttempts {
		return 0, false
	}
	if isStatus && se.StatusCode >= 500 && r.defect == DefectNoRetry5xx {
		return 0, false
	}
	wait := backoff(r.base, r.maxDelay, attempt, rand.Float64())
	if isStatus && se.StatusCode == http.StatusTooManyRequests {
		if r.defect == DefectIgnoreRetryAfter {
			return ignoredRetryAfterWait, true
		}
		if se.HasRetryAfter {
			wait = max(wait, se.RetryAfter)
		}
	}
	return wait, true
}

// backoff returns the wait after failed attempt n (1 for the first).
// With d = min(base·2^(n-1), maxDelay), the wait is d/2 plus jitter·d/2,
// where jitter is in [0, 1). So wait n+1 is at least d ≥ wait n: the
// waits never shrink, and they double on average until the cap.
func backoff(base, maxDelay time.Duration, attempt int, jitter float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	d = min(d, maxDelay)
	return d/2 + time.Duration(jitter*float64(d/2))
}

// parseRetryAfter reads a Retry-After header, which RFC 9110 allows as
// a number of seconds or an HTTP date. A date in the past means no
// wait. It returns false for an empty or invalid value.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if seconds, err := strconv.ParseInt(v, 10, 64); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(min(seconds, maxRetryAfterSeconds)) * time.Second, true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(0, at.Sub(now)), true
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
