// Package clock provides the single clock that drives every platform delay,
// such as processing step durations and webhook retry waits.
//
// Code that waits calls a Clock instead of the time package, so the same
// code runs in real time (Real), faster than real time (Scaled), or
// under full test control where time moves only when the test says so
// (Manual).
package clock

import "time"

// Clock is a source of platform time and of delayed calls.
type Clock interface {
	// Now returns the current platform time.
	Now() time.Time
	// AfterFunc arranges for f to be called once d of platform time has
	// passed. A d <= 0 means as soon as possible.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call created by AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not started. It reports whether it
	// prevented the call, and returns false if the call has already started
	// or the timer was already stopped, as time.Timer.Stop does.
	Stop() bool
}

// checkFunc panics on a nil callback at scheduling time, because a nil f
// would otherwise panic later in a timer goroutine or inside Step, far from
// the faulty call.
func checkFunc(f func()) {
	if f == nil {
		panic("clock: AfterFunc called with a nil func")
	}
}
