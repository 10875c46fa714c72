package clock

import "time"

// realClock is the Clock backed directly by the time package.
type realClock struct{}

// Real returns a Clock backed by the time package. Now is time.Now, and
// AfterFunc is time.AfterFunc, so f runs in its own goroutine.
func Real() Clock {
	return realClock{}
}

func (realClock) Now() time.Time {
	return time.Now()
}

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	checkFunc(f)
	return time.AfterFunc(d, f)
}
