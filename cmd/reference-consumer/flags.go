package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/parashift-mock/parashift-mock/examples/consumer"
)

// defaultAddr pairs with the mock's serve command, whose examples send
// webhooks to http://127.0.0.1:9000/webhooks.
const defaultAddr = "127.0.0.1:9000"

// envPrefix starts the environment variable of every flag:
// --api-url reads CONSUMER_API_URL.
const envPrefix = "CONSUMER_"

// secretFlags are never shown in errors.
var secretFlags = map[string]bool{"token": true, "webhook-secret": true}

// fieldFlags maps consumer.Config fields to the flags that set them,
// so that a *consumer.ConfigError can name the flag.
var fieldFlags = map[string]string{
	"APIURL": "api-url", "Token": "token", "WebhookSecret": "webhook-secret",
	"EffectsURL": "effects-url", "Overdue": "overdue", "NotFoundWait": "not-found-wait", "PollInterval": "poll-interval",
	"MaxPollRate": "max-poll-rate", "APITimeout": "api-timeout", "RetryBase": "retry-base",
	"RetryMaxDelay": "retry-max-delay", "MaxAttempts": "max-retries",
	"SlowAckDelay": "slow-ack-delay", "QueueSize": "queue-size", "Defect": "defect",
}

// usageError is a flag or configuration error; the command exits with
// status 2 for it.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// options are the parsed flags.
type options struct {
	addr     string
	defect   string
	logLevel string
	cfg      consumer.Config
}

// newFlagSet defines the flags; their defaults are the consumer's.
func newFlagSet(out io.Writer) (*flag.FlagSet, *options) {
	o := &options{}
	fs := flag.NewFlagSet("reference-consumer", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", defaultAddr, "listen `address` host:port for webhooks; port 0 picks a free port")
	fs.StringVar(&o.cfg.APIURL, "api-url", "http://127.0.0.1:8080", "platform base `URL` without /v2; polls go to URL/v2/documents/{id}")
	fs.StringVar(&o.cfg.Token, "token", "", "bearer `token` of the REST API (required; the mock's development token is parashift-mock-token)")
	fs.StringVar(&o.cfg.WebhookSecret, "webhook-secret", "", "`secret` every webhook must carry as \"Authorization: Bearer <secret>\" (required)")

	fs.StringVar(&o.cfg.EffectsURL, "effects-url", "", "`URL` that receives one JSON POST per business effect, such as http://127.0.0.1:8080/_mock/effects; empty sends none")
	fs.DurationVar(&o.cfg.Overdue, "overdue", consumer.DefaultOverdue, "real `time` without a webhook or poll after which a non-terminal document is polled")
	fs.DurationVar(&o.cfg.NotFoundWait, "not-found-wait", consumer.DefaultNotFoundWait, "real `time` after a 404 before the document is polled again")
	fs.DurationVar(&o.cfg.PollInterval, "poll-interval", consumer.DefaultPollInterval, "`period` of the poll loop")
	fs.Float64Var(&o.cfg.MaxPollRate, "max-poll-rate", consumer.DefaultMaxPollRate, "maximum REST API `requests` per second of all polls, retries included")

	fs.DurationVar(&o.cfg.APITimeout, "api-timeout", consumer.DefaultAPITimeout, "`timeout` of one HTTP attempt")
	fs.DurationVar(&o.cfg.RetryBase, "retry-base", consumer.DefaultRetryBase, "first retry `delay`; it doubles per retry, with jitter of up to half")
	fs.DurationVar(&o.cfg.RetryMaxDelay, "retry-max-delay", consumer.DefaultRetryMaxDelay, "maximum retry `delay`; a longer Retry-After is still honoured")
	fs.IntVar(&o.cfg.MaxAttempts, "max-retries", consumer.DefaultMaxAttempts, "`attempts` per request, the first included, before giving up")
	fs.IntVar(&o.cfg.QueueSize, "queue-size", consumer.DefaultQueueSize, "`capacity` of the webhook queue; when it is full, webhooks get 503 and the platform retries them")

	fs.StringVar(&o.defect, "defect", "", "deliberate `defect` to run with, to show what a harness catches; empty for none: "+defectList())
	fs.DurationVar(&o.cfg.SlowAckDelay, "slow-ack-delay", consumer.DefaultSlowAckDelay, "`time` the handler sleeps with --defect=slow-ack")
	fs.StringVar(&o.logLevel, "log-level", "info", "minimum log `level`: debug, info, warn or error")

	fs.VisitAll(func(f *flag.Flag) {
		f.Usage += "\nenvironment variable " + envName(f.Name)
	})
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: reference-consumer [flags]\n\n"+
			"Receives Parashift webhooks on POST /webhooks and polls the REST API for\n"+
			"overdue documents. A flag set on the command line wins over its\n"+
			"environment variable.\n\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) { printFlag(fs.Output(), f) })
	}
	return fs, o
}

// printFlag prints one flag in the style of the parashift-mock
// command: "--name placeholder", then the help text indented and
// wrapped.
func printFlag(w io.Writer, f *flag.Flag) {
	placeholder, usage := flag.UnquoteUsage(f)
	fmt.Fprintf(w, "  --%s %s\n", f.Name, placeholder)
	if f.DefValue != "" && f.DefValue != "0" {
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	for _, paragraph := range strings.Split(usage, "\n") {
		for _, line := range wrap(paragraph, helpWidth) {
			fmt.Fprintf(w, "      %s\n", line)
		}
	}
}

// helpWidth is the width of the help text after its indent, so that
// lines stay within 72 columns.
const helpWidth = 66

// wrap splits text into lines of at most width columns at spaces; a
// longer word gets a line of its own.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		if line != "" && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// parseOptions parses args, then fills every flag not given on the
// command line from its environment variable.
func parseOptions(args []string, getenv func(string) string, out io.Writer) (*options, error) {
	fs, o := newFlagSet(out)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q: reference-consumer takes flags only", fs.Arg(0))
	}
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	defect, err := consumer.ParseDefect(o.defect)
	if err != nil {
		return nil, usagef("invalid value for flag --defect (env %s): %v", envName("defect"), err)
	}
	o.cfg.Defect = defect
	return o, nil
}

// applyEnv sets each flag that the command line left out from its
// environment variable, when that is not empty.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		value := getenv(envName(f.Name))
		if err != nil || onCommandLine[f.Name] || value == "" {
			return
		}
		if setErr := f.Value.Set(value); setErr != nil {
			displayed := fmt.Sprintf("%q", value)
			if secretFlags[f.Name] {
				displayed = "(not shown)"
			}
			err = usagef("invalid value %s in environment variable %s for flag --%s: %v",
				displayed, envName(f.Name), f.Name, setErr)
		}
	})
	return err
}

// envName returns the environment variable of a flag.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// configUsageError names the flag and variable of an invalid Config
// field.
func configUsageError(err error) error {
	cerr, ok := errors.AsType[*consumer.ConfigError](err)
	if !ok {
		return err
	}
	name, ok := fieldFlags[cerr.Field]
	if !ok {
		return err
	}
	return usagef("invalid value for flag --%s (env %s): %s", name, envName(name), cerr.Problem)
}

// level parses --log-level.
func (o *options) level() (slog.Level, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return 0, usagef("invalid value %q for flag --log-level (env %s): use debug, info, warn or error", o.logLevel, envName("log-level"))
	}
	return level, nil
}

func defectList() string {
	names := make([]string, len(consumer.Defects))
	for i, d := range consumer.Defects {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}
