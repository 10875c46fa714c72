package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
)

// Totals counts the outcomes of several reports.
type Totals struct {
	Scenarios int `json:"scenarios"`
	Passed    int `json:"passed"`
	Failed    int `json:"failed"`
	Errors    int `json:"errors"`

	Checks             int `json:"checks"`
	ChecksPassed       int `json:"checks_passed"`
	ChecksFailed       int `json:"checks_failed"`
	ChecksInconclusive int `json:"checks_inconclusive"`

	// Duration is the sum of the reports' durations.
	Duration time.Duration `json:"-"`
}

// Sum counts the outcomes of reports.
func Sum(reports []Report) Totals {
	var t Totals
	for _, r := range reports {
		t.Scenarios++
		switch r.Status() {
		case ReportPassed:
			t.Passed++
		case ReportFailed:
			t.Failed++
		default:
			t.Errors++
		}
		t.Checks += len(r.Results)
		t.ChecksPassed += r.Count(assertions.Passed)
		t.ChecksFailed += r.Count(assertions.Failed)
		t.ChecksInconclusive += r.Count(assertions.Inconclusive)
		t.Duration += r.Duration
	}
	return t
}

// AllPassed reports whether there is at least one report and every
// one passed.
func (t Totals) AllPassed() bool { return t.Scenarios > 0 && t.Passed == t.Scenarios }

// seconds returns d in seconds rounded to milliseconds, as reports
// show durations.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

// MarshalJSON encodes r with its Status and its Duration in seconds.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	if r.Results == nil {
		r.Results = []assertions.Result{}
	}
	return json.Marshal(struct {
		Status string `json:"status"`
		plain
		DurationSeconds float64 `json:"duration_seconds"`
	}{r.Status(), plain(r), seconds(r.Duration)})
}

// WriteJSON writes the reports as one indented JSON object: passed,
// the totals, the summed duration in seconds and the reports.
func WriteJSON(w io.Writer, reports []Report) error {
	t := Sum(reports)
	if reports == nil {
		reports = []Report{}
	}
	doc := struct {
		Passed          bool     `json:"passed"`
		Totals          Totals   `json:"totals"`
		DurationSeconds float64  `json:"duration_seconds"`
		Scenarios       []Report `json:"scenarios"`
	}{t.AllPassed(), t, seconds(t.Duration), reports}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// verdictLabels are the labels of check results in the text report,
// upper case where the reader has to act.
var verdictLabels = map[assertions.Status]string{
	assertions.Passed:       "pass",
	assertions.Failed:       "FAIL",
	assertions.Inconclusive: "INCONCLUSIVE",
}

// WriteText writes the reports for a person: per scenario its verdict
// and one line per check, with the evidence and diff of every check
// that did not pass, then the totals.
func WriteText(w io.Writer, reports []Report) error {
	var b strings.Builder
	for _, r := range reports {
		writeScenarioText(&b, r)
	}
	t := Sum(reports)
	fmt.Fprintf(&b, "%s: %d passed, %d failed, %s; %s: %d passed, %d failed, %d inconclusive; %s\n",
		plural(t.Scenarios, "scenario"), t.Passed, t.Failed, plural(t.Errors, "error"),
		plural(t.Checks, "check"), t.ChecksPassed, t.ChecksFailed, t.ChecksInconclusive,
		t.Duration.Round(time.Millisecond))
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write text report: %w", err)
	}
	return nil
}

// plural returns n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func writeScenarioText(b *strings.Builder, r Report) {
	status := map[string]string{ReportPassed: "passed", ReportFailed: "FAILED", ReportError: "ERROR"}[r.Status()]
	fmt.Fprintf(b, "%s: %s in %s (seed %d, %d documents)\n", r.Scenario, status, r.Duration.Round(time.Millisecond), r.Seed, r.Documents)
	if r.Error != "" {
		fmt.Fprintf(b, "  %s\n\n", r.Error)
		return
	}
	if r.TimedOut {
		b.WriteString("  note: the platform was still busy at the scenario's timeout; the checks judged what had happened by then\n")
	}
	for _, res := range r.Results {
		fmt.Fprintf(b, "  %-12s %s: %s\n", verdictLabels[res.Status], res.Check, res.Summary)
		if res.Status == assertions.Passed {
			continue
		}
		for _, e := range res.Evidence {
			fmt.Fprintf(b, "               - %s\n", e)
		}
		if res.Diff != "" {
			for line := range strings.SplitSeq(strings.TrimRight(res.Diff, "\n"), "\n") {
				fmt.Fprintf(b, "               %s\n", line)
			}
		}
	}
	b.WriteString("\n")
}
