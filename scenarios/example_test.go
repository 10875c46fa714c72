package scenarios_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/parashift-mock/parashift-mock/scenarios"
)

func ExampleRun() {
	// A consumer that acknowledges every webhook at once.
	consumer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer consumer.Close()

	sc, err := scenarios.Parse("quick.yaml", []byte(`
description: Three documents pass straight through.
documents:
  - count: 3
    profile: straight-through
checks:
  - name: acks-fast
    deadline: 1s
limits:
  settle: 200ms
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := scenarios.Run(context.Background(), sc, scenarios.RunOptions{ConsumerURL: consumer.URL + "/webhooks"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Scenario, rep.Status())
	for _, r := range rep.Results {
		fmt.Printf("%s: %s: %s\n", r.Check, r.Status, r.Summary)
	}
	// Output:
	// quick passed
	// acks-fast: passed: all 27 valid webhook attempts passed
}

func ExampleParse_error() {
	_, err := scenarios.Parse("orders.yaml", []byte(`
documents:
  - count: 5
    profile: straight-through
checks:
  - name: acks-fast
    timeout: 1s
`))
	fmt.Println(err)
	// Output:
	// orders.yaml:7: checks[0].timeout: unknown key "timeout": valid keys of a checks entry are name, deadline, overdue, max_rate, grace, min_delay, max_attempts, retry_within, no_retry_window, tolerance
}

func ExampleCatalog() {
	for _, sc := range scenarios.Catalog()[:3] {
		fmt.Println(sc.Name)
	}
	// Output:
	// happy-path
	// manual-levels
	// stage-failures
}
