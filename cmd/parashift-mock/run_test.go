package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// quickScenario is a scenario file of two straight-through documents
// and one check, which takes well under a second.
const quickScenario = `name: quick
description: Two documents pass straight through.
documents:
  - count: 2
    profile: straight-through
checks:
  - name: acks-fast
limits:
  settle: 200ms
`

// writeFile writes content to name in a new temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// consumerWithStatus returns the webhook URL of a consumer that
// responds to every request with status.
func consumerWithStatus(t *testing.T, status int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/webhooks"
}

func TestRunUsageErrors(t *testing.T) {
	badFile := writeFile(t, "bad.yaml", "documents: [{count: 1}]\nchecks:\n  - name: acks-slow\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no consumer", []string{"run"}, "flag --consumer is missing"},
		{"consumer and reference consumer", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--reference-consumer"}, "exclude each other"},
		{"header with reference consumer", []string{"run", "--reference-consumer", "--header", "A: b"}, "--header does not apply to --reference-consumer"},
		{"relative consumer URL", []string{"run", "--consumer", "/webhooks"}, "invalid value for flag --consumer"},
		{"header without name", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--header", "secret-token"}, `it has no "Name:" part`},
		{"invalid header name", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--header", "Bad Name: x"}, `header "Bad Name"`},
		{"unknown scenario", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--scenario", "duplicate"}, `invalid value "duplicate" for flag --scenario: no built-in scenario has this name`},
		{"invalid scenario file", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--scenario", badFile}, badFile + `:3: checks[0].name: check "acks-slow" is unknown`},
		{"missing scenario file", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--scenario", "no/such.yaml"}, "no/such.yaml: read scenario file"},
		{"invalid address", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--addr", "8080"}, `invalid value "8080" for flag --addr`},
		{"negative wait", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--wait", "-1s"}, "invalid value"},
		{"wait without unit", []string{"run", "--consumer", "http://127.0.0.1:9000/", "--wait", "10"}, "use a duration with a unit"},
		{"positional argument", []string{"run", "duplicates"}, `unexpected argument "duplicates"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, &stdout, &stderr)
			assertUsageError(t, err, tt.want)
			if code := exitCode(err, &stderr); code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
		})
	}
}

func TestRunHidesHeaderValues(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--consumer", "http://127.0.0.1:9000/", "--header", "Bad Name: top-secret"}, &stdout, &stderr)
	if err == nil || strings.Contains(err.Error(), "top-secret") {
		t.Errorf("error %v shows the header's value or is missing", err)
	}
}

func TestRunReferenceConsumer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonPath, junitPath := filepath.Join(dir, "report.json"), filepath.Join(dir, "report.xml")
	file := writeFile(t, "quick.yaml", quickScenario)
	var stdout, stderr syncBuffer
	err := run(t.Context(), []string{"run", "--reference-consumer", "--addr", "127.0.0.1:0",
		"--scenario", "duplicates", "--scenario", file, "--json", jsonPath, "--junit", junitPath}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"parashift-mock run: 2 scenarios, one after another, against the reference consumer",
		"token:        parashift-mock-token",
		"duplicates: passed in",
		"quick: passed in",
		"2 scenarios: 2 passed, 0 failed, 0 errors; 3 checks: 3 passed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for _, want := range []string{"duplicates: uploaded 9 documents, ids 100001 to 100009", "quick: uploaded 2 documents, ids 101001 to 101002"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("progress on stderr lacks %q:\n%s", want, stderr.String())
		}
	}

	var report struct {
		Passed    bool `json:"passed"`
		Scenarios []struct {
			Scenario string `json:"scenario"`
			Status   string `json:"status"`
		} `json:"scenarios"`
	}
	readJSON(t, jsonPath, &report)
	if !report.Passed || len(report.Scenarios) != 2 || report.Scenarios[1].Scenario != "quick" {
		t.Errorf("JSON report = %+v, want both scenarios passed", report)
	}
	var junit struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	data, err := os.ReadFile(junitPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := xml.Unmarshal(data, &junit); err != nil {
		t.Fatalf("parse the JUnit report: %v", err)
	}
	if junit.Tests != 3 || junit.Failures != 0 {
		t.Errorf("JUnit report has %d tests and %d failures, want 3 and 0", junit.Tests, junit.Failures)
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
}

func TestRunFailingConsumer(t *testing.T) {
	t.Parallel()
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	file := writeFile(t, "quick.yaml", quickScenario)
	var stdout, stderr syncBuffer
	err := run(t.Context(), []string{"run", "--consumer", consumerWithStatus(t, http.StatusInternalServerError),
		"--header", "Authorization: Bearer hidden-secret", "--addr", "127.0.0.1:0", "--scenario", file,
		"--seed", "99", "--json", jsonPath}, &stdout, &stderr)
	if err == nil || err.Error() != "1 of 1 scenarios did not pass" {
		t.Fatalf("run against a consumer that responds with 500: error %v, want 1 of 1 scenarios did not pass", err)
	}
	if code := exitCode(err, &bytes.Buffer{}); code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}

	out := stdout.String()
	for _, want := range []string{"quick: FAILED in", "FAIL         acks-fast:", "answered 500 to a valid webhook", "headers:      Authorization (values not shown)"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+stderr.String(), "hidden-secret") {
		t.Error("the output shows the value of --header")
	}

	var report struct {
		Scenarios []struct {
			Seed uint64 `json:"seed"`
		} `json:"scenarios"`
	}
	readJSON(t, jsonPath, &report)
	if len(report.Scenarios) != 1 || report.Scenarios[0].Seed != 99 {
		t.Errorf("JSON report scenarios = %+v, want one with the seed 99 of --seed", report.Scenarios)
	}
}

func TestRunUnreachableConsumer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/webhooks"
	ln.Close()

	var stdout, stderr syncBuffer
	err = run(t.Context(), []string{"run", "--consumer", url, "--wait", "0s", "--addr", "127.0.0.1:0",
		"--scenario", "happy-path", "--scenario", "duplicates"}, &stdout, &stderr)
	if err == nil || err.Error() != "2 of 2 scenarios did not pass" {
		t.Fatalf("run against a closed port: error %v, want 2 of 2 scenarios did not pass", err)
	}
	out := stdout.String()
	for _, want := range []string{
		"happy-path: ERROR in",
		"consumer unreachable at " + url,
		"duplicates: ERROR in",
		"not run: the consumer was unreachable in scenario happy-path",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

func TestRunAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"run", "--consumer", "http://127.0.0.1:9000/webhooks", "--addr", ln.Addr().String(),
		"--scenario", "duplicates"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "choose another address with --addr") {
		t.Errorf("run on a taken address: error %v, want the hint to choose another --addr", err)
	}
	if code := exitCode(err, &bytes.Buffer{}); code != exitFailure {
		t.Errorf("exit status %d, want %d", code, exitFailure)
	}
}

func TestRunReportFolderMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "report.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"run", "--consumer", "http://127.0.0.1:9/webhooks", "--addr", "127.0.0.1:0", "--scenario", "happy-path", "--json", path}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "create report file for --json") || !strings.Contains(err.Error(), path) {
		t.Fatalf("run = %v, want an error naming --json and %s", err, path)
	}
	if strings.Contains(stdout.String(), "happy-path") {
		t.Errorf("run started a scenario before failing on the report file:\n%s", stdout.String())
	}
}

func TestRunHeaderOfWildcardAddress(t *testing.T) {
	var out bytes.Buffer
	printRunHeader(&out, &runFlags{consumer: "http://127.0.0.1:9000/webhooks"}, "[::]:8080", 1)
	if !strings.Contains(out.String(), "platform URL: http://127.0.0.1:8080 ") {
		t.Errorf("header does not show a loopback URL for [::]:8080:\n%s", out.String())
	}
	if strings.Contains(out.String(), "[::]") {
		t.Errorf("header shows the wildcard address:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "every interface") {
		t.Errorf("header does not say the platform listens on every interface:\n%s", out.String())
	}
}
