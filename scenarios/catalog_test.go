package scenarios_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/examples/consumer"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

func TestCatalogIsComplete(t *testing.T) {
	catalog := scenarios.Catalog()
	if len(catalog) < 12 {
		t.Errorf("catalog has %d scenarios, want at least 12", len(catalog))
	}
	checks := map[string]bool{}
	for _, sc := range catalog {
		if sc.Summary() == "" || !strings.Contains(sc.Description, "Proves") {
			t.Errorf("scenario %s: description %q lacks a summary line or a sentence that starts with \"Proves\"", sc.Name, sc.Description)
		}
		if len(sc.Summary()) > 70 {
			t.Errorf("scenario %s: summary is %d characters, want at most 70 for listings: %q", sc.Name, len(sc.Summary()), sc.Summary())
		}
		for _, c := range sc.Checks {
			checks[c.Name] = true
		}
	}
	for _, name := range scenarios.CheckNames() {
		if !checks[name] {
			t.Errorf("no scenario of the catalog runs the check %s", name)
		}
	}
	if got, want := len(scenarios.CatalogNames()), len(catalog); got != want {
		t.Errorf("CatalogNames has %d names, Catalog %d scenarios", got, want)
	}
}

func TestCatalogLookup(t *testing.T) {
	sc, ok := scenarios.Lookup("duplicates")
	if !ok {
		t.Fatal(`Lookup("duplicates") found nothing`)
	}
	if sc.Name != "duplicates" || len(sc.Checks) == 0 {
		t.Errorf(`Lookup("duplicates") = %+v, want the duplicates scenario with its checks`, sc)
	}
	// Changing the returned value must not change the catalog.
	sc.Checks[0].Name = "changed"
	again, _ := scenarios.Lookup("duplicates")
	if again.Checks[0].Name == "changed" {
		t.Error("a change to a scenario from Lookup reached the catalog")
	}
	if _, ok := scenarios.Lookup("no-such-scenario"); ok {
		t.Error(`Lookup("no-such-scenario") found a scenario`)
	}
	src, ok := scenarios.Source("duplicates")
	if !ok || !bytes.Contains(src, []byte("name: duplicates")) {
		t.Errorf(`Source("duplicates") = %q, %v, want the YAML of the scenario`, src, ok)
	}
}

// TestCatalogPassesReferenceConsumer runs every built-in scenario
// against the correct reference consumer and requires every check to
// pass: a failure here is a false alarm of the catalog.
func TestCatalogPassesReferenceConsumer(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole catalog, about a minute of wall time; skipped with -short")
	}
	for _, sc := range scenarios.Catalog() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			opts := referenceConsumer(t, consumer.DefectNone)
			rep := scenarios.RunT(t, sc, opts)
			t.Logf("%s: %s in %s", sc.Name, rep.Status(), rep.Duration)
			for _, r := range rep.Results {
				t.Logf("  %s: %s", r.Check, r.Summary)
			}
			if got, want := len(rep.Results), len(sc.Checks); got != want {
				t.Errorf("report has %d results, want one per check, %d", got, want)
			}
		})
	}
}

// TestCatalogCatchesDefects runs the reference consumer with each of
// its deliberate defects, except no-dedupe, which
// TestDuplicatesCatchesNoDedupe covers, through the scenario that
// targets it and requires the check aimed at the defect to fail.
func TestCatalogCatchesDefects(t *testing.T) {
	if testing.Short() {
		t.Skip("runs eleven scenarios of up to 8s each; skipped with -short")
	}
	tests := []struct {
		defect   consumer.Defect
		scenario string
		check    string
	}{
		{consumer.DefectSlowAck, "slow-ack", "acks-fast"},
		{consumer.DefectNoAuthCheck, "missing-auth", "rejects-unauthenticated"},
		{consumer.DefectFailUnknownTopic, "forward-compatible", "forward-compatible"},
		{consumer.DefectStrictDecoding, "forward-compatible", "forward-compatible"},
		{consumer.DefectLastEventWins, "reordering", "order-robust"},
		{consumer.DefectNoPolling, "lost-terminal", "polls-for-lost"},
		{consumer.DefectPollStorm, "lost-terminal", "polls-politely"},
		{consumer.DefectPollTerminal, "lost-terminal", "polls-politely"},
		{consumer.DefectIgnoreRetryAfter, "api-throttling", "retries-politely"},
		{consumer.DefectNoRetry5xx, "api-errors", "retries-politely"},
		{consumer.DefectRetry404Forever, "api-errors", "retries-politely"},
	}
	for _, tt := range tests {
		t.Run(string(tt.defect), func(t *testing.T) {
			t.Parallel()
			sc, ok := scenarios.Lookup(tt.scenario)
			if !ok {
				t.Fatalf("the catalog has no %s scenario", tt.scenario)
			}
			rep, err := scenarios.Run(t.Context(), sc, referenceConsumer(t, tt.defect))
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			i := slices.IndexFunc(rep.Results, func(r assertions.Result) bool { return r.Check == tt.check })
			if i < 0 {
				t.Fatalf("scenario %s has no %s result: %+v", tt.scenario, tt.check, rep.Results)
			}
			if got := rep.Results[i]; got.Status != assertions.Failed {
				t.Errorf("%s against defect %s:\n%s\nwant failed", tt.check, tt.defect, got.Report())
			}
		})
	}
}

// TestDuplicatesCatchesNoDedupe runs the duplicates scenario against a
// consumer that acts on every delivery and requires idempotent to
// fail.
func TestDuplicatesCatchesNoDedupe(t *testing.T) {
	t.Parallel()
	sc, ok := scenarios.Lookup("duplicates")
	if !ok {
		t.Fatal("the catalog has no duplicates scenario")
	}
	rep, err := scenarios.Run(t.Context(), sc, referenceConsumer(t, consumer.DefectNoDedupe))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	i := slices.IndexFunc(rep.Results, func(r assertions.Result) bool { return r.Check == "idempotent" })
	if i < 0 {
		t.Fatalf("report has no idempotent result: %+v", rep.Results)
	}
	if got := rep.Results[i]; got.Status != assertions.Failed {
		t.Errorf("idempotent against a consumer without deduplication:\n%s\nwant failed", got.Report())
	}
	if rep.Passed() || rep.Status() != scenarios.ReportFailed {
		t.Errorf("report status %s, Passed %v, want failed", rep.Status(), rep.Passed())
	}
}
