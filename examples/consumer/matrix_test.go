package consumer

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
)

var updateMatrix = flag.Bool("update-matrix", false, "write the detection matrix to docs/detection-matrix.md")

// matrixSeeds are the seeds the detection matrix runs each consumer
// with; they change which events the probabilistic faults hit.
var matrixSeeds = []uint64{1, 2, 3}

// target names the check each defect must fail.
var target = map[Defect]string{
	DefectNoDedupe:         "idempotent",
	DefectSlowAck:          "acks-fast",
	DefectNoAuthCheck:      "rejects-unauthenticated",
	DefectFailUnknownTopic: "forward-compatible",
	DefectStrictDecoding:   "forward-compatible",
	DefectLastEventWins:    "order-robust",
	DefectNoPolling:        "polls-for-lost",
	DefectPollStorm:        "polls-politely",
	DefectPollTerminal:     "polls-politely",
	DefectIgnoreRetryAfter: "retries-politely",
	DefectNoRetry5xx:       "retries-politely",
	DefectRetry404Forever:  "retries-politely",
}

// gauntletOverdue is the consumers' overdue threshold in the matrix.
const gauntletOverdue = time.Second

// gauntletChecks are the eight checks with the parameters the matrix
// uses. AcksFast allows 2s, under the 3s of slow-ack and far above
// what the correct consumer needs on a loaded machine; the matrix
// records the slowest correct ack it saw.
func gauntletChecks() []assertions.Check {
	return []assertions.Check{
		assertions.AcksFast{Deadline: 2 * time.Second},
		assertions.RejectsUnauthenticated{},
		assertions.ForwardCompatible{},
		assertions.Idempotent{},
		assertions.OrderRobust{},
		assertions.PollsForLost{Overdue: gauntletOverdue, Deadline: 3 * time.Second},
		assertions.PollsPolitely{MaxRate: DefaultMaxPollRate + 2},
		// A request more than 600ms after a failure counts as a new
		// poll, not a retry: the consumers poll a document again after
		// gauntletOverdue, less up to 200ms that the rate limiter held
		// the failed poll back. The correct consumer retries within
		// 50 to 100ms of backoff plus up to 200ms of rate limiting.
		assertions.RetriesPolitely{MaxAttempts: DefaultMaxAttempts, MinDelay: 25 * time.Millisecond, RetryWithin: 600 * time.Millisecond},
	}
}

// gauntletRules put every fault the checks need into one scenario.
func gauntletRules() []mockplatform.Rule {
	anyDocument := mockplatform.Match{Path: "/v2/documents/*", Methods: []string{"GET"}}
	return []mockplatform.Rule{
		{ID: "dup", Fault: mockplatform.FaultDuplicate, NewRequestID: true, Concurrent: true, When: mockplatform.When{Probability: 0.2}},
		{ID: "lost-ack", Fault: mockplatform.FaultLostAck, Match: mockplatform.Match{Attempts: []int{1}}, When: mockplatform.When{Probability: 0.1}},
		{ID: "late-extraction", Fault: mockplatform.FaultReorder, Match: mockplatform.Match{
			Topics: []mockplatform.Topic{mockplatform.TopicExtractionDone}, ExternalID: "keep-*"}},
		{ID: "lose-final", Fault: mockplatform.FaultDrop, Match: mockplatform.Match{
			Topics: []mockplatform.Topic{mockplatform.TopicProcessingFinished, mockplatform.TopicProcessingFailed}, ExternalID: "drop-*"}},
		{ID: "no-auth", Fault: mockplatform.FaultHeaders, When: mockplatform.When{Nth: 1}},
		{ID: "new-topic", Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptUnknownTopic, When: mockplatform.When{Nth: 2}},
		{ID: "new-fields", Fault: mockplatform.FaultCorrupt, Corruption: mockplatform.CorruptExtraAttributes, When: mockplatform.When{Nth: 3}},
		{ID: "throttle", Fault: mockplatform.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: time.Second,
			Match: anyDocument, When: mockplatform.When{Nth: 1}},
		{ID: "outage", Fault: mockplatform.FaultStatus, Status: http.StatusServiceUnavailable,
			Match: anyDocument, When: mockplatform.When{Nth: 3}},
		{ID: "not-yet", Fault: mockplatform.FaultStatus, Status: http.StatusNotFound,
			Match: anyDocument, When: mockplatform.When{Nth: 5}},
	}
}

// runGauntlet runs one consumer through the gauntlet and judges it
// with every check once the platform has settled. It also returns the
// record the checks read.
func runGauntlet(t *testing.T, defect Defect, seed uint64) ([]assertions.Result, assertions.Record) {
	cfg := Config{Defect: defect, EffectsURL: mockEffectsSink, Overdue: gauntletOverdue, PollInterval: 50 * time.Millisecond}
	e := startEnv(t, cfg, mockplatform.Options{Seed: seed, Rules: gauntletRules()})
	profiles := []string{"straight-through", "manual-all", "fail-extraction"}
	for i := range 6 {
		prefix := "keep"
		if i%2 == 0 {
			prefix = "drop"
		}
		e.upload(mockplatform.Upload{ExternalID: fmt.Sprintf("%s-%d", prefix, i), Profile: profiles[i%len(profiles)]})
	}

	// Every event ends within seconds for a consumer that acks; a slow
	// one may not, and is judged on what happened by then.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = e.p.WaitIdle(ctx)
	// Polls for dropped webhooks, their retries, a poll held back by
	// a 404 and the checks' windows end within this settling time.
	time.Sleep(gauntletOverdue + DefaultNotFoundWait + time.Second)

	rec, err := assertions.FromPlatform(e.p).Record(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return assertions.Final(rec, gauntletChecks()...), rec
}

// matrixRow is one consumer's results under one seed.
type matrixRow struct {
	defect  Defect
	seed    uint64
	results []assertions.Result
	rec     assertions.Record
}

func TestDetectionMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 39 consumers for about 8s each; skipped with -short")
	}
	consumers := append([]Defect{DefectNone}, Defects...)
	var mu sync.Mutex
	var rows []matrixRow
	t.Run("run", func(t *testing.T) {
		for _, seed := range matrixSeeds {
			for _, d := range consumers {
				t.Run(fmt.Sprintf("seed%d/%s", seed, nameOf(d)), func(t *testing.T) {
					t.Parallel()
					results, rec := runGauntlet(t, d, seed)
					mu.Lock()
					rows = append(rows, matrixRow{d, seed, results, rec})
					mu.Unlock()
					judgeRow(t, d, results)
				})
			}
		}
	})
	matrix := renderMatrix(rows, consumers) + "\n" + renderMargins(rows)
	t.Log("\n" + matrix)
	if *updateMatrix {
		path := filepath.Join("..", "..", "docs", "detection-matrix.md")
		if err := os.WriteFile(path, []byte(matrixPage(matrix)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func nameOf(d Defect) string {
	if d == DefectNone {
		return "correct"
	}
	return string(d)
}

// judgeRow requires the correct consumer to pass every check and a
// defective one to fail the check aimed at its defect.
func judgeRow(t *testing.T, d Defect, results []assertions.Result) {
	t.Helper()
	for _, r := range results {
		switch {
		case d == DefectNone && r.Status != assertions.Passed:
			t.Errorf("false alarm on the correct consumer:\n%s", r.Report())
		case d != DefectNone && r.Check == target[d] && r.Status != assertions.Failed:
			t.Errorf("defect %s not caught by %s:\n%s", d, r.Check, r.Report())
		}
	}
}

// renderMatrix formats the results as a Markdown table: one row per
// consumer, one column per check, each cell the verdicts of the seeds.
func renderMatrix(rows []matrixRow, consumers []Defect) string {
	checks := gauntletChecks()
	var b strings.Builder
	b.WriteString("| consumer | aimed at |")
	for _, c := range checks {
		b.WriteString(" " + c.Name() + " |")
	}
	b.WriteString("\n|---|---|" + strings.Repeat("---|", len(checks)) + "\n")
	for _, d := range consumers {
		fmt.Fprintf(&b, "| %s | %s |", nameOf(d), target[d])
		for _, c := range checks {
			var cells []string
			for _, seed := range matrixSeeds {
				cells = append(cells, cell(rows, d, seed, c.Name()))
			}
			b.WriteString(" " + strings.Join(cells, " ") + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cell(rows []matrixRow, d Defect, seed uint64, check string) string {
	for _, r := range rows {
		if r.defect != d || r.seed != seed {
			continue
		}
		for _, res := range r.results {
			if res.Check == check {
				return map[assertions.Status]string{
					assertions.Passed: "pass", assertions.Failed: "**FAIL**", assertions.Inconclusive: "n/a",
				}[res.Status]
			}
		}
	}
	return "?"
}

// renderMargins reports, for the timing checks, the worst value the
// correct consumer showed and the best value of the defect the check
// must catch, measured on this run's machine, beside the check's limit.
func renderMargins(rows []matrixRow) string {
	var b strings.Builder
	b.WriteString("| timing check | limit | correct consumer, worst | defect, best |\n|---|---|---|---|\n")
	ack := func(d Defect, worst bool) time.Duration {
		return extreme(rows, d, worst, func(rec assertions.Record) []time.Duration {
			var out []time.Duration
			for _, dl := range rec.Deliveries {
				if dl.Outcome != mockplatform.OutcomeDropped && dl.StatusCode >= 200 && dl.StatusCode < 300 && dl.Fault == "" {
					out = append(out, dl.Latency)
				}
			}
			return out
		})
	}
	fmt.Fprintf(&b, "| acks-fast: answer time of a valid webhook | 2s | %s | %s (slow-ack) |\n",
		ack(DefectNone, true).Round(time.Millisecond), ack(DefectSlowAck, false).Round(time.Millisecond))
	gap := func(d Defect, worst bool) time.Duration {
		return extreme(rows, d, worst, gapsAfter5xx)
	}
	fmt.Fprintf(&b, "| retries-politely: wait before the request after a 5xx | a retry within 600ms | %s | %s (no-retry-5xx) |\n",
		gap(DefectNone, true).Round(time.Millisecond), gap(DefectNoRetry5xx, false).Round(time.Millisecond))
	return b.String()
}

// gapsAfter5xx returns the wait between each 5xx answer and the next
// request for the same path.
func gapsAfter5xx(rec assertions.Record) []time.Duration {
	var out []time.Duration
	for i, r := range rec.Requests {
		if r.StatusCode < 500 {
			continue
		}
		for _, next := range rec.Requests[i+1:] {
			if next.Path == r.Path && next.Method == r.Method {
				out = append(out, next.Wall.Sub(r.Wall.Add(r.Latency)))
				break
			}
		}
	}
	return out
}

// extreme returns the largest (worst) or smallest value that measure
// finds in the records of consumer d over all seeds.
func extreme(rows []matrixRow, d Defect, worst bool, measure func(assertions.Record) []time.Duration) time.Duration {
	var best time.Duration
	found := false
	for _, r := range rows {
		if r.defect != d {
			continue
		}
		for _, v := range measure(r.rec) {
			if !found || (worst && v > best) || (!worst && v < best) {
				best, found = v, true
			}
		}
	}
	return best
}

func matrixPage(table string) string {
	return `# Detection matrix

Each row is the reference consumer in examples/consumer, correct or
with one deliberate defect, run through one scenario that has every
fault the checks need. Each column is a check of package assertions.
A cell lists the verdicts for seeds 1, 2 and 3: **FAIL** where the
check caught the consumer, pass where it did not, n/a where the run
did not exercise the check. The test requires the correct consumer to
pass every check and each defect to fail the check named in "aimed
at"; other cells may differ from run to run.

The checks run with the parameters of gauntletChecks in
examples/consumer/matrix_test.go, which differ from the defaults where
the scenario's faster clock needs it: acks-fast allows 2s, and a retry
must come within 600ms of a 5xx, because the consumers poll again after
1s.

The second table shows the margins of the two checks that compare
real time with a limit, measured in the same run: the worst value the
correct consumer showed and the best value of the defect the check
must catch. The run used the test's default parallelism, two consumers
at a time, on the machine that regenerated this page (2 cores), so the
correct consumer's values include the delay of a busy machine.

Regenerate this page with:

    go test ./examples/consumer -run TestDetectionMatrix -update-matrix

` + table
}
