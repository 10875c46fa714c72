package scenarios

import (
	"testing"

	"github.com/parashift-mock/parashift-mock/assertions"
)

// RunT runs sc like Run, with the test's context, and fails tb once
// for every check that did not pass, with the check's report. An
// inconclusive check fails too, because a scenario lists the checks it
// means to exercise. An error of Run, such as an unreachable consumer,
// stops the test.
func RunT(tb testing.TB, sc Scenario, opts RunOptions) Report {
	tb.Helper()
	rep, err := Run(tb.Context(), sc, opts)
	if err != nil {
		tb.Fatalf("scenario %s: %v", sc.Name, err)
	}
	for _, res := range rep.Results {
		if res.Status != assertions.Passed {
			tb.Errorf("scenario %s: %s", sc.Name, res.Report())
		}
	}
	return rep
}
