package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/parashift-mock/parashift-mock/internal/bench"
)

// benchChildEnv makes this test binary act as the parashift-mock
// program in TestBenchChildProcess, so the start-up measurement can
// start it.
const benchChildEnv = "PARASHIFT_MOCK_BENCH_CHILD"

// TestBenchChildProcess is not a test: run as a child of the bench
// test with benchChildEnv set, it runs the command line after "--"
// and exits with its status.
func TestBenchChildProcess(t *testing.T) {
	if os.Getenv(benchChildEnv) != "1" {
		t.Skip("runs only as the child process of TestBenchReportsEveryFigure")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, args, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

func TestBenchReportsEveryFigure(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	saved := benchProgram
	benchProgram = func() (*bench.Program, error) {
		return &bench.Program{
			Path: exe,
			Args: []string{"-test.run=^TestBenchChildProcess$", "--"},
			// A binary built with -race sleeps 1 s at exit by default.
			Env: []string{benchChildEnv + "=1", "GORACE=atexit_sleep_ms=0"},
		}, nil
	}
	t.Cleanup(func() { benchProgram = saved })

	jsonPath := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{
		"--deliveries", "200", "--reads", "200", "--concurrency", "4",
		"--virtual-documents", "20", "--memory-documents", "200", "--startup-runs", "1",
		"--runs", "2", "--json", jsonPath,
	}
	err = runBench(context.Background(), args, &stdout, &stderr)
	// Counts this small make the timings meaningless, so a missed
	// target is no failure here.
	if err != nil && !errors.Is(err, errTargetsMissed) {
		t.Fatalf("bench %q: %v\nstderr:\n%s", args, err, stderr.String())
	}

	var rep bench.Report
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("read the --json file: %v", err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("decode the --json file: %v", err)
	}
	want := []string{
		"webhook delivery", "REST API read", "virtual time, 17 h of retries",
		"heap per document, journals capped", "heap per document, journals in full",
		"start-up to a ready health endpoint",
	}
	if len(rep.Figures) != len(want) {
		t.Fatalf("report has %d figures, want %d: %+v", len(rep.Figures), len(want), rep.Figures)
	}
	if rep.Runs != 2 || rep.CPUs < 1 || rep.GoVersion == "" {
		t.Errorf("report header: runs %d, CPUs %d, Go %q; want 2 runs and both set", rep.Runs, rep.CPUs, rep.GoVersion)
	}
	out := stdout.String()
	for i, f := range rep.Figures {
		if f.Name != want[i] {
			t.Errorf("figure %d is %q, want %q", i, f.Name, want[i])
		}
		if len(f.Samples) != 2 {
			t.Errorf("%s: %d samples, want one per run", f.Name, len(f.Samples))
		}
		if !(f.Value > 0) || f.Target == "" {
			t.Errorf("%s: value %v, target %q; want a positive value and a target", f.Name, f.Value, f.Target)
		}
		if f.BaselineName != "" && !(f.Baseline > 0 && f.Ratio > 0) {
			t.Errorf("%s: baseline %v, ratio %v; want both positive", f.Name, f.Baseline, f.Ratio)
		}
		if !strings.Contains(out, f.Name) {
			t.Errorf("table lacks the row %q:\n%s", f.Name, out)
		}
	}
	for _, header := range []string{"figure", "value", "baseline", "ratio", "spread", "target", "result"} {
		if !strings.Contains(out, header) {
			t.Errorf("table lacks the column %q:\n%s", header, out)
		}
	}
}

func TestBenchFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--deliveries", "0"}, `invalid value "0" for flag --deliveries: use a positive count`},
		{[]string{"--runs", "-1"}, `invalid value "-1" for flag --runs: use a positive count`},
		{[]string{"--deliveries", "abc"}, `invalid value "abc" for flag --deliveries: use a whole number`},
		{[]string{"--runs", "1.5"}, `invalid value "1.5" for flag --runs: use a whole number`},
		{[]string{"--memory-documents", "1e5"}, `invalid value "1e5" for flag --memory-documents: use a whole number`},
		{[]string{"--virtual-documents", "1100000000000000000"}, `invalid value "1100000000000000000" for flag --virtual-documents: use a count of at most 100000000`},
	} {
		var stdout, stderr bytes.Buffer
		err := runBench(context.Background(), tc.args, &stdout, &stderr)
		assertUsageError(t, err, tc.want)
	}
}

func TestBenchJSONPathCheckedFirst(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "bench.json")
	var stdout, stderr bytes.Buffer
	err := runBench(context.Background(), []string{"--json", path}, &stdout, &stderr)
	if err == nil {
		t.Fatal("bench with a --json file in a missing folder succeeded, want an error")
	}
	if want := "create the --json file"; !strings.Contains(err.Error(), want) {
		t.Errorf("error = %q, want it to contain %q", err, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("bench measured before it checked the --json path; stderr:\n%s", stderr.String())
	}
}
