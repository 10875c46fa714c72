package scenarios

import (
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// dialTimeout bounds one connection attempt to the consumer.
const dialTimeout = 2 * time.Second

// dialRetryInterval is the wait between connection attempts while
// RunOptions.ConsumerWait lasts.
const dialRetryInterval = 100 * time.Millisecond

// unreachableAfter is how many webhook attempts that failed to connect,
// while no attempt got a response, make Run give up on the consumer.
const unreachableAfter = 3

// awaitConsumer connects to the consumer's address until a connection
// succeeds or RunOptions.ConsumerWait has passed. Checking before the
// first webhook turns a consumer that is not running into one clear
// error instead of every check failing.
func (r *runner) awaitConsumer(ctx context.Context) error {
	addr, err := dialAddress(r.opts.ConsumerURL)
	if err != nil {
		return fmt.Errorf("consumer URL: %w", err)
	}
	giveUp := time.Now().Add(r.opts.ConsumerWait)
	dialer := net.Dialer{Timeout: dialTimeout}
	for {
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err == nil {
			conn.Close()
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("scenario %s cancelled: %w", r.sc.Name, context.Cause(ctx))
		}
		if !time.Now().Before(giveUp) {
			return r.unreachable(err.Error())
		}
		select {
		case <-ctx.Done():
		case <-time.After(dialRetryInterval):
		}
	}
}

func (r *runner) unreachable(cause string) error {
	return fmt.Errorf("%w at %s: %s: start the consumer, or pass the URL where it receives webhooks",
		ErrConsumerUnreachable, redactURL(r.opts.ConsumerURL), cause)
}

// connectFailures reports whether at least unreachableAfter webhook
// attempts failed to connect and none got a response, with the last
// connection error.
func connectFailures(deliveries []mockplatform.Delivery) (string, bool) {
	failed, last := 0, ""
	for _, d := range deliveries {
		if d.SentAt.IsZero() || d.Outcome == mockplatform.OutcomeDropped {
			continue
		}
		if d.StatusCode != 0 || !connectError(d.Error) {
			return "", false
		}
		failed++
		last = d.Error
	}
	return last, failed >= unreachableAfter
}

// connectError reports whether a delivery error is a failure to
// connect, as opposed to a timeout or a reset of a connection that the
// consumer accepted. Go's client reports those as "dial tcp ...".
func connectError(msg string) bool {
	return strings.Contains(msg, "dial tcp") || strings.Contains(msg, "dial unix")
}
