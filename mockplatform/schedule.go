package mockplatform

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// WaitIdle blocks until no workflow step and no delivery is pending or
// in flight, or ctx is done. On a manual clock, pending steps and
// retries only end when the clock is advanced.
func (p *Platform) WaitIdle(ctx context.Context) error {
	return p.outstanding.wait(ctx)
}

// Advance moves a manual clock forward by d. It fires the platform's
// steps and retries in the order they are due and, after each instant,
// waits for the work it started, such as delivery attempts, to finish,
// so every attempt is sent at its scheduled time. It fails when the
// platform's clock is not a *clock.Manual.
func (p *Platform) Advance(ctx context.Context, d time.Duration) error {
	m, ok := p.clock.(*clock.Manual)
	if !ok {
		return fmt.Errorf("mockplatform: advance: the platform's clock is %T, not a manual clock: create it with Options.Clock set to clock.NewManual", p.clock)
	}
	// The target is read under advanceMu, so concurrent calls add up.
	p.advanceMu.Lock()
	defer p.advanceMu.Unlock()
	target := m.Now().Add(d)
	if target.Year() > 9999 {
		return fmt.Errorf("mockplatform: advance: %s would move the clock past year 9999, which timestamps cannot show: advance by less", d)
	}
	p.setAdvancing(true)
	defer p.setAdvancing(false)
	if err := p.busy.wait(ctx); err != nil {
		return fmt.Errorf("mockplatform: advance: %w", err)
	}
	for {
		if _, fired := m.Step(target); !fired {
			break
		}
		p.runDueBatch()
		if err := p.busy.wait(ctx); err != nil {
			return fmt.Errorf("mockplatform: advance: %w", err)
		}
	}
	m.AdvanceTo(target)
	return nil
}

func (p *Platform) setAdvancing(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.advancing = on
}

// pendingTimer is work that waits on the platform's clock. The
// platform keeps its pending timers in a list, so Shutdown can cancel
// them.
type pendingTimer struct {
	p     *Platform
	timer clock.Timer
	key   dueKey
	fn    func()
	// onCancel, if not nil, runs when Shutdown cancels fn.
	onCancel func()
	// prev and next link the platform's pending timers. listed is set
	// while the timer is in that list.
	prev, next *pendingTimer
	listed     bool
}

// dueKey orders the work due at one instant. Keys compare as their
// texts from String do: steps as "step/<document id, 20 digits>/<i, 2
// digits>" and attempts as "attempt/<document id, 20 digits>/<event
// id>/<n><suffix>", so attempts come before steps and the work of
// lower document ids first.
type dueKey struct {
	document int64
	event    string
	n        int32
	attempt  bool
	suffix   keySuffix
}

// keySuffix distinguishes the kinds of work for one attempt.
type keySuffix uint8

const (
	sendAttempt    keySuffix = iota // ""
	delayedAttempt                  // "/delayed"
	heldAttempt                     // "/hold"
)

var keySuffixes = [...]string{sendAttempt: "", delayedAttempt: "/delayed", heldAttempt: "/hold"}

// stepKey is the key of step i of a document's plan.
func stepKey(document int64, i int) dueKey {
	return dueKey{document: document, n: int32(i)}
}

// attemptKey is the key of attempt n of e, with a suffix that
// distinguishes other work for the same attempt.
func attemptKey(e *event, n int, suffix keySuffix) dueKey {
	return dueKey{attempt: true, document: e.DocumentID, event: e.ID, n: int32(n), suffix: suffix}
}

// String returns the key's text.
func (k dueKey) String() string {
	if !k.attempt {
		b := make([]byte, 0, len("step//")+20+2)
		b = append(b, "step/"...)
		b = appendPadded(b, k.document, 20)
		b = append(b, '/')
		b = appendPadded(b, int64(k.n), 2)
		return string(b)
	}
	suffix := keySuffixes[k.suffix]
	b := make([]byte, 0, len("attempt///")+20+len(k.event)+2+len(suffix))
	b = append(b, "attempt/"...)
	b = appendPadded(b, k.document, 20)
	b = append(b, '/')
	b = append(b, k.event...)
	b = append(b, '/')
	b = strconv.AppendInt(b, int64(k.n), 10)
	b = append(b, suffix...)
	return string(b)
}

// compareDueKeys compares a and b as their texts compare, building the
// texts only for work of the same kind and document.
func compareDueKeys(a, b dueKey) int {
	if a.attempt != b.attempt {
		// "attempt/" sorts before "step/".
		if a.attempt {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(a.document, b.document); c != 0 {
		// Document ids are padded to the same width, so their texts
		// compare as their values do.
		return c
	}
	return strings.Compare(a.String(), b.String())
}

// appendPadded appends the decimal form of a non-negative v to b,
// padded with zeros to width digits, as fmt's %0*d does.
func appendPadded(b []byte, v int64, width int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], v, 10)
	for range width - len(d) {
		b = append(b, '0')
	}
	return append(b, d...)
}

// after runs fn once d of platform time has passed, counting it as
// outstanding work until it has run or is cancelled by Shutdown.
// onCancel, if not nil, runs when Shutdown cancels fn or when the
// platform is already closed.
//
// fn must not block: work that waits on the network goes through
// enqueue. During Advance, the calls due at one instant run one after
// another in the order of their keys, so the order of their decisions
// and journal records does not depend on goroutine scheduling.
func (p *Platform) after(d time.Duration, key dueKey, fn func(), onCancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		if onCancel != nil {
			onCancel()
		}
		return
	}
	pt := &pendingTimer{p: p, key: key, fn: fn, onCancel: onCancel}
	p.outstanding.add()
	p.listTimer(pt)
	pt.timer = p.clock.AfterFunc(d, pt.fire)
}

// fire runs when the clock fires pt: at once, or during Advance in
// the batch of its instant.
func (pt *pendingTimer) fire() {
	p := pt.p
	p.mu.Lock()
	if !pt.listed {
		// Shutdown took it and cancels it.
		p.mu.Unlock()
		return
	}
	p.unlistTimer(pt)
	if p.advancing {
		p.due = append(p.due, pt)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	p.runDue(pt.fn)
}

// cancel ends the outstanding count of a timer that Shutdown took.
func (pt *pendingTimer) cancel() {
	if pt.onCancel != nil {
		pt.onCancel()
	}
	pt.p.outstanding.done()
}

// listTimer adds pt to the pending timers. The caller holds p.mu.
func (p *Platform) listTimer(pt *pendingTimer) {
	pt.next = p.timers
	if p.timers != nil {
		p.timers.prev = pt
	}
	p.timers = pt
	pt.listed = true
}

// unlistTimer removes pt from the pending timers. The caller holds
// p.mu.
func (p *Platform) unlistTimer(pt *pendingTimer) {
	if pt.prev != nil {
		pt.prev.next = pt.next
	} else {
		p.timers = pt.next
	}
	if pt.next != nil {
		pt.next.prev = pt.prev
	}
	pt.prev, pt.next, pt.listed = nil, nil, false
}

// runDue runs a fired timer's callback as busy work and ends its
// outstanding count.
func (p *Platform) runDue(fn func()) {
	p.busy.add()
	defer p.outstanding.done()
	defer p.busy.done()
	fn()
}

// runDueBatch runs the callbacks collected during one Step in key
// order.
func (p *Platform) runDueBatch() {
	p.mu.Lock()
	batch := p.due
	p.due, p.dueSpare = p.dueSpare, nil
	p.mu.Unlock()
	byKey := func(a, b *pendingTimer) int { return compareDueKeys(a.key, b.key) }
	// Timers due at one instant often fire in key order already, such
	// as the steps of documents uploaded one after another.
	if !slices.IsSortedFunc(batch, byKey) {
		slices.SortStableFunc(batch, byKey)
	}
	p.collectSends()
	for _, pt := range batch {
		p.runDue(pt.fn)
	}
	p.sendBatch()
	keepSpare(&p.mu, &p.dueSpare, batch)
}

// maxSpareBatch is the largest capacity of a batch slice kept for
// reuse. A burst of documents makes one instant with a call or attempt
// per document, and keeping a slice of that size would hold its memory
// for the platform's life.
const maxSpareBatch = 1024

// keepSpare empties batch and stores it in *spare, under mu, so that
// it collects the work of a later instant and an instant allocates no
// slice. A batch above maxSpareBatch is left to the garbage collector.
func keepSpare[T any](mu *sync.Mutex, spare *[]T, batch []T) {
	if cap(batch) > maxSpareBatch {
		return
	}
	clear(batch)
	mu.Lock()
	defer mu.Unlock()
	*spare = batch[:0]
}

// tracker counts units of work and lets callers wait until none is
// left. Every delivery adds and ends work several times, from many
// goroutines, so the count is atomic and the mutex is taken only to
// wake a waiter.
type tracker struct {
	n  atomic.Int64
	mu sync.Mutex
	// zeroC is made by wait while n is above zero, and closed and
	// cleared when n drops to zero, so work that no caller waits for
	// makes no channel.
	zeroC chan struct{}
}

func (t *tracker) add() {
	t.n.Add(1)
}

func (t *tracker) done() {
	n := t.n.Add(-1)
	if n < 0 {
		panic("mockplatform: tracker count below zero")
	}
	if n > 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// The count may have risen again since; then a later done closes
	// the channel.
	if t.zeroC != nil && t.n.Load() == 0 {
		close(t.zeroC)
		t.zeroC = nil
	}
}

// wait blocks until the count is zero or ctx is done.
func (t *tracker) wait(ctx context.Context) error {
	t.mu.Lock()
	if t.n.Load() == 0 {
		t.mu.Unlock()
		return nil
	}
	if t.zeroC == nil {
		t.zeroC = make(chan struct{})
	}
	c := t.zeroC
	t.mu.Unlock()
	select {
	case <-c:
		// The count may have risen again since; callers that need a
		// stable zero hold other invariants (see Advance).
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
