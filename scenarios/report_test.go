package scenarios_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/assertions"
	"github.com/parashift-mock/parashift-mock/mockplatform"
	"github.com/parashift-mock/parashift-mock/scenarios"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// fixedReports are one passed, one failed and one unreachable
// scenario, with fixed times, so the golden files do not change
// between runs.
func fixedReports() []scenarios.Report {
	start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return []scenarios.Report{
		{
			Scenario: "happy-path", Description: "Every topic reaches the consumer.\nProves that it answers.", Seed: 1,
			PlatformURL: "http://127.0.0.1:8080", ConsumerURL: "http://127.0.0.1:9000/webhooks",
			Documents: 5, FirstDocumentID: 100001, LastDocumentID: 100005,
			Started: start, Duration: 4812 * time.Millisecond,
			Results: []assertions.Result{
				{Check: "acks-fast", Status: assertions.Passed, Summary: "all 69 valid webhook attempts passed"},
			},
		},
		{
			Scenario: "duplicates", Description: "Webhooks arrive twice.", Seed: 6,
			PlatformURL: "http://127.0.0.1:8080", ConsumerURL: "http://127.0.0.1:9000/webhooks",
			Documents: 9, FirstDocumentID: 101001, LastDocumentID: 101009,
			Started: start.Add(5 * time.Second), Duration: 2250 * time.Millisecond, TimedOut: true,
			Results: []assertions.Result{
				{Check: "idempotent", Status: assertions.Failed, Summary: "1 of 12 events delivered more than once failed",
					Evidence: []assertions.Evidence{{Document: 101002, Topic: mockplatform.TopicExtractionDone,
						At: start.Add(6 * time.Second), Detail: "2 effects for one event: #14 (request_id 5ae8af932b35f9aecd6bfff0b3db9947), #15 (request_id 5ae8af932b35f9aecd6bfff0b3db9947)"}}},
				{Check: "order-robust", Status: assertions.Inconclusive,
					Summary: "all 9 final views match, but no event arrived out of order: add a reorder fault",
					Diff:    "final status by document (-platform +consumer):\n  map[int64]mockplatform.Status{\n- \t101003: \"done\",\n+ \t101003: \"in_progress\",\n  }\n"},
				{Check: "acks-fast", Status: assertions.Passed, Summary: "all 40 valid webhook attempts passed"},
			},
		},
		{
			Scenario: "missing-auth", Description: "Webhooks without the auth header.", Seed: 9,
			ConsumerURL: "http://127.0.0.1:9000/webhooks",
			Started:     start.Add(8 * time.Second), Duration: 15 * time.Millisecond,
			Error: "consumer unreachable at http://127.0.0.1:9000/webhooks: dial tcp 127.0.0.1:9000: connect: connection refused: start the consumer, or pass the URL where it receives webhooks",
		},
	}
}

// checkGolden compares got with testdata/golden/name, or rewrites the
// file with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (create it with go test -run %s -update): %v", t.Name(), err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got), rewrite it with -update if the change is intended:\n%s", path, diff)
	}
}

func TestWriteTextGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := scenarios.WriteText(&buf, fixedReports()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.txt", buf.Bytes())
}

func TestWriteJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := scenarios.WriteJSON(&buf, fixedReports()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.json", buf.Bytes())

	var doc struct {
		Passed    bool `json:"passed"`
		Scenarios []struct {
			Scenario string `json:"scenario"`
			Status   string `json:"status"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("the JSON report does not decode: %v", err)
	}
	if doc.Passed || len(doc.Scenarios) != 3 || doc.Scenarios[2].Status != scenarios.ReportError {
		t.Errorf("decoded report %+v, want passed false and three scenarios, the last an error", doc)
	}
}

func TestWriteJUnitGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := scenarios.WriteJUnit(&buf, fixedReports()); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "report.junit.xml", buf.Bytes())

	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Type string `xml:"type,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("the JUnit report does not parse: %v", err)
	}
	if doc.Tests != 5 || doc.Failures != 2 || doc.Errors != 1 || len(doc.Suites) != 3 {
		t.Errorf("JUnit totals: %d tests, %d failures, %d errors, %d suites; want 5, 2, 1, 3", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
}

func TestWriteEmptyReports(t *testing.T) {
	var text, js, junit bytes.Buffer
	if err := scenarios.WriteText(&text, nil); err != nil {
		t.Fatal(err)
	}
	if err := scenarios.WriteJSON(&js, nil); err != nil {
		t.Fatal(err)
	}
	if err := scenarios.WriteJUnit(&junit, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js.Bytes(), []byte(`"scenarios": []`)) || !bytes.Contains(js.Bytes(), []byte(`"passed": false`)) {
		t.Errorf("JSON of no reports = %s, want an empty list that did not pass", js.String())
	}
	if !bytes.HasPrefix(text.Bytes(), []byte("0 scenarios: 0 passed, 0 failed, 0 errors;")) {
		t.Errorf("text of no reports = %q", text.String())
	}
}
