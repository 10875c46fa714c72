package clock

import (
	"fmt"
	"math"
	"time"
)

// Scaled is a Clock on which platform time passes Factor times faster than
// wall time, starting from the wall time at which it was created.
// It is safe for concurrent use.
type Scaled struct {
	factor float64
	// start carries the monotonic clock reading used to measure elapsed wall
	// time, so wall clock jumps do not move platform time.
	start time.Time
	// origin is start without its monotonic reading. Platform times are
	// derived from it, so they carry no monotonic reading of their own that
	// Sub or comparisons with real times would silently prefer.
	origin time.Time
}

// NewScaled returns a Scaled clock whose platform time passes factor times
// faster than wall time. It returns an error unless factor is a finite number
// greater than 0.
func NewScaled(factor float64) (*Scaled, error) {
	// !(factor > 0) also rejects NaN, for which every comparison is false.
	if !(factor > 0) || math.IsInf(factor, 0) {
		return nil, fmt.Errorf("clock: invalid time scale %v: must be a finite number greater than 0", factor)
	}
	start := time.Now()
	return &Scaled{factor: factor, start: start, origin: start.Round(0)}, nil
}

// Factor returns how many times faster than wall time platform time passes.
func (s *Scaled) Factor() float64 {
	return s.factor
}

// Now returns the creation wall time plus the wall time elapsed since then
// multiplied by Factor.
func (s *Scaled) Now() time.Time {
	elapsed := time.Since(s.start)
	return s.origin.Add(clampDuration(float64(elapsed) * s.factor))
}

// AfterFunc calls f in its own goroutine after d/Factor of wall time. The wait
// is rounded up to a whole nanosecond so that f does not run early, and a
// d <= 0 schedules f immediately.
func (s *Scaled) AfterFunc(d time.Duration, f func()) Timer {
	checkFunc(f)
	wait := time.Duration(0)
	if d > 0 {
		wait = clampDuration(math.Ceil(float64(d) / s.factor))
	}
	return time.AfterFunc(wait, f)
}

// clampDuration converts nanoseconds to a Duration, saturating at the int64
// limits because converting an out-of-range float64 to an integer gives an
// implementation-dependent value in Go.
func clampDuration(nanoseconds float64) time.Duration {
	// float64(math.MaxInt64) rounds up to 2^63, which is itself out of range.
	if nanoseconds >= float64(math.MaxInt64) {
		return math.MaxInt64
	}
	if nanoseconds <= float64(math.MinInt64) {
		return math.MinInt64
	}
	return time.Duration(nanoseconds)
}
