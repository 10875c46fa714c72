package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the program's version. Release builds set it with
// -ldflags "-X main.version=v1.2.3"; otherwise the module version from
// the build information is shown.
var version = ""

func runHelp(_ context.Context, args []string, stdout, _ io.Writer) error {
	switch len(args) {
	case 0:
		printProgramHelp(stdout)
		return nil
	case 1:
		if isHelpFlag(args[0]) {
			printProgramHelp(stdout)
			return nil
		}
		cmd, ok := findCommand(args[0])
		if !ok {
			return usagef("help", "unknown command %q: use one of serve, listen, demo, run, scenarios, health, bench, version, help", args[0])
		}
		printCommandHelp(stdout, cmd)
		return nil
	}
	return usagef("help", "help takes at most one command, got %d arguments", len(args))
}

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	if len(args) == 1 && isHelpFlag(args[0]) {
		cmd, _ := findCommand("version")
		printCommandHelp(stdout, cmd)
		return nil
	}
	if len(args) > 0 {
		return usagef("version", "unexpected argument %q: version takes no arguments", args[0])
	}
	v := version
	if v == "" {
		v = "(devel)"
		if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
			v = info.Main.Version
		}
	}
	fmt.Fprintf(stdout, "parashift-mock %s %s %s/%s\n", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func printProgramHelp(w io.Writer) {
	fmt.Fprint(w, `parashift-mock is a mock of the Parashift document-processing platform:
its REST API, its document workflow and its webhooks, for testing
consumers locally and in CI.

Usage:
  parashift-mock <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'parashift-mock help <command>' or 'parashift-mock <command> -h'
for the flags of a command. Exit status: 0 success, 1 failure,
2 invalid command line.
`)
}

func printCommandHelp(w io.Writer, cmd command) {
	fmt.Fprintf(w, "parashift-mock %s: %s\n\nUsage:\n  parashift-mock %s\n", cmd.name, cmd.summary, cmd.usage)
	if cmd.flags == nil {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	printFlags(w, cmd.flags())
}

// printFlags writes each flag of fs with its value name, description
// and non-zero default, in the --name form that the docs use.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		valueName, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if valueName != "" {
			line += " " + valueName
		}
		fmt.Fprintln(w, line)
		fmt.Fprintf(w, "      %s", strings.ReplaceAll(usage, "\n", "\n      "))
		if !isZeroDefault(f) {
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// isZeroDefault reports whether f's default is its type's zero value,
// which the help leaves out as the flag package does.
func isZeroDefault(f *flag.Flag) bool {
	typ := reflect.TypeOf(f.Value)
	var zero reflect.Value
	if typ.Kind() == reflect.Pointer {
		zero = reflect.New(typ.Elem())
	} else {
		zero = reflect.Zero(typ)
	}
	return f.DefValue == zero.Interface().(flag.Value).String()
}
