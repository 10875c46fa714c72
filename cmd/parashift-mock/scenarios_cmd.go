package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/parashift-mock/parashift-mock/scenarios"
)

// runScenariosCmd lists the built-in scenarios, one line each with its
// summary, or with a name prints that scenario's YAML file, to read or
// to copy as the start of a new one.
func runScenariosCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("scenarios", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cmd, _ := findCommand("scenarios")
			printCommandHelp(stdout, cmd)
			return nil
		}
		return usagef("scenarios", "%s", flagNamePattern.ReplaceAllString(err.Error(), "$1 --$2"))
	}
	switch fs.NArg() {
	case 0:
		return listScenarios(stdout)
	case 1:
		src, ok := scenarios.Source(fs.Arg(0))
		if !ok {
			return usagef("scenarios", "no built-in scenario is named %q: use one of %s", fs.Arg(0), strings.Join(scenarios.CatalogNames(), ", "))
		}
		_, err := stdout.Write(src)
		return err
	}
	return usagef("scenarios", "scenarios takes at most one name, got %d arguments", fs.NArg())
}

func listScenarios(stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	for _, sc := range scenarios.Catalog() {
		fmt.Fprintf(tw, "%s\t%s\n", sc.Name, sc.Summary())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprint(stdout, "\nRun one with 'parashift-mock run --consumer URL --scenario NAME'; print its\nfile with 'parashift-mock scenarios NAME'.\n")
	return err
}
