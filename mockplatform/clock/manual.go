package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Manual is a Clock whose time moves only when Step, AdvanceTo or Advance is
// called. Callbacks run synchronously in the goroutine that moves time.
//
// Manual is safe for concurrent use: Now, AfterFunc and Timer.Stop may be
// called from any goroutine, including from callbacks and while time is
// moving. Calls that move time run one at a time, so a callback must not call
// Step, AdvanceTo or Advance on its own clock, which would deadlock.
type Manual struct {
	// stepMu serializes Step and AdvanceTo, so concurrent Advance calls
	// neither interleave their callbacks nor move time backwards. It is held
	// while callbacks run, unlike mu.
	stepMu sync.Mutex

	// mu guards the fields below. It is never held while a callback runs,
	// so callbacks may call Now, AfterFunc and Stop.
	mu     sync.Mutex
	now    time.Time
	nextID uint64
	timers timerHeap
}

// NewManual returns a Manual clock whose time is start. The monotonic clock
// reading of start, if any, is dropped because manual time does not follow
// the wall clock.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start.Round(0)}
}

// Now returns the current manual time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// AfterFunc registers f to run at Now()+d. It never calls f itself, even for
// d <= 0: f is then due at the current time and runs at the next Step or
// Advance.
func (m *Manual) AfterFunc(d time.Duration, f func()) Timer {
	checkFunc(f)
	m.mu.Lock()
	defer m.mu.Unlock()

	// A negative d is due now rather than in the past, so such timers keep
	// creation order with d == 0 timers and NextDue never reports a time
	// before Now.
	due := m.now
	if d > 0 {
		due = m.now.Add(d)
	}
	t := &manualTimer{clock: m, due: due, id: m.nextID, f: f}
	m.nextID++
	heap.Push(&m.timers, t)
	return t
}

// NextDue returns the due time of the earliest pending timer, or false if no
// timer is pending.
func (m *Manual) NextDue() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) == 0 {
		return time.Time{}, false
	}
	return m.timers[0].due, true
}

// Pending returns how many timers are waiting to fire.
func (m *Manual) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.timers)
}

// Step fires the timers due at the earliest pending instant, if that instant
// is not after limit. It sets Now to that instant, then calls every timer due
// at that instant in due and creation order. A timer due before Now fires at
// Now, because time never moves backwards. Callbacks run synchronously in the
// caller's goroutine without the clock's lock held. Timers that they create
// for the same instant fire within the same Step, and timers that they stop
// do not fire.
//
// Step returns the instant and true. When no timer is due by limit it returns
// the zero time and false and leaves Now unchanged.
func (m *Manual) Step(limit time.Time) (time.Time, bool) {
	m.stepMu.Lock()
	defer m.stepMu.Unlock()
	return m.step(limit)
}

// AdvanceTo fires, in order, every timer due at or before t, including timers
// created by callbacks during the advance, then sets Now to t. If t is before
// Now, Now is left unchanged.
func (m *Manual) AdvanceTo(t time.Time) {
	m.stepMu.Lock()
	defer m.stepMu.Unlock()
	m.advanceTo(t)
}

// Advance is AdvanceTo(Now()+d). Now is read after any other Step or
// AdvanceTo has finished, so concurrent Advance calls add up.
func (m *Manual) Advance(d time.Duration) {
	m.stepMu.Lock()
	defer m.stepMu.Unlock()
	m.advanceTo(m.Now().Add(d))
}

// advanceTo implements AdvanceTo. The caller holds stepMu.
func (m *Manual) advanceTo(t time.Time) {
	for {
		if _, fired := m.step(t); !fired {
			break
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if t.After(m.now) {
		m.now = t
	}
}

// step implements Step. The caller holds stepMu.
func (m *Manual) step(limit time.Time) (time.Time, bool) {
	instant, ok := m.startInstant(limit)
	if !ok {
		return time.Time{}, false
	}
	// Timers are popped one at a time, so a callback that stops a later timer
	// of the same instant prevents it, and one that adds a timer due at the
	// instant gets it fired here.
	for {
		t := m.popDue(instant)
		if t == nil {
			break
		}
		t.f()
	}
	return instant, true
}

// startInstant moves Now to the earliest due time, unless no timer is pending
// or the earliest one is due after limit.
func (m *Manual) startInstant(limit time.Time) (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) == 0 {
		return time.Time{}, false
	}
	due := m.timers[0].due
	if due.After(limit) {
		return time.Time{}, false
	}
	if due.After(m.now) {
		m.now = due
	}
	return m.now, true
}

// popDue removes and returns the earliest timer if it is due at or before
// instant, or returns nil.
func (m *Manual) popDue(instant time.Time) *manualTimer {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) == 0 || m.timers[0].due.After(instant) {
		return nil
	}
	return heap.Pop(&m.timers).(*manualTimer)
}

// manualTimer is a callback registered with a Manual clock.
type manualTimer struct {
	clock *Manual
	due   time.Time
	// id is the creation sequence number, which orders timers with equal due
	// times.
	id uint64
	f  func()
	// index is the position in the clock's heap, or -1 once the timer has
	// been stopped or removed to fire.
	index int
}

// Stop removes the timer from its clock if it has not started firing.
func (t *manualTimer) Stop() bool {
	m := t.clock
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&m.timers, t.index)
	return true
}

// timerHeap is a min-heap of timers ordered by due time, then by creation
// order. It implements heap.Interface.
type timerHeap []*manualTimer

func (h timerHeap) Len() int {
	return len(h)
}

func (h timerHeap) Less(i, j int) bool {
	if c := h[i].due.Compare(h[j].due); c != 0 {
		return c < 0
	}
	return h[i].id < h[j].id
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*manualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	// Clearing the slot lets the garbage collector free the timer's callback.
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
