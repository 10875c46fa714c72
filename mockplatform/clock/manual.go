package clock

import (
	"sync"
	"sync/atomic"
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
	mu  sync.Mutex
	now time.Time
	// nowValue is now for Now, which the platform calls for every
	// delivery from many goroutines, so it reads it without mu. It
	// changes only together with now, under mu.
	nowValue atomic.Pointer[time.Time]
	nextID   uint64
	timers   timerHeap
	// pending counts the timers in the heap that are not stopped. A
	// stopped timer stays in the heap until it reaches the top or
	// compact removes it.
	pending int
}

// NewManual returns a Manual clock whose time is start. The monotonic clock
// reading of start, if any, is dropped because manual time does not follow
// the wall clock.
func NewManual(start time.Time) *Manual {
	m := &Manual{}
	m.setNow(start.Round(0))
	return m
}

// Now returns the current manual time.
func (m *Manual) Now() time.Time {
	return *m.nowValue.Load()
}

// setNow moves the time to t. The caller holds m.mu, except in
// NewManual.
func (m *Manual) setNow(t time.Time) {
	m.now = t
	m.nowValue.Store(&t)
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
	t := &manualTimer{clock: m, f: f, due: due}
	m.timers.push(heapEntry{sec: due.Unix(), nsec: int64(due.Nanosecond()), id: m.nextID, timer: t})
	m.nextID++
	m.pending++
	return t
}

// NextDue returns the due time of the earliest pending timer, or false if no
// timer is pending.
func (m *Manual) NextDue() (time.Time, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropStopped()
	if len(m.timers) == 0 {
		return time.Time{}, false
	}
	return m.timers[0].timer.due, true
}

// Pending returns how many timers are waiting to fire.
func (m *Manual) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pending
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
		m.setNow(t)
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
	m.dropStopped()
	if len(m.timers) == 0 {
		return time.Time{}, false
	}
	due := m.timers[0].timer.due
	if due.After(limit) {
		return time.Time{}, false
	}
	if due.After(m.now) {
		m.setNow(due)
	}
	return m.now, true
}

// popDue removes and returns the earliest timer if it is due at or before
// instant, or returns nil.
func (m *Manual) popDue(instant time.Time) *manualTimer {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropStopped()
	if len(m.timers) == 0 || m.timers[0].timer.due.After(instant) {
		return nil
	}
	t := m.timers.pop().timer
	t.done = true
	m.pending--
	return t
}

// dropStopped pops the stopped timers off the top of the heap. The
// caller holds m.mu.
func (m *Manual) dropStopped() {
	// Without stopped timers, the check would read every top timer.
	for len(m.timers) > m.pending && m.timers[0].timer.done {
		m.timers.pop()
	}
}

// manualTimer is a callback registered with a Manual clock.
type manualTimer struct {
	clock *Manual
	f     func()
	due   time.Time
	// done is set, under clock.mu, when the timer is removed to fire or
	// is stopped.
	done bool
}

// Stop prevents the timer from firing if it has not started firing.
func (t *manualTimer) Stop() bool {
	m := t.clock
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.done {
		return false
	}
	t.done = true
	m.pending--
	// Rebuilding the heap once most of it is stopped timers bounds
	// their memory; most clocks stop few timers.
	if len(m.timers) > 64 && 2*m.pending < len(m.timers) {
		m.timers.compact()
	}
	return true
}

// heapEntry is a timer in the heap with the keys it is ordered by, so
// comparisons neither follow a pointer to each timer nor decode a
// time.Time.
type heapEntry struct {
	// sec and nsec are the due time as Unix seconds and nanoseconds
	// within the second.
	sec, nsec int64
	// id is the creation sequence number, which orders timers with equal
	// due times.
	id    uint64
	timer *manualTimer
}

// timerHeap is a min-heap of timers ordered by due time, then by
// creation order. Each node has four children rather than two, which
// halves the depth, and the four sit next to each other in memory. A
// clock with tens of thousands of timers, such as one retry per event,
// therefore moves fewer entries and touches fewer cache lines per pop.
type timerHeap []heapEntry

// heapArity is the number of children of a node.
const heapArity = 4

func (h timerHeap) less(i, j int) bool {
	a, b := &h[i], &h[j]
	if a.sec != b.sec {
		return a.sec < b.sec
	}
	if a.nsec != b.nsec {
		return a.nsec < b.nsec
	}
	return a.id < b.id
}

func (h *timerHeap) push(e heapEntry) {
	*h = append(*h, e)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest entry. The heap must not be
// empty.
func (h *timerHeap) pop() heapEntry {
	old := *h
	n := len(old) - 1
	top := old[0]
	old[0] = old[n]
	// Clearing the slot lets the garbage collector free the timer.
	old[n] = heapEntry{}
	*h = old[:n]
	h.down(0)
	return top
}

func (h timerHeap) up(i int) {
	for i > 0 {
		parent := (i - 1) / heapArity
		if !h.less(i, parent) {
			return
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
}

func (h timerHeap) down(i int) {
	for {
		first := heapArity*i + 1
		if first >= len(h) {
			return
		}
		child := first
		for c := first + 1; c < min(first+heapArity, len(h)); c++ {
			if h.less(c, child) {
				child = c
			}
		}
		if !h.less(child, i) {
			return
		}
		h[i], h[child] = h[child], h[i]
		i = child
	}
}

// compact removes the stopped timers and restores the heap order.
func (h *timerHeap) compact() {
	kept := (*h)[:0]
	for _, e := range *h {
		if !e.timer.done {
			kept = append(kept, e)
		}
	}
	clear((*h)[len(kept):])
	*h = kept
	for i := (len(kept) - 2) / heapArity; i >= 0; i-- {
		kept.down(i)
	}
}
