package clock_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// Each implementation must satisfy Clock.
var (
	_ clock.Clock = clock.Real()
	_ clock.Clock = (*clock.Scaled)(nil)
	_ clock.Clock = (*clock.Manual)(nil)
)

// start is an arbitrary fixed manual start time.
var start = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// firing records one callback run on a Manual clock.
type firing struct {
	name string
	at   time.Time
}

// recorder collects firings from callbacks. Callbacks of a Manual clock run
// in the stepping goroutine, and the mutex guards the firings when tests read
// them from another goroutine.
type recorder struct {
	mu      sync.Mutex
	firings []firing
}

// callback returns a func that records name and the clock's time when run.
func (r *recorder) callback(m *clock.Manual, name string) func() {
	return func() {
		at := m.Now()
		r.mu.Lock()
		defer r.mu.Unlock()
		r.firings = append(r.firings, firing{name: name, at: at})
	}
}

func (r *recorder) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, len(r.firings))
	for i, f := range r.firings {
		names[i] = f.name
	}
	return names
}

func (r *recorder) all() []firing {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]firing(nil), r.firings...)
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestManualNowIsStart(t *testing.T) {
	m := clock.NewManual(start)
	if got := m.Now(); !got.Equal(start) {
		t.Errorf("Now() = %v, want %v", got, start)
	}
	if _, ok := m.NextDue(); ok {
		t.Errorf("NextDue() ok = true on a clock without timers")
	}
	if got := m.Pending(); got != 0 {
		t.Errorf("Pending() = %d, want 0", got)
	}
}

func TestManualDropsMonotonicReading(t *testing.T) {
	wall := time.Now()
	m := clock.NewManual(wall)
	if got := m.Now(); got != wall.Round(0) {
		t.Errorf("Now() = %v, want %v without monotonic reading", got, wall.Round(0))
	}
}

func TestManualFiresInDueOrder(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	m.AfterFunc(3*time.Second, r.callback(m, "3s"))
	m.AfterFunc(1*time.Second, r.callback(m, "1s-first"))
	m.AfterFunc(2*time.Second, r.callback(m, "2s"))
	m.AfterFunc(1*time.Second, r.callback(m, "1s-second"))
	m.AfterFunc(1*time.Second, r.callback(m, "1s-third"))

	if got := m.Pending(); got != 5 {
		t.Errorf("Pending() before Advance = %d, want 5", got)
	}
	due, ok := m.NextDue()
	if !ok {
		t.Fatalf("NextDue() ok = false with 5 pending timers")
	}
	if want := start.Add(time.Second); !due.Equal(want) {
		t.Errorf("NextDue() = %v, want %v", due, want)
	}

	m.Advance(5 * time.Second)

	want := []string{"1s-first", "1s-second", "1s-third", "2s", "3s"}
	if got := r.names(); !equalStrings(got, want) {
		t.Errorf("firing order = %v, want %v", got, want)
	}
	if got, want := m.Now(), start.Add(5*time.Second); !got.Equal(want) {
		t.Errorf("Now() after Advance = %v, want %v", got, want)
	}
	if got := m.Pending(); got != 0 {
		t.Errorf("Pending() after Advance = %d, want 0", got)
	}
}

func TestManualNowInsideCallback(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	delays := []time.Duration{500 * time.Millisecond, 2 * time.Second, 7 * time.Second}
	for _, d := range delays {
		m.AfterFunc(d, r.callback(m, d.String()))
	}

	m.Advance(10 * time.Second)

	got := r.all()
	if len(got) != len(delays) {
		t.Fatalf("fired %d timers, want %d", len(got), len(delays))
	}
	for i, d := range delays {
		if want := start.Add(d); !got[i].at.Equal(want) {
			t.Errorf("timer %s saw Now() = %v, want %v", got[i].name, got[i].at, want)
		}
	}
}

func TestManualCallbackSchedulesWithinAdvance(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	m.AfterFunc(time.Second, func() {
		r.callback(m, "parent")()
		m.AfterFunc(0, r.callback(m, "child-now"))
		m.AfterFunc(time.Second, func() {
			r.callback(m, "child-1s")()
			m.AfterFunc(500*time.Millisecond, r.callback(m, "grandchild"))
		})
		m.AfterFunc(time.Hour, r.callback(m, "child-1h"))
	})

	m.Advance(3 * time.Second)

	want := []firing{
		{"parent", start.Add(time.Second)},
		{"child-now", start.Add(time.Second)},
		{"child-1s", start.Add(2 * time.Second)},
		{"grandchild", start.Add(2500 * time.Millisecond)},
	}
	got := r.all()
	if len(got) != len(want) {
		t.Fatalf("firings = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].name != want[i].name || !got[i].at.Equal(want[i].at) {
			t.Errorf("firing %d = %s at %v, want %s at %v", i, got[i].name, got[i].at, want[i].name, want[i].at)
		}
	}
	if got := m.Pending(); got != 1 {
		t.Errorf("Pending() = %d, want 1 (the 1h timer)", got)
	}
}

func TestManualStepFiresChildrenAtSameInstant(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	m.AfterFunc(time.Second, func() {
		r.callback(m, "parent")()
		m.AfterFunc(0, r.callback(m, "child-zero"))
		m.AfterFunc(-time.Minute, r.callback(m, "child-negative"))
		m.AfterFunc(time.Nanosecond, r.callback(m, "child-1ns"))
	})

	instant, ok := m.Step(start.Add(time.Hour))
	if !ok {
		t.Fatalf("Step() ok = false with a timer due")
	}
	if want := start.Add(time.Second); !instant.Equal(want) {
		t.Errorf("Step() instant = %v, want %v", instant, want)
	}
	want := []string{"parent", "child-zero", "child-negative"}
	if got := r.names(); !equalStrings(got, want) {
		t.Errorf("first Step fired %v, want %v", got, want)
	}

	instant, ok = m.Step(start.Add(time.Hour))
	if !ok {
		t.Fatalf("second Step() ok = false with the 1ns timer pending")
	}
	if want := start.Add(time.Second + time.Nanosecond); !instant.Equal(want) {
		t.Errorf("second Step() instant = %v, want %v", instant, want)
	}
}

func TestManualStopPreventsFiring(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	stoppedTimer := m.AfterFunc(time.Second, r.callback(m, "stopped"))
	firedTimer := m.AfterFunc(2*time.Second, r.callback(m, "fired"))

	if !stoppedTimer.Stop() {
		t.Errorf("first Stop() on a pending timer = false, want true")
	}
	if stoppedTimer.Stop() {
		t.Errorf("second Stop() on a stopped timer = true, want false")
	}
	if got := m.Pending(); got != 1 {
		t.Errorf("Pending() after Stop = %d, want 1", got)
	}

	m.Advance(time.Minute)

	if got, want := r.names(), []string{"fired"}; !equalStrings(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
	if firedTimer.Stop() {
		t.Errorf("Stop() on a fired timer = true, want false")
	}
}

func TestManualStopFromCallback(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	var later, self clock.Timer
	var stoppedLater, stoppedSelf bool
	self = m.AfterFunc(time.Second, func() {
		r.callback(m, "first")()
		stoppedLater = later.Stop()
		stoppedSelf = self.Stop()
	})
	// Due at the same instant as first, so it is still pending when first runs.
	later = m.AfterFunc(time.Second, r.callback(m, "later"))

	m.Advance(time.Second)

	if !stoppedLater {
		t.Errorf("Stop() from a callback on a same-instant timer = false, want true")
	}
	if stoppedSelf {
		t.Errorf("Stop() on the running timer = true, want false")
	}
	if got, want := r.names(), []string{"first"}; !equalStrings(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
}

func TestManualStepRespectsLimit(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	m.AfterFunc(5*time.Second, r.callback(m, "5s"))

	instant, ok := m.Step(start.Add(4 * time.Second))
	if ok {
		t.Errorf("Step() before the due time ok = true, want false")
	}
	if !instant.IsZero() {
		t.Errorf("Step() before the due time instant = %v, want zero", instant)
	}
	if got := m.Now(); !got.Equal(start) {
		t.Errorf("Now() after an empty Step = %v, want %v", got, start)
	}
	if got := r.names(); len(got) != 0 {
		t.Errorf("empty Step fired %v", got)
	}

	instant, ok = m.Step(start.Add(5 * time.Second))
	if !ok {
		t.Fatalf("Step() at the due time ok = false, want true")
	}
	if want := start.Add(5 * time.Second); !instant.Equal(want) {
		t.Errorf("Step() instant = %v, want %v", instant, want)
	}
	if got := m.Now(); !got.Equal(instant) {
		t.Errorf("Now() after Step = %v, want %v", got, instant)
	}

	if _, ok := m.Step(start.Add(time.Hour)); ok {
		t.Errorf("Step() with no pending timers ok = true, want false")
	}
	if got, want := m.Now(), start.Add(5*time.Second); !got.Equal(want) {
		t.Errorf("Now() after Step with no timers = %v, want %v", got, want)
	}
}

func TestManualAdvanceToPast(t *testing.T) {
	m := clock.NewManual(start)
	m.Advance(10 * time.Second)
	var r recorder
	m.AfterFunc(time.Second, r.callback(m, "1s"))

	m.AdvanceTo(start)
	if got, want := m.Now(), start.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("Now() after AdvanceTo into the past = %v, want %v", got, want)
	}
	if got := r.names(); len(got) != 0 {
		t.Errorf("AdvanceTo into the past fired %v", got)
	}

	m.Advance(-time.Second)
	if got, want := m.Now(), start.Add(10*time.Second); !got.Equal(want) {
		t.Errorf("Now() after negative Advance = %v, want %v", got, want)
	}
}

func TestManualNonPositiveDelayFiresAtNextStep(t *testing.T) {
	m := clock.NewManual(start)
	m.Advance(time.Minute)
	now := m.Now()
	var r recorder
	m.AfterFunc(0, r.callback(m, "zero"))
	m.AfterFunc(-time.Hour, r.callback(m, "negative"))

	if got := r.names(); len(got) != 0 {
		t.Errorf("AfterFunc called f itself: fired %v", got)
	}
	due, ok := m.NextDue()
	if !ok {
		t.Fatalf("NextDue() ok = false with 2 pending timers")
	}
	if !due.Equal(now) {
		t.Errorf("NextDue() = %v, want Now() = %v", due, now)
	}

	instant, ok := m.Step(now)
	if !ok {
		t.Fatalf("Step(Now()) ok = false, want true")
	}
	if !instant.Equal(now) {
		t.Errorf("Step() instant = %v, want %v", instant, now)
	}
	want := []firing{{"zero", now}, {"negative", now}}
	got := r.all()
	if len(got) != len(want) {
		t.Fatalf("firings = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("firing %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestManualAdvanceZeroFiresDueTimers(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	m.AfterFunc(0, r.callback(m, "zero"))

	m.Advance(0)

	if got, want := r.names(), []string{"zero"}; !equalStrings(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
	if got := m.Now(); !got.Equal(start) {
		t.Errorf("Now() = %v, want %v", got, start)
	}
}

func TestManualUsableAfterCallbackPanics(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	m.AfterFunc(time.Second, func() { panic("callback failed") })
	m.AfterFunc(2*time.Second, r.callback(m, "after-panic"))

	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Advance did not propagate the callback panic")
			}
		}()
		m.Advance(time.Minute)
	}()

	// A held lock would deadlock here.
	m.Advance(time.Minute)
	if got, want := r.names(), []string{"after-panic"}; !equalStrings(got, want) {
		t.Errorf("fired %v, want %v", got, want)
	}
}

func TestManualAfterFuncNilPanics(t *testing.T) {
	m := clock.NewManual(start)
	defer func() {
		if recover() == nil {
			t.Errorf("AfterFunc(nil) did not panic")
		}
	}()
	m.AfterFunc(time.Second, nil)
}

func TestManualConcurrentAfterFunc(t *testing.T) {
	const (
		goroutines = 16
		perRoutine = 200
	)
	m := clock.NewManual(start)
	var fired, stopped atomic.Int64
	var mu sync.Mutex
	var last time.Time
	var backwards int

	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perRoutine {
				d := time.Duration(g*perRoutine+i) * time.Millisecond
				timer := m.AfterFunc(d, func() {
					now := m.Now()
					mu.Lock()
					if now.Before(last) {
						backwards++
					}
					last = now
					mu.Unlock()
					fired.Add(1)
				})
				if i%5 == 0 && timer.Stop() {
					stopped.Add(1)
				}
				_ = m.Now()
				_ = m.Pending()
			}
		})
	}

	// Move time while the goroutines schedule, from two goroutines so that
	// Advance calls also contend with each other.
	done := make(chan struct{})
	var movers sync.WaitGroup
	for range 2 {
		movers.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
					m.Advance(50 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(done)
	movers.Wait()

	// Every timer is due at most the largest delay after the last AfterFunc.
	m.Advance(time.Duration(goroutines*perRoutine) * time.Millisecond)

	total := int64(goroutines * perRoutine)
	if got := fired.Load() + stopped.Load(); got != total {
		t.Errorf("fired %d + stopped %d = %d, want %d", fired.Load(), stopped.Load(), got, total)
	}
	if got := m.Pending(); got != 0 {
		t.Errorf("Pending() = %d, want 0", got)
	}
	if backwards != 0 {
		t.Errorf("%d callbacks saw Now() earlier than a previous callback", backwards)
	}
}

func TestManualConcurrentAdvanceSerialized(t *testing.T) {
	const timers = 1000
	m := clock.NewManual(start)
	var running, overlaps, fired atomic.Int64
	for i := range timers {
		m.AfterFunc(time.Duration(i)*time.Millisecond, func() {
			if running.Add(1) != 1 {
				overlaps.Add(1)
			}
			fired.Add(1)
			running.Add(-1)
		})
	}

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				m.Advance(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()

	if got := overlaps.Load(); got != 0 {
		t.Errorf("%d callbacks ran while another was running", got)
	}
	if got := fired.Load(); got != timers {
		t.Errorf("fired %d timers, want %d", got, timers)
	}
	// 8 goroutines each advance 20 times by 10ms, and concurrent Advance
	// calls must add up rather than overlap.
	if got, want := m.Now(), start.Add(1600*time.Millisecond); !got.Equal(want) {
		t.Errorf("Now() = %v, want %v", got, want)
	}
}

func TestNewScaledRejectsInvalidFactor(t *testing.T) {
	tests := []struct {
		factor float64
		value  string
	}{
		{0, "0"},
		{-1, "-1"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "+Inf"},
		{math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			s, err := clock.NewScaled(tt.factor)
			if err == nil {
				t.Fatalf("NewScaled(%v) error = nil, want an error", tt.factor)
			}
			if s != nil {
				t.Errorf("NewScaled(%v) clock = %v, want nil", tt.factor, s)
			}
			want := "clock: invalid time scale " + tt.value + ": must be a finite number greater than 0"
			if got := err.Error(); got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
		})
	}
}

func TestNewScaledAcceptsPositiveFactor(t *testing.T) {
	for _, factor := range []float64{1e-9, 0.5, 1, 60, 1e6} {
		s, err := clock.NewScaled(factor)
		if err != nil {
			t.Errorf("NewScaled(%v) error = %v", factor, err)
			continue
		}
		if got := s.Factor(); got != factor {
			t.Errorf("Factor() = %v, want %v", got, factor)
		}
	}
}

func TestScaledNowStartsAtWallTime(t *testing.T) {
	before := time.Now().Round(0)
	s, err := clock.NewScaled(1)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Now(); got.Before(before) {
		t.Errorf("Now() = %v, before the creation wall time %v", got, before)
	}
}

func TestScaledNowRunsFaster(t *testing.T) {
	const factor = 1000
	s, err := clock.NewScaled(factor)
	if err != nil {
		t.Fatal(err)
	}

	platformStart := s.Now()
	wallStart := time.Now()
	time.Sleep(20 * time.Millisecond)
	wallElapsed := time.Since(wallStart)
	platformElapsed := s.Now().Sub(platformStart)

	// The wall interval lies inside the platform interval, so platform time
	// passed at least factor times the measured wall time. The microsecond
	// allows for float64 rounding.
	if wantMin := wallElapsed*factor - time.Microsecond; platformElapsed < wantMin {
		t.Errorf("platform time advanced %v during %v of wall time, want at least %v", platformElapsed, wallElapsed, wantMin)
	}
}

func TestScaledNowSaturates(t *testing.T) {
	s, err := clock.NewScaled(1e300)
	if err != nil {
		t.Fatal(err)
	}
	created := time.Now().Round(0)
	time.Sleep(time.Millisecond)
	// Any elapsed wall time times 1e300 overflows a Duration, which must
	// saturate at about 292 years rather than wrap to a negative value.
	if got, wantMin := s.Now(), created.Add(200*365*24*time.Hour); got.Before(wantMin) {
		t.Errorf("Now() = %v, want after %v", got, wantMin)
	}
}

func TestScaledAfterFuncFires(t *testing.T) {
	const (
		factor = 1000
		delay  = 2 * time.Second
	)
	s, err := clock.NewScaled(factor)
	if err != nil {
		t.Fatal(err)
	}

	scheduled := s.Now()
	firedAt := make(chan time.Time, 1)
	s.AfterFunc(delay, func() { firedAt <- s.Now() })

	select {
	case at := <-firedAt:
		if elapsed := at.Sub(scheduled); elapsed < delay-time.Microsecond {
			t.Errorf("callback ran after %v of platform time, want at least %v", elapsed, delay)
		}
	case <-time.After(time.Minute):
		t.Fatalf("callback did not run within a minute of wall time")
	}
}

func TestScaledAfterFuncNonPositiveFires(t *testing.T) {
	s, err := clock.NewScaled(1)
	if err != nil {
		t.Fatal(err)
	}
	fired := make(chan struct{}, 2)
	s.AfterFunc(0, func() { fired <- struct{}{} })
	s.AfterFunc(-time.Hour, func() { fired <- struct{}{} })
	for i := range 2 {
		select {
		case <-fired:
		case <-time.After(time.Minute):
			t.Fatalf("only %d of 2 callbacks ran within a minute", i)
		}
	}
}

func TestScaledStop(t *testing.T) {
	s, err := clock.NewScaled(1)
	if err != nil {
		t.Fatal(err)
	}
	timer := s.AfterFunc(time.Hour, func() { t.Errorf("stopped timer fired") })
	if !timer.Stop() {
		t.Errorf("first Stop() on a pending timer = false, want true")
	}
	if timer.Stop() {
		t.Errorf("second Stop() = true, want false")
	}

	fired := make(chan struct{})
	done := s.AfterFunc(time.Millisecond, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(time.Minute):
		t.Fatalf("callback did not run within a minute")
	}
	if done.Stop() {
		t.Errorf("Stop() on a fired timer = true, want false")
	}
}

func TestScaledStopPreventsFiring(t *testing.T) {
	// 5s of platform time at factor 10 is 500ms of wall time, so Stop runs
	// well before the timer is due.
	s, err := clock.NewScaled(10)
	if err != nil {
		t.Fatal(err)
	}
	var fired atomic.Bool
	timer := s.AfterFunc(5*time.Second, func() { fired.Store(true) })
	if !timer.Stop() {
		t.Fatalf("Stop() = false, want true")
	}
	time.Sleep(time.Second)
	if fired.Load() {
		t.Errorf("stopped timer fired")
	}
}

func TestScaledAfterFuncSaturates(t *testing.T) {
	// math.MaxInt64 / 1e-300 overflows a Duration, and the wait must
	// saturate instead of wrapping to a negative value that fires at once.
	s, err := clock.NewScaled(1e-300)
	if err != nil {
		t.Fatal(err)
	}
	timer := s.AfterFunc(math.MaxInt64, func() { t.Errorf("saturated timer fired") })
	if !timer.Stop() {
		t.Errorf("Stop() = false, want true")
	}
}

func TestRealNow(t *testing.T) {
	before := time.Now()
	got := clock.Real().Now()
	if got.Before(before) {
		t.Errorf("Now() = %v, before %v", got, before)
	}
}

func TestRealAfterFuncFires(t *testing.T) {
	fired := make(chan struct{})
	timer := clock.Real().AfterFunc(time.Millisecond, func() { close(fired) })
	select {
	case <-fired:
	case <-time.After(time.Minute):
		t.Fatalf("callback did not run within a minute")
	}
	if timer.Stop() {
		t.Errorf("Stop() on a fired timer = true, want false")
	}
}

func TestRealStop(t *testing.T) {
	timer := clock.Real().AfterFunc(time.Hour, func() { t.Errorf("stopped timer fired") })
	if !timer.Stop() {
		t.Errorf("Stop() = false, want true")
	}
}

func TestAfterFuncNilPanics(t *testing.T) {
	scaled, err := clock.NewScaled(1)
	if err != nil {
		t.Fatal(err)
	}
	clocks := map[string]clock.Clock{
		"Real":   clock.Real(),
		"Scaled": scaled,
		"Manual": clock.NewManual(start),
	}
	for name, c := range clocks {
		t.Run(name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil {
					t.Fatalf("AfterFunc(nil) did not panic")
				}
				if msg, _ := r.(string); !strings.HasPrefix(msg, "clock: ") {
					t.Errorf("panic value = %v, want a message starting with %q", r, "clock: ")
				}
			}()
			c.AfterFunc(time.Second, nil)
		})
	}
}

func TestManualStopManyKeepsOrder(t *testing.T) {
	m := clock.NewManual(start)
	var r recorder
	timers := make([]clock.Timer, 200)
	for i := range timers {
		// Due in reverse creation order, so the heap order matters.
		d := time.Duration(len(timers)-i) * time.Second
		timers[i] = m.AfterFunc(d, r.callback(m, d.String()))
	}
	var want []string
	for i, tm := range timers {
		if i%4 != 0 {
			if !tm.Stop() {
				t.Fatalf("Stop() on pending timer %d = false, want true", i)
			}
			continue
		}
		want = append([]string{(time.Duration(len(timers)-i) * time.Second).String()}, want...)
	}
	if got := m.Pending(); got != len(want) {
		t.Errorf("Pending() after stopping = %d, want %d", got, len(want))
	}

	m.Advance(time.Hour)

	if got := r.names(); !equalStrings(got, want) {
		t.Errorf("firing order = %v, want %v", got, want)
	}
	if got := m.Pending(); got != 0 {
		t.Errorf("Pending() after Advance = %d, want 0", got)
	}
}

// TestManualFiresManyTimersInOrder schedules timers with random due
// times, many of them equal or a nanosecond apart, stops some, and
// checks that the rest fire in due order and, at equal due times, in
// creation order.
func TestManualFiresManyTimersInOrder(t *testing.T) {
	m := clock.NewManual(start)
	rng := rand.New(rand.NewPCG(1, 2))
	type planned struct {
		due     time.Time
		created int
	}
	var (
		mu    sync.Mutex
		fired []planned
		want  []planned
	)
	for i := range 5000 {
		d := time.Duration(rng.IntN(50))*time.Second + time.Duration(rng.IntN(3))*time.Nanosecond
		p := planned{due: start.Add(d), created: i}
		tm := m.AfterFunc(d, func() {
			mu.Lock()
			defer mu.Unlock()
			fired = append(fired, p)
		})
		if rng.IntN(5) == 0 {
			tm.Stop()
			continue
		}
		want = append(want, p)
	}
	slices.SortStableFunc(want, func(a, b planned) int { return a.due.Compare(b.due) })

	m.Advance(time.Minute)

	mu.Lock()
	defer mu.Unlock()
	if len(fired) != len(want) {
		t.Fatalf("%d timers fired, want %d", len(fired), len(want))
	}
	for i := range want {
		if fired[i] != want[i] {
			t.Fatalf("firing %d = timer %d due %v, want timer %d due %v", i, fired[i].created, fired[i].due, want[i].created, want[i].due)
		}
	}
}
