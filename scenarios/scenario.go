// Package scenarios runs a consumer of the Parashift platform through
// named, repeatable situations and judges how it behaved.
//
// A Scenario lists which documents to upload, with which workflow
// profiles, which fault rules the platform applies to its webhooks and
// REST API, and which checks of package assertions the consumer must
// pass. Run starts an in-process mock platform, subscribes the
// consumer's webhook URL, uploads the documents, waits until the
// platform is idle and the consumer has had time to settle, and returns
// a Report with every check's Result. RunT does the same in a Go test.
//
// Scenarios are YAML files, read with Load, or Go values. Catalog
// returns the built-in scenarios, which cover every topic, the failure
// of each stage and the faults that each check needs.
package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"time"

	"github.com/parashift-mock/parashift-mock/internal/yamlnode"
	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// Defaults used when the matching Scenario field is zero.
const (
	// DefaultTimeScale runs platform time 100 times faster than wall
	// time: a straight-through document takes 0.16 s, a document that
	// passes every manual level about 3.8 s, and the first three
	// webhook retries, with their jitter, 2.8 to 3.7 s together.
	DefaultTimeScale = 100
	// DefaultTimeout bounds a whole scenario in wall time.
	DefaultTimeout = 2 * time.Minute
	// DefaultSettle is the wall time the consumer gets after the
	// platform is idle, to finish its work, poll and report effects.
	DefaultSettle = 2 * time.Second
)

// MaxDocuments bounds the documents of one scenario, summed over its
// document sets.
const MaxDocuments = 100_000

// SubscriptionID is the id of the webhook subscription that Run adds
// for the consumer. Rules can select it with match.subscriptions.
const SubscriptionID = "consumer"

// Scenario is one situation to run a consumer through. The zero value
// of every field but Documents and Checks means its default.
type Scenario struct {
	// Name identifies the scenario in reports: 1 to 64 letters, digits,
	// '.', '_' or '-'. Load defaults it to the file name without its
	// extension.
	Name string `yaml:"name"`

	// Description states what the scenario proves. Its first line is the
	// summary that listings show.
	Description string `yaml:"description"`

	// Seed makes the platform's jitter, request ids and fault decisions
	// and the generated documents reproducible.
	Seed uint64 `yaml:"seed"`

	// TimeScale is how many times faster than wall time the platform's
	// clock runs, from mockplatform.MinTimeScale to
	// mockplatform.MaxTimeScale. Zero means DefaultTimeScale; 1 is wall
	// time.
	TimeScale float64 `yaml:"time_scale"`

	// RequestID selects whether a webhook's request_id stays the same
	// across retries. Empty means mockplatform.RequestIDModePerEvent.
	RequestID mockplatform.RequestIDMode `yaml:"request_id"`

	// AttemptTimeout bounds one delivery attempt in wall time. Zero
	// means mockplatform.DefaultAttemptTimeout.
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`

	// Profiles are workflow profiles added to the built-in ones for
	// this scenario's documents.
	Profiles []mockplatform.Profile `yaml:"profiles"`

	// Documents are the sets of documents uploaded when the scenario
	// starts, in order. At least one is required.
	Documents []DocumentSet `yaml:"documents"`

	// Subscription configures the consumer's webhook subscription.
	Subscription Subscription `yaml:"subscription"`

	// Rules are the fault rules active from the start.
	Rules []mockplatform.Rule `yaml:"rules"`

	// Checks are the checks the consumer must pass. At least one is
	// required, and each check may appear once.
	Checks []CheckSpec `yaml:"checks"`

	// Limits bound the scenario's wall time.
	Limits Limits `yaml:"limits"`
}

// DocumentSet is a group of documents uploaded together, with the same
// profile or mix of profiles and the same patterns.
type DocumentSet struct {
	// Count is how many documents the set has, at least 1.
	Count int `yaml:"count"`

	// Profile names the workflow profile of every document in the set:
	// a built-in profile or one of Scenario.Profiles. Empty, with
	// Profiles empty too, means the platform's default profile.
	Profile string `yaml:"profile"`

	// Profiles is a weighted mix of profiles, by name: with
	// {straight-through: 3, fail-extraction: 1}, three quarters of the
	// documents pass and one quarter fails. The counts are exact, with
	// remainders going to the largest fractions, and the order of the
	// profiles among the documents is shuffled with the seed. Set
	// Profile or Profiles, not both.
	Profiles map[string]int `yaml:"profiles"`

	// ExternalID is the pattern of the documents' external_id. {n} is
	// the document's number in the set, from 1; other {function} and
	// {function:params} tags, # (a digit) and ? (a letter) are expanded
	// by gofakeit's Generate, seeded from the scenario's seed. Empty
	// means "EX#########", nine random digits.
	ExternalID string `yaml:"external_id"`

	// CustomFields are the documents' custom_fields. String values, at
	// any depth, are patterns like ExternalID; other values are copied.
	CustomFields map[string]any `yaml:"custom_fields"`
}

// Subscription configures the webhook subscription of the consumer.
// Its URL and auth header come from RunOptions.
type Subscription struct {
	// Topics are the topics the consumer receives. Empty means every
	// topic.
	Topics []mockplatform.Topic `yaml:"topics"`

	// Headers are sent with every delivery, in addition to
	// RunOptions.Headers, which win when both set a header.
	Headers map[string]string `yaml:"headers"`
}

// Limits bound a scenario in wall time.
type Limits struct {
	// Timeout bounds the whole scenario, from the platform's start to
	// the checks' verdicts. When the platform is not idle by then, the
	// checks judge what happened so far. Zero means DefaultTimeout.
	Timeout time.Duration `yaml:"timeout"`

	// Settle is the time the consumer gets after the platform is idle,
	// before the checks decide. It must cover the consumer's own
	// delays, such as waiting until a document is overdue before it
	// polls. Zero means DefaultSettle.
	Settle time.Duration `yaml:"settle"`
}

// withDefaults returns sc with zero fields set to their defaults.
func (sc Scenario) withDefaults() Scenario {
	if sc.TimeScale == 0 {
		sc.TimeScale = DefaultTimeScale
	}
	if sc.Limits.Timeout == 0 {
		sc.Limits.Timeout = DefaultTimeout
	}
	if sc.Limits.Settle == 0 {
		sc.Limits.Settle = DefaultSettle
	}
	return sc
}

// Summary returns the first line of the description.
func (sc Scenario) Summary() string {
	for i, r := range sc.Description {
		if r == '\n' {
			return sc.Description[:i]
		}
	}
	return sc.Description
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// FieldError is an invalid value of a Scenario. Path is the field as
// it appears in a scenario file, such as "documents[1].profile".
type FieldError struct {
	Path []any
	Err  error
}

func (e *FieldError) Error() string { return yamlnode.FormatPath(e.Path) + ": " + e.Err.Error() }

func (e *FieldError) Unwrap() error { return e.Err }

func fieldErrorf(path []any, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Err: fmt.Errorf(format, args...)}
}

// Validate reports the first invalid value of sc as a *FieldError
// naming its field.
func (sc Scenario) Validate() error {
	if fe := sc.validate(); fe != nil {
		return fe
	}
	return nil
}

func (sc Scenario) validate() *FieldError {
	steps := []func() *FieldError{
		sc.validateHeader, sc.validateProfiles, sc.validateDocuments,
		sc.validateSubscription, sc.validateRules, sc.validateChecks, sc.validateLimits,
	}
	for _, step := range steps {
		if fe := step(); fe != nil {
			return fe
		}
	}
	return nil
}

// validateHeader checks the scalar settings at the top of a file.
func (sc Scenario) validateHeader() *FieldError {
	if !namePattern.MatchString(sc.Name) {
		return fieldErrorf([]any{"name"}, "name %q is invalid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", sc.Name)
	}
	ts := sc.TimeScale
	if math.IsNaN(ts) || math.IsInf(ts, 0) || ts < 0 {
		return fieldErrorf([]any{"time_scale"}, "time_scale %v is invalid: use a finite number greater than 0, such as 100", ts)
	}
	if ts != 0 && (ts < mockplatform.MinTimeScale || ts > mockplatform.MaxTimeScale) {
		return fieldErrorf([]any{"time_scale"}, "time_scale %v is out of range: use %v to %v", ts, mockplatform.MinTimeScale, mockplatform.MaxTimeScale)
	}
	switch sc.RequestID {
	case "", mockplatform.RequestIDModePerEvent, mockplatform.RequestIDModePerAttempt:
	default:
		return fieldErrorf([]any{"request_id"}, "request_id %q is invalid: use %q (one request_id per event) or %q (a new one per attempt)",
			sc.RequestID, mockplatform.RequestIDModePerEvent, mockplatform.RequestIDModePerAttempt)
	}
	if sc.AttemptTimeout < 0 {
		return fieldErrorf([]any{"attempt_timeout"}, "attempt_timeout %s is negative: use a positive duration such as 5s, or 0 for the default %s", sc.AttemptTimeout, mockplatform.DefaultAttemptTimeout)
	}
	return nil
}

func (sc Scenario) validateProfiles() *FieldError {
	seen := make(map[string]int, len(sc.Profiles))
	for i, p := range sc.Profiles {
		if err := p.Validate(); err != nil {
			return &FieldError{Path: []any{"profiles", i}, Err: err}
		}
		if first, ok := seen[p.Name]; ok {
			return fieldErrorf([]any{"profiles", i, "name"}, "profile name %q is already used by profiles[%d]: give each profile its own name", p.Name, first)
		}
		seen[p.Name] = i
	}
	return nil
}

// profileNames returns the built-in profile names and the scenario's
// own, sorted.
func (sc Scenario) profileNames() []string {
	var names []string
	for _, p := range mockplatform.BuiltinProfiles() {
		names = append(names, p.Name)
	}
	for _, p := range sc.Profiles {
		if !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	return names
}

func (sc Scenario) validateSubscription() *FieldError {
	s := mockplatform.Subscription{ID: SubscriptionID, URL: "http://127.0.0.1/", Headers: sc.Subscription.Headers}
	for i, t := range sc.Subscription.Topics {
		if _, err := mockplatform.ParseTopic(string(t)); err != nil {
			return &FieldError{Path: []any{"subscription", "topics", i}, Err: err}
		}
	}
	if err := s.Validate(); err != nil {
		return &FieldError{Path: []any{"subscription", "headers"}, Err: err}
	}
	return nil
}

func (sc Scenario) validateRules() *FieldError {
	seen := make(map[string]int, len(sc.Rules))
	for i, r := range sc.Rules {
		if err := r.Validate(); err != nil {
			return &FieldError{Path: []any{"rules", i}, Err: err}
		}
		for j, id := range r.Match.Subscriptions {
			if id != SubscriptionID {
				return fieldErrorf([]any{"rules", i, "match", "subscriptions", j},
					"subscription %q does not exist: a scenario has one subscription, %q", id, SubscriptionID)
			}
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

func (sc Scenario) validateLimits() *FieldError {
	l := sc.Limits
	if l.Timeout < 0 {
		return fieldErrorf([]any{"limits", "timeout"}, "timeout %s is negative: use a positive duration such as 1m, or 0 for the default %s", l.Timeout, DefaultTimeout)
	}
	if l.Settle < 0 {
		return fieldErrorf([]any{"limits", "settle"}, "settle %s is negative: use a positive duration such as 3s, or 0 for the default %s", l.Settle, DefaultSettle)
	}
	d := sc.withDefaults().Limits
	if d.Settle >= d.Timeout {
		return fieldErrorf([]any{"limits", "settle"}, "settle %s is not shorter than the timeout %s: shorten settle or lengthen timeout", d.Settle, d.Timeout)
	}
	return nil
}
