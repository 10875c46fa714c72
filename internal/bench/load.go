package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// consumer is a minimal webhook consumer: a net/http server on a
// loopback port that reads each request body, responds with a fixed
// status and counts the requests. The platform's deliveries and the
// plain clients of the baselines both send to it.
type consumer struct {
	srv    *http.Server
	url    string
	status int

	count atomic.Int64

	mu      sync.Mutex
	target  int64
	reached chan struct{}
	// sample is the body and header of the first request, which the
	// baselines send again.
	sample       []byte
	sampleHeader http.Header
}

// startConsumer starts a consumer that responds to every request
// with status.
func startConsumer(status int) (*consumer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the consumer: %w", err)
	}
	c := &consumer{url: "http://" + ln.Addr().String() + "/webhooks", status: status}
	c.srv = &http.Server{Handler: http.HandlerFunc(c.serve), ReadHeaderTimeout: 10 * time.Second}
	go c.srv.Serve(ln)
	return c, nil
}

func (c *consumer) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.WriteHeader(c.status)
	n := c.count.Add(1)
	c.mu.Lock()
	if c.sample == nil {
		c.sample = body
		c.sampleHeader = r.Header.Clone()
	}
	if c.reached != nil && n >= c.target {
		close(c.reached)
		c.reached = nil
	}
	c.mu.Unlock()
}

// expect returns a channel that is closed once the consumer has
// received n more requests than so far.
func (c *consumer) expect(n int64) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	c.target = c.count.Load() + n
	if n <= 0 {
		close(ch)
		return ch
	}
	c.reached = ch
	return ch
}

// wait blocks until ch is closed, ctx is done or timeout passes.
func wait(ctx context.Context, ch <-chan struct{}, timeout time.Duration, what string) error {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for %s: %w", what, ctx.Err())
	case <-timer.C:
		return fmt.Errorf("wait for %s: timed out after %s", what, timeout)
	}
}

// samplePayload returns the body and the header of the first request
// the consumer received.
func (c *consumer) samplePayload() ([]byte, http.Header, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sample == nil {
		return nil, nil, errors.New("the consumer has received no request to copy")
	}
	return c.sample, c.sampleHeader, nil
}

// close stops the consumer and closes its connections at once. A
// graceful shutdown would wait up to 5 s for connections that a client
// opened but never sent a request on.
func (c *consumer) close() {
	c.srv.Close()
}

// request is one request of a plain client load: its method, URL,
// header and body.
type request struct {
	method string
	url    string
	header http.Header
	body   []byte
}

// do sends r through client, reads the whole response body, and
// returns an error unless the status is want.
func (r request) do(ctx context.Context, client *http.Client, want int) error {
	req, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header = r.header.Clone()
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d", r.method, r.url, resp.StatusCode, want)
	}
	return nil
}

// load sends r n times from workers goroutines through client and
// returns the wall time from the first request to the last response.
// It stops at the first error.
func load(ctx context.Context, client *http.Client, r request, want, n, workers int) (time.Duration, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range min(workers, n) {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := r.do(ctx, client, want); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := context.Cause(ctx); err != nil {
		return 0, fmt.Errorf("plain client load: %w", err)
	}
	return elapsed, nil
}

// cpuDetail describes the process CPU time per request of a
// measurement and of its baseline, which other processes on the
// machine disturb less than wall time. It is empty where processCPU
// reports nothing.
func cpuDetail(platform, baseline time.Duration, n int) string {
	if platform == 0 || baseline == 0 {
		return ""
	}
	perRequest := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(n) }
	return fmt.Sprintf("process CPU per request %.1f µs, baseline %.1f µs", perRequest(platform), perRequest(baseline))
}

// count returns n and the noun, with an "s" unless n is 1.
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
