package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/parashift-mock/parashift-mock/internal/bench"
)

// benchFlags are the flags of bench.
type benchFlags struct {
	cfg      bench.Config
	runs     int
	jsonPath string
}

func newBenchFlags() (*flag.FlagSet, *benchFlags) {
	f := &benchFlags{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	countVar(fs, &f.cfg.Deliveries, "deliveries", bench.DefaultDeliveries, "webhook deliveries measured, and plain client requests of their baseline, as a `count`")
	countVar(fs, &f.cfg.Reads, "reads", bench.DefaultReads, "GET /v2/documents/{id} requests measured, and requests to the bare handler,\nas a `count`")
	countVar(fs, &f.cfg.Concurrency, "concurrency", bench.DefaultConcurrency, "client goroutines of the plain clients and the REST API readers, as a `count`")
	countVar(fs, &f.cfg.VirtualDocuments, "virtual-documents", bench.DefaultVirtualDocuments, "documents whose webhooks fail through the whole retry schedule\non the manual clock, 9 attempts each, as a `count`")
	countVar(fs, &f.cfg.MemoryDocuments, "memory-documents", bench.DefaultMemoryDocuments, "documents whose heap is measured, as a `count`")
	countVar(fs, &f.cfg.StartupRuns, "startup-runs", bench.DefaultStartupRuns, "serve processes started to measure the start-up time, as a `count`")
	countVar(fs, &f.runs, "runs", 1, "how many times to run every measurement; the table shows the median\nand the spread, as a `count`")
	fs.StringVar(&f.jsonPath, "json", "", "write the report as JSON to this `file`")
	return fs, f
}

// benchProgram returns how bench starts the program for the start-up
// measurement. Tests replace it, because their executable is a test
// binary.
var benchProgram = func() (*bench.Program, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the program to start: %w", err)
	}
	return &bench.Program{Path: exe}, nil
}

// errTargetsMissed is the error of a bench run that measured every
// figure but missed a target.
var errTargetsMissed = errors.New("missed")

// runBench runs the measurements of internal/bench, prints a table of
// each figure beside its baseline and target, and writes the --json
// file. It returns an error, and so exit status 1, when a measurement
// fails or a figure misses its target.
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newBenchFlags()
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	prog, err := benchProgram()
	if err != nil {
		return err
	}
	f.cfg.Program = prog
	// The --json file is created before the measurements, so a path
	// the program cannot write to fails at once, not after minutes.
	var jsonFile *os.File
	if f.jsonPath != "" {
		if jsonFile, err = os.Create(f.jsonPath); err != nil {
			return fmt.Errorf("bench: create the --json file: %w: give a path in a folder this program can write to", err)
		}
		defer jsonFile.Close()
	}

	rep, err := bench.Run(ctx, f.cfg, f.runs, func(step string) { fmt.Fprintf(stderr, "bench: %s\n", step) })
	if err != nil {
		if jsonFile != nil {
			// An empty file would look like a report to a CI step.
			jsonFile.Close()
			os.Remove(f.jsonPath)
		}
		return fmt.Errorf("bench: %w", err)
	}
	printBenchReport(stdout, rep)
	if jsonFile != nil {
		if err := writeBenchJSON(jsonFile, rep); err != nil {
			return err
		}
	}
	missed := 0
	for _, fig := range rep.Figures {
		if !fig.Pass {
			missed++
		}
	}
	if missed > 0 {
		return fmt.Errorf("bench: %d of %d targets %w; the table shows which", missed, len(rep.Figures), errTargetsMissed)
	}
	return nil
}

// printBenchReport writes the machine, a table with a row per figure,
// what each baseline does and what the measurements found besides.
func printBenchReport(w io.Writer, rep bench.Report) {
	fmt.Fprintf(w, "parashift-mock bench: %s %s/%s, %d CPUs, %d run(s); value, baseline and ratio are medians over the runs\n\n", rep.GoVersion, rep.OS, rep.Arch, rep.CPUs, rep.Runs)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tvalue\tbaseline\tratio\tspread\ttarget\tresult")
	for _, f := range rep.Figures {
		baseline, ratio := "-", "-"
		if f.BaselineName != "" {
			baseline = formatFigure(f.Baseline, f.Unit)
			ratio = fmt.Sprintf("%.3f", f.Ratio)
		}
		spread := formatFigure(f.Spread[0], f.Unit) + " to " + formatFigure(f.Spread[1], f.Unit)
		if f.JudgesRatio {
			spread = fmt.Sprintf("%.3f to %.3f", f.Spread[0], f.Spread[1])
		}
		result := "pass"
		if !f.Pass {
			result = "MISS"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Name, formatFigure(f.Value, f.Unit), baseline, ratio, spread, f.Target, result)
	}
	tw.Flush()

	fmt.Fprintln(w, "\nbaselines:")
	for _, f := range rep.Figures {
		if f.BaselineName != "" {
			fmt.Fprintf(w, "  %s: %s\n", f.Name, f.BaselineName)
		}
	}
	var notes []string
	for _, f := range rep.Figures {
		for i, s := range f.Samples {
			if s.Detail != "" {
				notes = append(notes, fmt.Sprintf("  %s, run %d: %s", f.Name, i+1, s.Detail))
			}
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nnotes:\n%s\n", strings.Join(notes, "\n"))
	}
}

// formatFigure formats v in unit for the table.
func formatFigure(v float64, unit string) string {
	switch unit {
	case "s":
		if v < 1 {
			// Small counts finish in milliseconds.
			return fmt.Sprintf("%.4f s", v)
		}
		return fmt.Sprintf("%.2f s", v)
	case "ms":
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f %s", v, unit)
}

// writeBenchJSON writes rep as indented JSON to out and closes it.
func writeBenchJSON(out *os.File, rep bench.Report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the bench report: %w", err)
	}
	if _, err := out.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write the bench report: %w", err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write the bench report: %w", err)
	}
	return nil
}
