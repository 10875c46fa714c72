package mockplatform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/parashift-mock/parashift-mock/internal/yamlnode"

	"github.com/parashift-mock/parashift-mock/mockplatform/clock"
)

// ClockKind selects the clock that drives the platform's delays.
type ClockKind string

// The clock kinds a Config accepts.
const (
	// ClockReal runs platform time at wall-clock speed.
	ClockReal ClockKind = "real"
	// ClockScaled runs platform time Config.TimeScale times faster than
	// wall time.
	ClockScaled ClockKind = "scaled"
	// ClockManual stops platform time until a test or the control API
	// advances it.
	ClockManual ClockKind = "manual"
)

// The range of Config.TimeScale. Below the minimum a 2-second step
// takes over half an hour; above the maximum platform time passes in
// steps too coarse for the wall clock to order, so timestamps collide.
const (
	MinTimeScale = 0.001
	MaxTimeScale = 1e6
)

// RequestIDMode selects when a webhook's request_id changes.
type RequestIDMode string

// The request_id modes a Config accepts.
const (
	// RequestIDModePerEvent keeps one request_id for an event across
	// its retries.
	RequestIDModePerEvent RequestIDMode = "per-event"
	// RequestIDModePerAttempt gives every delivery attempt a new
	// request_id.
	RequestIDModePerAttempt RequestIDMode = "per-attempt"
)

// Config is the contents of a configuration file, decoded from YAML by
// LoadConfig. The zero value is valid and gives the defaults of
// Options. testdata/config/full.yaml shows every key but rules, which
// testdata/config/chaos.yaml shows.
type Config struct {
	// Addr is the listen address, such as "127.0.0.1:8080". Empty
	// means Options' default, a random loopback port.
	Addr string `yaml:"addr"`

	// Seed makes jitter, request ids and fake extracted values
	// reproducible.
	Seed uint64 `yaml:"seed"`

	// Clock selects the clock. Empty means ClockScaled when TimeScale
	// is set and not 1, else ClockReal.
	Clock ClockKind `yaml:"clock"`

	// TimeScale is how many times faster than wall time the scaled
	// clock runs. Zero means unset; it is only valid with ClockScaled.
	TimeScale float64 `yaml:"time_scale"`

	// Tokens are the bearer tokens of the REST API. Empty means
	// DefaultToken for DefaultTenant.
	Tokens []TenantToken `yaml:"tokens"`

	// Subscriptions are the webhooks configured at start.
	Subscriptions []Subscription `yaml:"subscriptions"`

	// Profiles are added to the built-in profiles; a profile with a
	// built-in name replaces it.
	Profiles []Profile `yaml:"profiles"`

	// DefaultProfile names the profile of documents that select none.
	// Empty means DefaultProfileName.
	DefaultProfile string `yaml:"default_profile"`

	// Rules are the fault injection rules active from the start.
	Rules []Rule `yaml:"rules"`

	// RequestID selects when request_id changes. Empty means
	// RequestIDModePerEvent.
	RequestID RequestIDMode `yaml:"request_id"`

	// AttemptTimeout bounds one delivery attempt. Zero means
	// DefaultAttemptTimeout.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`

	// MaxBodyBytes bounds a REST API request body. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`

	// JournalLimit bounds each journal. Zero means
	// DefaultJournalLimit.
	JournalLimit int `yaml:"journal_limit"`

	// FirstDocumentID is the id of the first uploaded document. Zero
	// means DefaultFirstID.
	FirstDocumentID int64 `yaml:"first_document_id"`
}

// TenantToken is a bearer token of the REST API and the tenant it
// belongs to.
type TenantToken struct {
	Token  string `yaml:"token"`
	Tenant int64  `yaml:"tenant"`
}

// ConfigError is an invalid configuration value. LoadConfig returns
// one, or several joined with errors.Join, for every error it finds in
// the file; Config.Validate returns one without File and Line.
type ConfigError struct {
	// File is the configuration file's path; empty for a Config that
	// was not loaded from a file.
	File string
	// Line is the 1-based line of the offending key or value; zero
	// when unknown.
	Line int
	// Field is the offending key as a path such as
	// "subscriptions[0].url"; empty when the error is about the file
	// as a whole.
	Field string
	// Err describes the problem and how to fix it.
	Err error
}

func (e *ConfigError) Error() string {
	return yamlnode.FormatProblem(e.File, e.Line, e.Field, e.Err)
}

func (e *ConfigError) Unwrap() error { return e.Err }

// LoadConfig reads and validates the YAML configuration file at path.
// Unknown keys, values of the wrong type and invalid values are
// errors; each error is a *ConfigError naming the file, the line and
// the field. An empty file gives the zero Config.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The PathError's own text repeats the path that ConfigError
		// already shows.
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Config{}, &ConfigError{File: path, Err: fmt.Errorf("read config file: %w: pass the path of an existing YAML file", err)}
	}
	root, err := parseConfigNode(path, data)
	if err != nil || root == nil {
		return Config{}, err
	}

	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, decodeError(path, root, err)
	}

	// In a Config, time_scale 0 means unset; in a file it is a mistake.
	if n := yamlnode.Value(root, []any{"time_scale"}); n != nil && c.TimeScale == 0 {
		return Config{}, &ConfigError{File: path, Line: n.Line, Field: "time_scale",
			Err: errors.New("time_scale 0 is invalid: use a number greater than 0, such as 10, or remove the key")}
	}
	if fe := c.validate(); fe != nil {
		return Config{}, &ConfigError{File: path, Line: yamlnode.Line(root, fe.path), Field: yamlnode.FormatPath(fe.path), Err: fe.err}
	}
	return c, nil
}

// parseConfigNode parses data into a node tree used to find the lines
// of keys. It returns nil for a file without a YAML document.
func parseConfigNode(path string, data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(path, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return &root, nil
	case err != nil:
		return nil, syntaxError(path, err)
	}
	return nil, &ConfigError{File: path, Line: extra.Line,
		Err: errors.New("a second YAML document starts here: keep one document per configuration file")}
}

// syntaxError converts a yaml.v3 parse error into a ConfigError.
func syntaxError(path string, err error) error {
	pr := yamlnode.SyntaxProblem(err)
	return &ConfigError{File: path, Line: pr.Line, Err: pr.Err}
}

// decodeError converts the errors of decoding the file into a Config
// into ConfigErrors, one per problem, in the order yaml.v3 found them.
func decodeError(path string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return syntaxError(path, err)
	}
	var errs []error
	for _, pr := range configSchema.DecodeProblems(root, te) {
		errs = append(errs, &ConfigError{File: path, Line: pr.Line, Field: pr.Field, Err: pr.Err})
	}
	return errors.Join(errs...)
}

// configSchema describes a configuration file's mappings, by the names
// yaml.v3 gives their types in its errors.
var configSchema = yamlnode.Schema{
	Sections: map[string]yamlnode.Section{
		"mockplatform.Config":       {Type: reflect.TypeFor[Config](), Name: "at the top level"},
		"mockplatform.TenantToken":  {Type: reflect.TypeFor[TenantToken](), Name: "of a tokens entry"},
		"mockplatform.Subscription": {Type: reflect.TypeFor[Subscription](), Name: "of a subscriptions entry"},
		"mockplatform.Profile":      {Type: reflect.TypeFor[Profile](), Name: "of a profiles entry"},
		"mockplatform.Rule":         {Type: reflect.TypeFor[Rule](), Name: "of a rules entry"},
		"mockplatform.Match":        {Type: reflect.TypeFor[Match](), Name: "of a rule's match"},
		"mockplatform.When":         {Type: reflect.TypeFor[When](), Name: "of a rule's when"},
	},
	Elsewhere: "at the top level",
}

// fieldError is an invalid value at a path of keys and list indexes.
type fieldError struct {
	path []any
	err  error
}

func fieldErrorf(path []any, format string, args ...any) *fieldError {
	return &fieldError{path: path, err: fmt.Errorf(format, args...)}
}

// Validate reports the first invalid value of c as a *ConfigError
// naming its field. LoadConfig and Options call it.
func (c Config) Validate() error {
	if fe := c.validate(); fe != nil {
		return &ConfigError{Field: yamlnode.FormatPath(fe.path), Err: fe.err}
	}
	return nil
}

func (c Config) validate() *fieldError {
	checks := []func() *fieldError{
		c.validateAddr, c.validateClock, c.validateTokens,
		c.validateSubscriptions, c.validateProfiles, c.validateRules, c.validateLimits,
	}
	for _, check := range checks {
		if fe := check(); fe != nil {
			return fe
		}
	}
	return nil
}

func (c Config) validateAddr() *fieldError {
	if c.Addr == "" {
		return nil
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fieldErrorf([]any{"addr"}, "address %q is invalid: use host:port, such as 127.0.0.1:8080, or port 0 for a random port", c.Addr)
	}
	return nil
}

func (c Config) validateClock() *fieldError {
	ts := c.TimeScale
	if math.IsNaN(ts) || math.IsInf(ts, 0) || ts < 0 {
		return fieldErrorf([]any{"time_scale"}, "time_scale %v is invalid: use a finite number greater than 0, such as 10", ts)
	}
	if ts != 0 && (ts < MinTimeScale || ts > MaxTimeScale) {
		return fieldErrorf([]any{"time_scale"}, "time_scale %v is out of range: use %v to %v; for more control of time use clock manual", ts, MinTimeScale, MaxTimeScale)
	}
	scaled := ts != 0 && ts != 1
	switch c.Clock {
	case "":
	case ClockReal:
		if scaled {
			return fieldErrorf([]any{"time_scale"}, "time_scale %v needs clock %q, but clock is %q: set clock to %q or remove time_scale", ts, ClockScaled, c.Clock, ClockScaled)
		}
	case ClockScaled:
		if ts == 0 {
			return fieldErrorf([]any{"clock"}, "clock %q needs time_scale: add time_scale, such as 10 for ten times faster than wall time", c.Clock)
		}
	case ClockManual:
		if ts != 0 {
			return fieldErrorf([]any{"time_scale"}, "time_scale %v has no effect with clock %q: remove time_scale, or set clock to %q", ts, c.Clock, ClockScaled)
		}
	default:
		return fieldErrorf([]any{"clock"}, "clock %q is invalid: use %q, %q or %q", c.Clock, ClockReal, ClockScaled, ClockManual)
	}
	return nil
}

func (c Config) validateTokens() *fieldError {
	seen := make(map[string]int, len(c.Tokens))
	for i, t := range c.Tokens {
		if t.Token == "" {
			return fieldErrorf([]any{"tokens", i, "token"}, "token is missing or empty: give every tenant a non-empty bearer token")
		}
		if first, ok := seen[t.Token]; ok {
			// The value is a secret, so the message names the entries
			// instead.
			return fieldErrorf([]any{"tokens", i, "token"}, "token repeats the token of tokens[%d]: give each entry its own token", first)
		}
		seen[t.Token] = i
		if t.Tenant <= 0 {
			return fieldErrorf([]any{"tokens", i, "tenant"}, "tenant %d is invalid: tenant ids are positive integers, such as 1", t.Tenant)
		}
	}
	return nil
}

func (c Config) validateSubscriptions() *fieldError {
	seen := make(map[string]int, len(c.Subscriptions))
	for i, s := range c.Subscriptions {
		if fe := validateSubscription(i, s); fe != nil {
			return fe
		}
		if s.ID == "" {
			continue
		}
		if first, ok := seen[s.ID]; ok {
			return fieldErrorf([]any{"subscriptions", i, "id"}, "subscription id %q is already used by subscriptions[%d]: give each subscription its own id", s.ID, first)
		}
		seen[s.ID] = i
	}
	return nil
}

// validateSubscription validates s one part at a time with
// Subscription.Validate, so the error points at the offending key.
func validateSubscription(i int, s Subscription) *fieldError {
	at := func(err error, path ...any) *fieldError {
		return &fieldError{path: append([]any{"subscriptions", i}, path...), err: err}
	}
	if err := (Subscription{ID: s.ID, URL: "http://127.0.0.1/"}).Validate(); err != nil {
		return at(err, "id")
	}
	if err := (Subscription{ID: s.ID, URL: s.URL}).Validate(); err != nil {
		return at(err, "url")
	}
	names := make([]string, 0, len(s.Headers))
	for name := range s.Headers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		single := Subscription{ID: s.ID, URL: s.URL, Headers: map[string]string{name: s.Headers[name]}}
		if err := single.Validate(); err != nil {
			return at(err, "headers", name)
		}
	}
	for j, t := range s.Topics {
		if err := (Subscription{ID: s.ID, URL: s.URL, Topics: []Topic{t}}).Validate(); err != nil {
			return at(err, "topics", j)
		}
	}
	if err := s.Validate(); err != nil {
		return at(err)
	}
	return nil
}

func (c Config) validateRules() *fieldError {
	seen := make(map[string]int, len(c.Rules))
	for i, r := range c.Rules {
		if err := r.Validate(); err != nil {
			return fieldErrorf([]any{"rules", i}, "%v", err)
		}
		if r.ID == "" {
			continue
		}
		if first, ok := seen[r.ID]; ok {
			return fieldErrorf([]any{"rules", i, "id"}, "rule id %q is already used by rules[%d]: give each rule its own id", r.ID, first)
		}
		seen[r.ID] = i
	}
	return nil
}

func (c Config) validateProfiles() *fieldError {
	names := make(map[string]bool)
	for _, p := range BuiltinProfiles() {
		names[p.Name] = true
	}
	seen := make(map[string]int, len(c.Profiles))
	for i, p := range c.Profiles {
		if fe := validateProfile(i, p); fe != nil {
			return fe
		}
		if first, ok := seen[p.Name]; ok {
			return fieldErrorf([]any{"profiles", i, "name"}, "profile name %q is already used by profiles[%d]: give each profile its own name", p.Name, first)
		}
		seen[p.Name] = i
		names[p.Name] = true
	}
	if c.DefaultProfile != "" && !names[c.DefaultProfile] {
		list := slices.Sorted(func(yield func(string) bool) {
			for n := range names {
				if !yield(n) {
					return
				}
			}
		})
		return fieldErrorf([]any{"default_profile"}, "profile %q is not defined: use one of %s, or define it under profiles", c.DefaultProfile, strings.Join(list, ", "))
	}
	return nil
}

// validateProfile validates p one part at a time with
// Profile.Validate, so the error points at the offending key.
func validateProfile(i int, p Profile) *fieldError {
	at := func(err error, path ...any) *fieldError {
		return &fieldError{path: append([]any{"profiles", i}, path...), err: err}
	}
	base := Profile{Name: p.Name}
	if err := base.Validate(); err != nil {
		return at(err, "name")
	}
	stages := []struct {
		key    string
		levels []Level
		set    func(*Profile, []Level)
	}{
		{"separation", p.Separation, func(q *Profile, l []Level) { q.Separation = l }},
		{"classification", p.Classification, func(q *Profile, l []Level) { q.Classification = l }},
		{"extraction", p.Extraction, func(q *Profile, l []Level) { q.Extraction = l }},
	}
	for _, st := range stages {
		// Growing prefixes find the first unknown or repeated level.
		for j := range st.levels {
			q := base
			st.set(&q, st.levels[:j+1])
			if err := q.Validate(); err != nil {
				return at(err, st.key, j)
			}
		}
	}
	parts := []struct {
		key string
		set func(*Profile)
	}{
		{"step_duration", func(q *Profile) { q.StepDuration = p.StepDuration }},
		{"manual_duration", func(q *Profile) { q.ManualDuration = p.ManualDuration }},
		{"fail_at", func(q *Profile) { q.FailAt = p.FailAt }},
	}
	for _, part := range parts {
		q := base
		part.set(&q)
		if err := q.Validate(); err != nil {
			return at(err, part.key)
		}
	}
	if err := p.Validate(); err != nil {
		return at(err)
	}
	return nil
}

func (c Config) validateLimits() *fieldError {
	switch c.RequestID {
	case "", RequestIDModePerEvent, RequestIDModePerAttempt:
	default:
		return fieldErrorf([]any{"request_id"}, "request_id %q is invalid: use %q (one request_id per event) or %q (a new one per attempt)", c.RequestID, RequestIDModePerEvent, RequestIDModePerAttempt)
	}
	if c.AttemptTimeout < 0 {
		return fieldErrorf([]any{"attempt_timeout"}, "attempt_timeout %s is negative: use a positive duration such as 10s, or 0 for the default %s", c.AttemptTimeout, DefaultAttemptTimeout)
	}
	if c.MaxBodyBytes < 0 {
		return fieldErrorf([]any{"max_body_bytes"}, "max_body_bytes %d is negative: use a positive number of bytes, or 0 for the default %d", c.MaxBodyBytes, DefaultMaxBodyBytes)
	}
	if c.JournalLimit < 0 {
		return fieldErrorf([]any{"journal_limit"}, "journal_limit %d is negative: use a positive number of records, or 0 for the default %d", c.JournalLimit, DefaultJournalLimit)
	}
	if c.FirstDocumentID < 0 {
		return fieldErrorf([]any{"first_document_id"}, "first_document_id %d is negative: use a positive id, or 0 for the default %d", c.FirstDocumentID, DefaultFirstID)
	}
	return nil
}

// ClockKind returns the clock c selects: Clock, or when it is empty,
// ClockScaled if TimeScale is set and not 1, else ClockReal.
func (c Config) ClockKind() ClockKind {
	switch {
	case c.Clock != "":
		return c.Clock
	case c.TimeScale != 0 && c.TimeScale != 1:
		return ClockScaled
	}
	return ClockReal
}

// Options validates c and returns the Options it describes. A manual
// clock starts at the current wall time in UTC.
func (c Config) Options() (Options, error) {
	if err := c.Validate(); err != nil {
		return Options{}, fmt.Errorf("mockplatform: config: %w", err)
	}
	opts := Options{
		Addr:                c.Addr,
		Seed:                c.Seed,
		Subscriptions:       slices.Clone(c.Subscriptions),
		Profiles:            slices.Clone(c.Profiles),
		Rules:               slices.Clone(c.Rules),
		DefaultProfile:      c.DefaultProfile,
		RequestIDPerAttempt: c.RequestID == RequestIDModePerAttempt,
		AttemptTimeout:      c.AttemptTimeout,
		MaxBodyBytes:        c.MaxBodyBytes,
		JournalLimit:        c.JournalLimit,
		FirstDocumentID:     c.FirstDocumentID,
	}
	if len(c.Tokens) > 0 {
		opts.Tokens = make(map[string]int64, len(c.Tokens))
		for _, t := range c.Tokens {
			opts.Tokens[t.Token] = t.Tenant
		}
	}
	switch c.ClockKind() {
	case ClockScaled:
		scaled, err := clock.NewScaled(c.TimeScale)
		if err != nil {
			return Options{}, fmt.Errorf("mockplatform: config: time_scale: %w", err)
		}
		opts.Clock = scaled
	case ClockManual:
		opts.Clock = clock.NewManual(time.Now().UTC())
	default:
		opts.Clock = clock.Real()
	}
	return opts, nil
}
