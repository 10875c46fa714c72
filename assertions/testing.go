package assertions

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// RunAll runs every check with Run at the same time and returns their
// results in the order of checks.
func RunAll(ctx context.Context, src Source, checks ...Check) []Result {
	results := make([]Result, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() { results[i] = Run(ctx, src, c) })
	}
	wg.Wait()
	return results
}

// Require runs the checks like RunAll and fails tb once for every check
// that did not pass, with its summary, diff and evidence. An
// inconclusive check fails too: a test that names a check expects the
// scenario to exercise it.
func Require(tb testing.TB, ctx context.Context, src Source, checks ...Check) []Result {
	tb.Helper()
	results := RunAll(ctx, src, checks...)
	for _, r := range results {
		if r.Status != Passed {
			tb.Error(r.Report())
		}
	}
	return results
}

// Report formats the result for a person: the verdict and summary, the
// diff if any, and one line per piece of evidence.
func (r Result) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", r.Check, r.Status, r.Summary)
	if r.Diff != "" {
		fmt.Fprintf(&b, "\n%s", r.Diff)
	}
	for _, e := range r.Evidence {
		fmt.Fprintf(&b, "\n  - %s", e)
	}
	return b.String()
}
