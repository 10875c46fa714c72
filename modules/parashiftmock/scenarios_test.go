package parashiftmock_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/modules/parashiftmock"
)

// ownScenario is a scenario file of the test's own, which Run copies
// into the container.
const ownScenario = `name: two-invoices
description: Two invoices pass straight through and are acked fast.
documents:
  - count: 2
    profile: straight-through
    external_id: "invoice-{n}"
checks:
  - name: acks-fast
    deadline: 1s
limits:
  timeout: 30s
  settle: 1s
`

// TestScenariosAgainstConsumerContainer runs a built-in scenario and a
// scenario file in a scenario-mode container against the reference
// consumer in another container, and reads the verdicts.
func TestScenariosAgainstConsumerContainer(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	file := filepath.Join(t.TempDir(), "two-invoices.yaml")
	if err := os.WriteFile(file, []byte(ownScenario), 0o644); err != nil {
		t.Fatal(err)
	}

	nw := newTestNetwork(t, ctx)
	mockAddr, consumerAddr := nw.addr(2), nw.addr(3)
	startConsumer(t, ctx, nw, consumerAddr, mockAddr)

	ctr, err := parashiftmock.Run(ctx, mockImage,
		testcontainers.WithLogger(tclog.TestLogger(t)),
		onNetwork(nw, "mock", mockAddr),
		parashiftmock.WithScenarios("http://"+consumerAddr+":9000/webhooks", "lost-terminal", file),
		parashiftmock.WithConsumerHeader("Authorization", "Bearer "+webhookSecret),
		parashiftmock.WithSeed(3),
		parashiftmock.WithScenarioTimeout(3*time.Minute),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("run the scenarios: %v", err)
	}
	report, err := ctr.ScenarioReport(ctx)
	if err != nil {
		t.Fatalf("ScenarioReport: %v", err)
	}
	if report.ExitCode != 0 || !report.Passed {
		t.Errorf("exit code %d, passed %v; want 0 and true", report.ExitCode, report.Passed)
	}
	if len(report.Reports) != 2 {
		t.Fatalf("got %d scenario reports, want 2", len(report.Reports))
	}
	for i, want := range []string{"lost-terminal", "two-invoices"} {
		r := report.Reports[i]
		if r.Scenario != want {
			t.Errorf("report %d is scenario %q, want %q", i, r.Scenario, want)
		}
		if r.Duration <= 0 {
			t.Errorf("scenario %s has duration %s, want the time it ran", r.Scenario, r.Duration)
		}
		if r.Seed != 3 {
			t.Errorf("scenario %s ran with seed %d, want 3", r.Scenario, r.Seed)
		}
		if len(r.Results) == 0 {
			t.Errorf("scenario %s has no check results", r.Scenario)
		}
		for _, res := range r.Results {
			if res.Status != assertions.Passed {
				t.Errorf("scenario %s: %s", r.Scenario, res.Report())
			}
		}
	}
	if ctr.Client() != nil || ctr.BaseURL() != "" {
		t.Errorf("a scenario-mode container has client %v and base URL %q, want none", ctr.Client(), ctr.BaseURL())
	}
}

// TestScenarioReportOfUnreachableConsumer runs a scenario against an
// address on the test network where nothing listens: the container
// exits with status 1 and the report names the unreachable consumer.
func TestScenarioReportOfUnreachableConsumer(t *testing.T) {
	requireDocker(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	nw := newTestNetwork(t, ctx)
	ctr, err := parashiftmock.Run(ctx, mockImage,
		testcontainers.WithLogger(tclog.TestLogger(t)),
		onNetwork(nw, "mock", nw.addr(2)),
		parashiftmock.WithScenarios("http://"+nw.addr(3)+":9000/webhooks", "happy-path"),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("run the scenario: %v", err)
	}
	report, err := ctr.ScenarioReport(ctx)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 scenarios did not pass") {
		t.Errorf("ScenarioReport error = %v, want one scenario that did not pass", err)
	}
	if report == nil {
		t.Fatal("ScenarioReport returned no report with its error")
	}
	if report.ExitCode != 1 || report.Passed {
		t.Errorf("exit code %d, passed %v; want 1 and false", report.ExitCode, report.Passed)
	}
	if len(report.Reports) != 1 || !strings.Contains(report.Reports[0].Error, "unreachable") {
		t.Errorf("reports = %+v, want one that names the unreachable consumer", report.Reports)
	}
}
