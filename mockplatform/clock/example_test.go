package clock_test

import (
	"fmt"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

func ExampleManual() {
	start := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	m := clock.NewManual(start)

	for _, d := range []time.Duration{3 * time.Second, time.Second, 2 * time.Second} {
		m.AfterFunc(d, func() {
			fmt.Println("timer", d, "fired at", m.Now().Format(time.TimeOnly))
		})
	}
	fmt.Println("pending:", m.Pending())

	m.Advance(5 * time.Second)
	fmt.Println("now:", m.Now().Format(time.TimeOnly))
	fmt.Println("pending:", m.Pending())

	// Output:
	// pending: 3
	// timer 1s fired at 09:00:01
	// timer 2s fired at 09:00:02
	// timer 3s fired at 09:00:03
	// now: 09:00:05
	// pending: 0
}

func ExampleManual_Step() {
	start := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	m := clock.NewManual(start)
	m.AfterFunc(time.Minute, func() { fmt.Println("retry 1") })
	m.AfterFunc(time.Hour, func() { fmt.Println("retry 2") })

	limit := start.Add(2 * time.Hour)
	for {
		instant, ok := m.Step(limit)
		if !ok {
			break
		}
		fmt.Println("stepped to", instant.Format(time.TimeOnly))
	}

	// Output:
	// retry 1
	// stepped to 09:01:00
	// retry 2
	// stepped to 10:00:00
}

func ExampleNewScaled() {
	if _, err := clock.NewScaled(0); err != nil {
		fmt.Println(err)
	}

	s, err := clock.NewScaled(60)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("factor:", s.Factor())

	// Output:
	// clock: invalid time scale 0: must be a finite number greater than 0
	// factor: 60
}
