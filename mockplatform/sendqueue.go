package mockplatform

import "sync"

// maxAttemptsPerURL bounds the delivery attempts in flight to one
// webhook URL. A burst of documents therefore keeps at most this many
// connections busy, all of which stay open among the idle connections
// that DeliveryTransport keeps per host, where a connection per
// attempt would exhaust the file descriptors and ports of both sides.
// On 2 cores over loopback, plain net/http clients spend 15 to 20
// percent more CPU per request at 256 concurrent requests than at 64,
// so the limit is 64.
// Later attempts wait in a queue in the order they were started, and
// their attempt timeout starts when they are sent.
const maxAttemptsPerURL = 64

// sendQueue runs the attempts to one webhook URL in their own
// goroutines, at most maxAttemptsPerURL at a time. A goroutine that
// finishes an attempt takes the next one from the queue, so a burst
// creates no more goroutines than the limit.
type sendQueue struct {
	mu      sync.Mutex
	pending []func() // pending[head:] wait, oldest first
	head    int
	running int
}

// sendQueueFor returns the queue of the webhook URL.
func (p *Platform) sendQueueFor(url string) *sendQueue {
	p.queuesMu.Lock()
	defer p.queuesMu.Unlock()
	q, ok := p.queues[url]
	if !ok {
		q = &sendQueue{}
		p.queues[url] = q
	}
	return q
}

// enqueue runs fn on q, counted as busy work from now until fn
// returns. After Shutdown has started, fn is skipped if it has not
// started yet: the events whose attempts it would send stay pending.
func (p *Platform) enqueue(q *sendQueue, fn func()) {
	p.busy.add()
	q.mu.Lock()
	if q.running < maxAttemptsPerURL {
		q.running++
		q.mu.Unlock()
		go p.drain(q, fn)
		return
	}
	q.pending = append(q.pending, fn)
	q.mu.Unlock()
}

// drain runs fn and then the queued functions until q is empty.
func (p *Platform) drain(q *sendQueue, fn func()) {
	for {
		select {
		case <-p.stopping:
		default:
			fn()
		}
		p.busy.done()

		q.mu.Lock()
		fn = q.pop()
		if fn == nil {
			q.running--
		}
		q.mu.Unlock()
		if fn == nil {
			return
		}
	}
}

// pop removes and returns the oldest queued function, or nil when the
// queue is empty. The caller holds q.mu.
func (q *sendQueue) pop() func() {
	if q.head == len(q.pending) {
		q.pending, q.head = q.pending[:0], 0
		return nil
	}
	fn := q.pending[q.head]
	q.pending[q.head] = nil
	q.head++
	// Moving the waiting functions to the front now and then keeps a
	// queue that never empties from growing without bound.
	if q.head >= 1024 && 2*q.head >= len(q.pending) {
		n := copy(q.pending, q.pending[q.head:])
		clear(q.pending[n:])
		q.pending, q.head = q.pending[:n], 0
	}
	return fn
}
