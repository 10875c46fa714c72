package mockplatform

import (
	"context"
	"fmt"
	"slices"
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

// pendingTimer is a clock timer the platform can cancel on shutdown.
type pendingTimer struct {
	timer  clock.Timer
	cancel func()
}

// dueCall is a timer callback that fired during Advance and waits to
// run in key order.
type dueCall struct {
	key string
	fn  func()
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
func (p *Platform) after(d time.Duration, key string, fn func(), onCancel func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		if onCancel != nil {
			onCancel()
		}
		return
	}
	pt := &pendingTimer{}
	pt.cancel = func() {
		if onCancel != nil {
			onCancel()
		}
		p.outstanding.done()
	}
	p.outstanding.add()
	pt.timer = p.clock.AfterFunc(d, func() {
		p.mu.Lock()
		if _, ok := p.timers[pt]; !ok {
			// Shutdown took it and cancels it.
			p.mu.Unlock()
			return
		}
		delete(p.timers, pt)
		if p.advancing {
			p.due = append(p.due, dueCall{key, fn})
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
		p.runDue(fn)
	})
	p.timers[pt] = struct{}{}
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
	p.due = nil
	p.mu.Unlock()
	byKey := func(a, b dueCall) int { return strings.Compare(a.key, b.key) }
	// Timers due at one instant often fire in key order already, such
	// as the steps of documents uploaded one after another.
	if !slices.IsSortedFunc(batch, byKey) {
		slices.SortStableFunc(batch, byKey)
	}
	p.collectSends()
	for _, c := range batch {
		p.runDue(c.fn)
	}
	p.sendBatch()
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
