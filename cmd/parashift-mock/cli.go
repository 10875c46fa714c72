package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Exit statuses of the program.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError is a mistake on the command line, such as an unknown
// subcommand, an invalid flag value or an extra argument. The program
// prints it with a pointer to the help and exits with status 2.
type usageError struct {
	// command is the subcommand whose help explains the mistake; empty
	// for the top level.
	command string
	msg     string
}

func (e *usageError) Error() string { return e.msg }

func usagef(command, format string, args ...any) error {
	return &usageError{command: command, msg: fmt.Sprintf(format, args...)}
}

// command is one subcommand of the program.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	// flags returns an empty flag set of the command for its help
	// text; nil for a command without flags.
	flags func() *flag.FlagSet
	// usage is the command's synopsis line after the program name.
	usage string
}

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{"serve", "run the mock platform: REST API, control API and webhooks", runServe, func() *flag.FlagSet { fs, _ := newServeFlags(); return fs }, "serve [flags]"},
		{"listen", "receive webhooks and print one line for each", runListen, func() *flag.FlagSet { fs, _ := newListenFlags(); return fs }, "listen [flags]"},
		{"demo", "run a platform and a receiver in-process and upload three documents", runDemo, func() *flag.FlagSet { fs, _ := newDemoFlags(); return fs }, "demo [flags]"},
		{"run", "run scenarios against a consumer and report every check", runRun, func() *flag.FlagSet { fs, _ := newRunFlags(); return fs }, "run (--consumer URL | --reference-consumer) [flags]"},
		{"scenarios", "list the built-in scenarios, or print one as YAML", runScenariosCmd, nil, "scenarios [name]"},
		{"health", "check that a running platform responds to GET /_mock/health with 200", runHealth, func() *flag.FlagSet { fs, _ := newHealthFlags(); return fs }, "health [flags]"},
		{"bench", "measure throughput, virtual time, memory and start-up beside baselines", runBench, func() *flag.FlagSet { fs, _ := newBenchFlags(); return fs }, "bench [flags]"},
		{"version", "print the version", runVersion, nil, "version"},
		{"help", "print help for the program or a command", runHelp, nil, "help [command]"},
	}
}

func findCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// run runs the subcommand named by args[0] with the remaining
// arguments.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		printProgramHelp(stderr)
		return usagef("", "missing command")
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		printProgramHelp(stdout)
		return nil
	case "-version", "--version":
		name = "version"
	}
	cmd, ok := findCommand(name)
	if !ok {
		return usagef("", "unknown command %q: use one of serve, listen, demo, run, scenarios, health, bench, version, help", name)
	}
	return cmd.run(ctx, args[1:], stdout, stderr)
}

// exitCode prints err to stderr, if it is not nil, and returns the
// program's exit status for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var ue *usageError
	if errors.As(err, &ue) {
		prefix, helpArgs := "parashift-mock", "help"
		if ue.command != "" {
			prefix += " " + ue.command
			helpArgs += " " + ue.command
		}
		fmt.Fprintf(stderr, "%s: %s\nRun 'parashift-mock %s' for usage.\n", prefix, ue.msg, helpArgs)
		return exitUsage
	}
	fmt.Fprintf(stderr, "parashift-mock: %v\n", err)
	return exitFailure
}

// flagNamePattern matches the flag names in the flag package's errors,
// such as "for flag -seed", so they can be shown as "--seed" as in the
// help text.
var flagNamePattern = regexp.MustCompile(`(flag|defined:|argument:) -(\w)`)

// parseFlags parses args into fs. For -h or --help it prints the
// command's help to stdout and returns help true. Parse errors and
// positional arguments become usage errors.
func parseFlags(fs *flag.FlagSet, args []string, stdout io.Writer) (help bool, err error) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			cmd, _ := findCommand(fs.Name())
			printCommandHelp(stdout, cmd)
			return true, nil
		}
		return false, usagef(fs.Name(), "%s", flagNamePattern.ReplaceAllString(err.Error(), "$1 --$2"))
	}
	if fs.NArg() > 0 {
		return false, usagef(fs.Name(), "unexpected argument %q: %s takes flags only", fs.Arg(0), fs.Name())
	}
	return false, nil
}

// explicitFlags returns the names of the flags given on the command
// line, as opposed to those left at their defaults.
func explicitFlags(fs *flag.FlagSet) map[string]bool {
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// isHelpFlag reports whether arg is -h or -help, with one or two
// dashes, as the flag package accepts them.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// durationValue is a time.Duration flag whose error for an invalid
// value shows durations with a unit, because a missing unit is the
// usual mistake. flag.DurationVar reports only "parse error".
type durationValue time.Duration

// durationVar defines a duration flag on fs that stores into p.
func durationVar(fs *flag.FlagSet, p *time.Duration, name string, value time.Duration, usage string) {
	*p = value
	fs.Var((*durationValue)(p), name, usage)
}

func (d *durationValue) Set(s string) error {
	v, err := time.ParseDuration(s)
	if err != nil {
		return errors.New(`use a duration with a unit, such as "500ms", "10s" or "1m30s"`)
	}
	*d = durationValue(v)
	return nil
}

func (d *durationValue) String() string { return time.Duration(*d).String() }

// countValue is an int flag that takes whole numbers from 1 to
// maxCount only. flag.IntVar reports only "parse error" for a value
// such as "1e5".
type countValue int

// maxCount is the largest count a flag takes. Bench multiplies counts,
// such as 9 attempts per document, and larger counts would overflow or
// run for days.
const maxCount = 100_000_000

// countVar defines a count flag on fs that stores into p.
func countVar(fs *flag.FlagSet, p *int, name string, value int, usage string) {
	*p = value
	fs.Var((*countValue)(p), name, usage)
}

func (c *countValue) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("use a whole number without exponent or separators, such as 20000")
	}
	if v <= 0 {
		return errors.New("use a positive count")
	}
	if v > maxCount {
		return fmt.Errorf("use a count of at most %d", maxCount)
	}
	*c = countValue(v)
	return nil
}

func (c *countValue) String() string { return strconv.Itoa(int(*c)) }

// withAddrInUseHint adds a hint to choose another --addr to err when the
// listen address is taken, and returns other errors unchanged.
//
// NOTE: only tested on Linux. On Windows the error carries the Winsock
// code WSAEADDRINUSE, which errors.Is probably does not match to
// syscall.EADDRINUSE, so the hint would be missing there.
func withAddrInUseHint(err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("%w: another program uses this address: stop it, or choose another address with --addr, such as --addr 127.0.0.1:0 for a free port", err)
	}
	return err
}

// stringList is a flag that may be repeated; each use adds one value.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ", ") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
