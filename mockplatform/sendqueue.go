package mockplatform

import "sync"

// maxAttemptsPerURL bounds the delivery attempts in flight to one
// webhook URL. A burst of documents therefore keeps at most this many
// connections busy, and all of them stay open among the idle
// connections that DeliveryTransport keeps per host. A connection per
// attempt would exhaust the file descriptors and ports of both sides.
// On 2 cores over loopback, plain net/http clients spend 10 to 20
// percent more CPU per request at 256 concurrent requests than at 64,
// and send a fifth fewer per second, so the limit is 64.
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
// While Advance runs the callbacks of an instant, fn waits in the
// instant's batch until they have all run; see sendBatch.
func (p *Platform) enqueue(q *sendQueue, fn func()) {
	p.busy.add()
	if p.batching.Load() {
		p.batchMu.Lock()
		if p.batching.Load() {
			p.batch = append(p.batch, queuedSend{q, fn})
			p.batchMu.Unlock()
			return
		}
		p.batchMu.Unlock()
	}
	p.start(q, fn, false)
}

// start runs fn on q: in the calling goroutine when inline is set, in
// a new goroutine otherwise, or later when q has maxAttemptsPerURL
// attempts in flight. The caller has counted fn as busy work.
func (p *Platform) start(q *sendQueue, fn func(), inline bool) {
	q.mu.Lock()
	if q.running >= maxAttemptsPerURL {
		q.pending = append(q.pending, fn)
		q.mu.Unlock()
		return
	}
	q.running++
	q.mu.Unlock()
	if inline {
		p.drain(q, fn)
		return
	}
	go p.drain(q, fn)
}

// queuedSend is an attempt waiting in the batch of an instant.
type queuedSend struct {
	q  *sendQueue
	fn func()
}

// collectSends makes enqueue hold attempts in the batch until
// sendBatch.
func (p *Platform) collectSends() {
	p.batchMu.Lock()
	defer p.batchMu.Unlock()
	p.batching.Store(true)
}

// sendBatch starts the attempts that enqueue held since collectSends.
// The calling goroutine, Advance's, sends the last one itself, so an
// instant with one attempt, the usual case of retries on a manual
// clock, neither starts a goroutine nor waits to be woken by one.
// The other attempts run concurrently as before.
func (p *Platform) sendBatch() {
	p.batchMu.Lock()
	batch := p.batch
	p.batch, p.batchSpare = p.batchSpare, nil
	p.batching.Store(false)
	p.batchMu.Unlock()
	for i, s := range batch {
		p.start(s.q, s.fn, i == len(batch)-1)
	}
	keepSpare(&p.batchMu, &p.batchSpare, batch)
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
