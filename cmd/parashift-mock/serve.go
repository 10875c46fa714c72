package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// defaultServeAddr is the listen address of serve without --addr or
// an addr key in the configuration file.
const defaultServeAddr = "127.0.0.1:8080"

// shutdownGrace is added to the attempt timeout to bound a graceful
// shutdown, so a delivery attempt in flight can end.
const shutdownGrace = 5 * time.Second

// serveFlags are the flags of serve.
type serveFlags struct {
	addr           string
	configPath     string
	tokens         stringList
	webhooks       stringList
	webhookHeaders stringList
	webhookTopics  string
	clock          string
	timeScale      float64
	seed           uint64
	defaultProfile string
	requestID      string
	attemptTimeout time.Duration
	maxBodyBytes   int64
	journalLimit   int
	logFormat      string
	logLevel       string
}

func newServeFlags() (*flag.FlagSet, *serveFlags) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&f.addr, "addr", defaultServeAddr, "listen `address` host:port of the REST API and the control API;\nport 0 picks a free port")
	fs.StringVar(&f.configPath, "config", "", "YAML configuration `file`; flags given on the command line\nreplace its keys")
	fs.Var(&f.tokens, "token", "bearer token of the REST API and its tenant id, as `TOKEN=TENANT`;\nrepeatable (default "+mockplatform.DefaultToken+"=1)")
	fs.Var(&f.webhooks, "webhook", "absolute http or https `URL` that receives the webhooks;\nrepeatable, one subscription each")
	fs.Var(&f.webhookHeaders, "webhook-header", "header sent with every delivery to each --webhook, as `\"Name: value\"`;\nrepeatable")
	fs.StringVar(&f.webhookTopics, "webhook-topics", "", "comma-separated `topics` that each --webhook receives;\nempty means every topic")
	fs.StringVar(&f.clock, "clock", "", "`clock` of the platform's delays: real, scaled or manual\n(default real, or scaled with --time-scale)")
	fs.Float64Var(&f.timeScale, "time-scale", 0, "how many times faster than wall time platform time runs, as a `factor`;\na value other than 1 selects the scaled clock (default 1)")
	fs.Uint64Var(&f.seed, "seed", 0, "`seed` of retry jitter, request ids and fake extracted values")
	fs.StringVar(&f.defaultProfile, "default-profile", "", "workflow `profile` of documents that select none with\ncustom_fields.mock_profile (default "+mockplatform.DefaultProfileName+")")
	fs.StringVar(&f.requestID, "request-id", "", "request_id `mode`: per-event keeps it across retries, per-attempt\nchanges it on every attempt (default per-event)")
	durationVar(fs, &f.attemptTimeout, "attempt-timeout", 0, "time limit of one delivery attempt, as a `duration` such as 10s\n(default "+mockplatform.DefaultAttemptTimeout.String()+")")
	fs.Int64Var(&f.maxBodyBytes, "max-body-bytes", 0, "largest REST API request body in `bytes`; larger bodies get 413\n(default "+strconv.Itoa(mockplatform.DefaultMaxBodyBytes)+", 32 MiB)")
	fs.IntVar(&f.journalLimit, "journal-limit", 0, "`records` kept in each journal before the oldest are dropped\n(default "+strconv.Itoa(mockplatform.DefaultJournalLimit)+")")
	fs.StringVar(&f.logFormat, "log-format", "text", "log `format` on stderr: text or json")
	fs.StringVar(&f.logLevel, "log-level", "info", "lowest log `level` shown: debug, info, warn or error")
	return fs, f
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, f := newServeFlags()
	if help, err := parseFlags(fs, args, stdout); help || err != nil {
		return err
	}
	explicit := explicitFlags(fs)
	logger, err := newLogger(stderr, f.logFormat, f.logLevel)
	if err != nil {
		return err
	}
	cfg, err := f.config(explicit)
	if err != nil {
		return err
	}
	opts, err := cfg.Options()
	if err != nil {
		return err
	}
	opts.Logger = logger

	logger.Info("serve starting", "addr", cfg.Addr, "config", f.configPath, "clock", cfg.ClockKind(),
		"time_scale", cfg.TimeScale, "seed", cfg.Seed, "subscriptions", len(cfg.Subscriptions))
	p, err := mockplatform.Start(opts)
	if err != nil {
		return fmt.Errorf("start platform: %w", withAddrInUseHint(err))
	}
	printReady(stdout, p, cfg)
	if inContainer() && loopbackAddr(cfg.Addr) {
		logger.Warn("listening on loopback inside a container: nothing outside the container can reach the platform; pass --addr 0.0.0.0:8080", "addr", cfg.Addr)
	}

	<-ctx.Done()
	timeout := cfg.AttemptTimeout
	if timeout == 0 {
		timeout = mockplatform.DefaultAttemptTimeout
	}
	logger.Info("serve stopping", "reason", context.Cause(ctx), "deadline", timeout+shutdownGrace)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), timeout+shutdownGrace)
	defer cancel()
	if err := p.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stop platform: %w", err)
	}
	logger.Info("serve stopped")
	return nil
}

// config returns the configuration file, if any, with the flags given
// on the command line applied over it. Invalid flag values are usage
// errors naming the flag.
func (f *serveFlags) config(explicit map[string]bool) (mockplatform.Config, error) {
	var cfg mockplatform.Config
	if f.configPath != "" {
		var err error
		if cfg, err = mockplatform.LoadConfig(f.configPath); err != nil {
			return cfg, err
		}
	}
	steps := []func(*mockplatform.Config, map[string]bool) error{
		f.applyScalars, f.applyClock, f.applyTokens, f.applyWebhooks,
	}
	for _, apply := range steps {
		if err := apply(&cfg, explicit); err != nil {
			return cfg, err
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = defaultServeAddr
	}
	if err := cfg.Validate(); err != nil {
		return cfg, flagError(err, explicit)
	}
	return cfg, nil
}

func (f *serveFlags) applyScalars(cfg *mockplatform.Config, explicit map[string]bool) error {
	if explicit["addr"] {
		cfg.Addr = f.addr
	}
	if explicit["seed"] {
		cfg.Seed = f.seed
	}
	if explicit["default-profile"] {
		cfg.DefaultProfile = f.defaultProfile
	}
	if explicit["request-id"] {
		mode := mockplatform.RequestIDMode(f.requestID)
		if mode != mockplatform.RequestIDModePerEvent && mode != mockplatform.RequestIDModePerAttempt {
			return usagef("serve", "invalid value %q for flag --request-id: use per-event or per-attempt", f.requestID)
		}
		cfg.RequestID = mode
	}
	if explicit["attempt-timeout"] {
		if f.attemptTimeout <= 0 {
			return usagef("serve", "invalid value %q for flag --attempt-timeout: use a positive duration such as 10s", f.attemptTimeout)
		}
		cfg.AttemptTimeout = f.attemptTimeout
	}
	if explicit["max-body-bytes"] {
		if f.maxBodyBytes <= 0 {
			return usagef("serve", "invalid value \"%d\" for flag --max-body-bytes: use a positive number of bytes", f.maxBodyBytes)
		}
		cfg.MaxBodyBytes = f.maxBodyBytes
	}
	if explicit["journal-limit"] {
		if f.journalLimit <= 0 {
			return usagef("serve", "invalid value \"%d\" for flag --journal-limit: use a positive number of records", f.journalLimit)
		}
		cfg.JournalLimit = f.journalLimit
	}
	return nil
}

// applyClock applies --clock and --time-scale. A flag replaces the
// file's clock settings that conflict with it, so --time-scale 10
// works over a file with clock: real.
func (f *serveFlags) applyClock(cfg *mockplatform.Config, explicit map[string]bool) error {
	if explicit["time-scale"] {
		ts := f.timeScale
		if !(ts > 0) || math.IsInf(ts, 0) {
			return usagef("serve", "invalid value \"%v\" for flag --time-scale: use a number greater than 0, such as 10", ts)
		}
		cfg.TimeScale = ts
		if !explicit["clock"] {
			cfg.Clock = ""
		}
	}
	if !explicit["clock"] {
		return nil
	}
	kind := mockplatform.ClockKind(f.clock)
	switch kind {
	case mockplatform.ClockReal, mockplatform.ClockManual:
		if explicit["time-scale"] && f.timeScale != 1 {
			return usagef("serve", "flag --time-scale %v needs --clock scaled, but --clock is %s: drop one of them", f.timeScale, f.clock)
		}
		cfg.TimeScale = 0
	case mockplatform.ClockScaled:
		if cfg.TimeScale == 0 {
			return usagef("serve", "flag --clock scaled needs --time-scale, such as --time-scale 10")
		}
	default:
		return usagef("serve", "invalid value %q for flag --clock: use real, scaled or manual", f.clock)
	}
	cfg.Clock = kind
	return nil
}

// applyTokens replaces the file's tokens with the --token flags.
func (f *serveFlags) applyTokens(cfg *mockplatform.Config, explicit map[string]bool) error {
	if !explicit["token"] {
		return nil
	}
	cfg.Tokens = nil
	for _, v := range f.tokens {
		token, tenant, err := parseTokenFlag(v)
		if err != nil {
			return err
		}
		cfg.Tokens = append(cfg.Tokens, mockplatform.TenantToken{Token: token, Tenant: tenant})
	}
	return nil
}

// parseTokenFlag parses a --token value TOKEN=TENANT. Errors show the
// tenant but never the token, because it is a secret.
func parseTokenFlag(v string) (string, int64, error) {
	token, tenantText, ok := strings.Cut(v, "=")
	if !ok {
		return "", 0, usagef("serve", "invalid value for flag --token: it has no '=': use TOKEN=TENANT, such as my-token=2 (the value is not shown because it may be a secret)")
	}
	if token == "" {
		return "", 0, usagef("serve", "invalid value %q for flag --token: the token before '=' is empty: use TOKEN=TENANT, such as my-token=2", v)
	}
	tenant, err := strconv.ParseInt(tenantText, 10, 64)
	if err != nil || tenant <= 0 {
		return "", 0, usagef("serve", "invalid value \"[masked]=%s\" for flag --token: tenant %q is not a positive integer: use TOKEN=TENANT, such as my-token=2", tenantText, tenantText)
	}
	return token, tenant, nil
}

// applyWebhooks replaces the file's subscriptions with one per
// --webhook, each with every --webhook-header and --webhook-topics.
func (f *serveFlags) applyWebhooks(cfg *mockplatform.Config, explicit map[string]bool) error {
	if !explicit["webhook"] {
		for _, name := range []string{"webhook-header", "webhook-topics"} {
			if explicit[name] {
				return usagef("serve", "flag --%s applies to each --webhook, but none is given: add --webhook URL", name)
			}
		}
		return nil
	}
	headers, err := parseHeaderFlags("serve", "webhook-header", f.webhookHeaders)
	if err != nil {
		return err
	}
	topics, err := parseTopicsFlag(f.webhookTopics)
	if err != nil {
		return err
	}
	cfg.Subscriptions = nil
	for _, raw := range f.webhooks {
		s := mockplatform.Subscription{URL: raw, Headers: maps.Clone(headers), Topics: slices.Clone(topics)}
		if err := mockplatform.ValidateWebhookURL(raw); err != nil {
			// The error shows the URL with any password masked.
			return usagef("serve", "invalid value for flag --webhook: %v", err)
		}
		cfg.Subscriptions = append(cfg.Subscriptions, s)
	}
	return nil
}

// parseHeaderFlags parses the values "Name: value" of a header flag of
// a command. Errors name the header but never show its value, which is
// usually a secret.
func parseHeaderFlags(command, flag string, values []string) (map[string]string, error) {
	headers := make(map[string]string, len(values))
	for _, v := range values {
		name, value, ok := strings.Cut(v, ":")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || name == "" {
			return nil, usagef(command, "invalid value for flag --%s: it has no \"Name:\" part: use \"Name: value\", such as \"Authorization: Bearer secret\" (the value is not shown because it may be a secret)", flag)
		}
		probe := mockplatform.Subscription{URL: "http://127.0.0.1/", Headers: map[string]string{name: value}}
		if err := probe.Validate(); err != nil {
			return nil, usagef(command, "invalid value for flag --%s: header %q: %s", flag, name, headerProblem(err))
		}
		headers[name] = value
	}
	return headers, nil
}

// headerProblem returns the part of a Subscription.Validate error after
// the subscription's label, which here names a placeholder URL.
func headerProblem(err error) string {
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, ": "); ok {
		return rest
	}
	return msg
}

func parseTopicsFlag(v string) ([]mockplatform.Topic, error) {
	var topics []mockplatform.Topic
	for part := range strings.SplitSeq(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		t, err := mockplatform.ParseTopic(part)
		if err != nil {
			return nil, usagef("serve", "invalid value %q for flag --webhook-topics: %v", v, err)
		}
		topics = append(topics, t)
	}
	return topics, nil
}

// configFieldFlags maps the top-level keys of the configuration file
// to the serve flags that set them.
var configFieldFlags = map[string]string{
	"addr":            "addr",
	"seed":            "seed",
	"clock":           "clock",
	"time_scale":      "time-scale",
	"tokens":          "token",
	"subscriptions":   "webhook",
	"default_profile": "default-profile",
	"request_id":      "request-id",
	"attempt_timeout": "attempt-timeout",
	"max_body_bytes":  "max-body-bytes",
	"journal_limit":   "journal-limit",
}

// flagError turns a validation error of the merged configuration into
// a usage error when a flag given on the command line set the field.
func flagError(err error, explicit map[string]bool) error {
	var ce *mockplatform.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	key, _, _ := strings.Cut(ce.Field, "[")
	key, _, _ = strings.Cut(key, ".")
	if name, ok := configFieldFlags[key]; ok && explicit[name] {
		return usagef("serve", "flag --%s: %v", name, ce.Err)
	}
	return fmt.Errorf("configuration: %w", err)
}

// newLogger returns the serve logger on stderr.
func newLogger(stderr io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil || !slices.Contains([]string{"debug", "info", "warn", "error"}, strings.ToLower(level)) {
		return nil, usagef("serve", "invalid value %q for flag --log-level: use debug, info, warn or error", level)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, hopts)), nil
	}
	return nil, usagef("serve", "invalid value %q for flag --log-format: use text or json", format)
}

// printReady writes the ready block: the platform's URLs, tenants,
// clock and webhooks. The token is shown only when it is the public
// built-in development token, because tokens the user gave are secrets.
func printReady(w io.Writer, p *mockplatform.Platform, cfg mockplatform.Config) {
	base := p.URL()
	var b strings.Builder
	b.WriteString("parashift-mock is ready. Stop it with Ctrl+C.\n")
	fmt.Fprintf(&b, "  base URL:     %s\n", base)
	fmt.Fprintf(&b, "  REST API:     %s/v2\n", base)
	fmt.Fprintf(&b, "  control API:  %s/_mock\n", base)
	if len(cfg.Tokens) == 0 {
		fmt.Fprintf(&b, "  tenants:      %d\n", mockplatform.DefaultTenant)
		fmt.Fprintf(&b, "  token:        %s (built-in development token)\n", mockplatform.DefaultToken)
	} else {
		tenants := make([]string, 0, len(cfg.Tokens))
		for _, t := range cfg.Tokens {
			tenants = append(tenants, strconv.FormatInt(t.Tenant, 10))
		}
		slices.Sort(tenants)
		fmt.Fprintf(&b, "  tenants:      %s\n", strings.Join(slices.Compact(tenants), ", "))
		b.WriteString("  token:        (from --token/config)\n")
	}
	fmt.Fprintf(&b, "  clock:        %s\n", describeClock(cfg))
	subs := p.Subscriptions()
	if len(subs) == 0 {
		b.WriteString("  webhooks:     none (add one with --webhook URL)\n")
	}
	for _, s := range subs {
		fmt.Fprintf(&b, "  webhook:      %s %s (%s)\n", s.ID, redactURL(s.URL), describeTopics(s.Topics))
	}
	io.WriteString(w, b.String())
}

func describeClock(cfg mockplatform.Config) string {
	switch kind := cfg.ClockKind(); kind {
	case mockplatform.ClockScaled:
		return fmt.Sprintf("scaled, %v times faster than wall time", cfg.TimeScale)
	case mockplatform.ClockManual:
		return "manual, platform time stands still until advanced"
	default:
		return string(kind)
	}
}

func describeTopics(topics []mockplatform.Topic) string {
	if len(topics) == 0 {
		return "every topic"
	}
	names := make([]string, len(topics))
	for i, t := range topics {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// containerMarker is a file that Docker creates in every container.
const containerMarker = "/.dockerenv"

// inContainer reports whether the program runs in a Docker container.
func inContainer() bool {
	_, err := os.Stat(containerMarker)
	return err == nil
}

// loopbackAddr reports whether a listen address host:port binds to a
// loopback interface only. An empty address means Options' default,
// which is on loopback.
func loopbackAddr(addr string) bool {
	if addr == "" {
		return true
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// redactURL hides a password in the URL's user information.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Redacted()
}
