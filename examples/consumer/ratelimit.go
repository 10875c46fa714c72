package consumer

import (
	"context"
	"sync"
	"time"
)

// tokenBucket limits the rate of requests: it holds up to one token and
// gains rate tokens per second, and each request takes one. With a
// capacity of one, two requests are never closer than 1/rate seconds,
// so a burst of overdue documents is spread out instead of sent at
// once.
type tokenBucket struct {
	rate float64

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// newTokenBucket returns a full bucket that gains rate tokens per
// second; rate must be positive.
func newTokenBucket(rate float64) *tokenBucket {
	return &tokenBucket{rate: rate, tokens: 1, last: time.Now()}
}

// wait takes a token, waiting until one is available or ctx is done.
func (b *tokenBucket) wait(ctx context.Context) error {
	for {
		d := b.take(time.Now())
		if d == 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// take takes a token at now and returns 0, or returns how long until
// the next token without taking one.
func (b *tokenBucket) take(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(1, b.tokens+elapsed.Seconds()*b.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	missing := (1 - b.tokens) / b.rate
	// Rounding up to a whole nanosecond keeps the caller from waking a
	// moment too early and spinning.
	return time.Duration(missing*float64(time.Second)) + 1
}
