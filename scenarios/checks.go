package scenarios

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/assertions"
)

// CheckSpec names one check of package assertions and sets its
// parameters. Each parameter belongs to the checks listed in its
// comment; zero means the check's own default.
type CheckSpec struct {
	// Name is the check's name, such as "acks-fast"; CheckNames lists
	// them.
	Name string `yaml:"name"`

	// Deadline: acks-fast, the longest time to respond to a webhook;
	// polls-for-lost, the time to ask after a document is overdue.
	Deadline time.Duration `yaml:"deadline"`
	// Overdue: polls-for-lost, how long after the missed webhook a
	// document counts as overdue.
	Overdue time.Duration `yaml:"overdue"`
	// MaxRate: polls-politely, the most REST API requests per second.
	MaxRate float64 `yaml:"max_rate"`
	// Grace: polls-politely, how long after the consumer learned that
	// a document is terminal a request for it still counts as in
	// flight.
	Grace time.Duration `yaml:"grace"`
	// MinDelay: retries-politely, the shortest wait before retrying a
	// 5xx, a reset or a timeout.
	MinDelay time.Duration `yaml:"min_delay"`
	// MaxAttempts: retries-politely, the most requests in a run of
	// failures of one request.
	MaxAttempts int `yaml:"max_attempts"`
	// RetryWithin: retries-politely, how soon after a failure the
	// retry must come; a later request counts as a new call.
	RetryWithin time.Duration `yaml:"retry_within"`
	// NoRetryWindow: retries-politely, how long after a 4xx other than
	// 429 the same request must not come again.
	NoRetryWindow time.Duration `yaml:"no_retry_window"`
	// Tolerance: retries-politely, the allowance for clock differences
	// on Retry-After.
	Tolerance time.Duration `yaml:"tolerance"`
}

// checkInfo is a check's name and the keys of the CheckSpec
// parameters it takes.
type checkInfo struct {
	name   string
	params []string
}

// checkParams lists the checks in the order of reports and docs.
var checkParams = []checkInfo{
	{"acks-fast", []string{"deadline"}},
	{"rejects-unauthenticated", nil},
	{"forward-compatible", nil},
	{"idempotent", nil},
	{"order-robust", nil},
	{"polls-for-lost", []string{"overdue", "deadline"}},
	{"polls-politely", []string{"max_rate", "grace"}},
	{"retries-politely", []string{"min_delay", "max_attempts", "retry_within", "no_retry_window", "tolerance"}},
}

// CheckNames returns the names of the checks a scenario can list.
func CheckNames() []string {
	names := make([]string, len(checkParams))
	for i, c := range checkParams {
		names[i] = c.name
	}
	return names
}

// Check returns the assertions check that c describes. It panics on a
// name that CheckNames does not list; Scenario.Validate rejects those.
func (c CheckSpec) Check() assertions.Check {
	switch c.Name {
	case "acks-fast":
		return assertions.AcksFast{Deadline: c.Deadline}
	case "rejects-unauthenticated":
		return assertions.RejectsUnauthenticated{}
	case "forward-compatible":
		return assertions.ForwardCompatible{}
	case "idempotent":
		return assertions.Idempotent{}
	case "order-robust":
		return assertions.OrderRobust{}
	case "polls-for-lost":
		return assertions.PollsForLost{Overdue: c.Overdue, Deadline: c.Deadline}
	case "polls-politely":
		return assertions.PollsPolitely{MaxRate: c.MaxRate, Grace: c.Grace}
	case "retries-politely":
		return assertions.RetriesPolitely{
			MinDelay: c.MinDelay, MaxAttempts: c.MaxAttempts, RetryWithin: c.RetryWithin,
			NoRetryWindow: c.NoRetryWindow, Tolerance: c.Tolerance,
		}
	}
	panic(fmt.Sprintf("scenarios: unknown check %q: use one of %s", c.Name, strings.Join(CheckNames(), ", ")))
}

// setParams returns the keys of the parameters c sets, in the order of
// CheckSpec's fields, and the first one whose value is invalid.
func (c CheckSpec) setParams() (set []string, invalid string, problem string) {
	durations := []struct {
		key   string
		value time.Duration
	}{
		{"deadline", c.Deadline}, {"overdue", c.Overdue}, {"grace", c.Grace}, {"min_delay", c.MinDelay},
		{"retry_within", c.RetryWithin}, {"no_retry_window", c.NoRetryWindow}, {"tolerance", c.Tolerance},
	}
	for _, d := range durations {
		if d.value != 0 {
			set = append(set, d.key)
		}
		if d.value < 0 && invalid == "" {
			invalid, problem = d.key, fmt.Sprintf("%s %s is negative: use a positive duration, or 0 for the check's default", d.key, d.value)
		}
	}
	if c.MaxRate != 0 {
		set = append(set, "max_rate")
		if math.IsNaN(c.MaxRate) || math.IsInf(c.MaxRate, 0) || c.MaxRate < 0 {
			invalid, problem = "max_rate", fmt.Sprintf("max_rate %v is invalid: use requests per second greater than 0, such as 10", c.MaxRate)
		}
	}
	if c.MaxAttempts != 0 {
		set = append(set, "max_attempts")
		if c.MaxAttempts < 0 {
			invalid, problem = "max_attempts", fmt.Sprintf("max_attempts %d is negative: use a positive number, or 0 for the check's default", c.MaxAttempts)
		}
	}
	return set, invalid, problem
}

func (sc Scenario) validateChecks() *FieldError {
	if len(sc.Checks) == 0 {
		return fieldErrorf([]any{"checks"}, "no checks: list at least one of %s", strings.Join(CheckNames(), ", "))
	}
	seen := make(map[string]int, len(sc.Checks))
	for i, c := range sc.Checks {
		if fe := c.validate([]any{"checks", i}); fe != nil {
			return fe
		}
		if first, ok := seen[c.Name]; ok {
			return fieldErrorf([]any{"checks", i, "name"}, "check %s is already listed as checks[%d]: list each check once", c.Name, first)
		}
		seen[c.Name] = i
	}
	return nil
}

func (c CheckSpec) validate(path []any) *FieldError {
	at := func(key string) []any { return append(slices.Clip(path), key) }
	i := slices.IndexFunc(checkParams, func(p checkInfo) bool { return p.name == c.Name })
	if i < 0 {
		return fieldErrorf(at("name"), "check %q is unknown: use one of %s", c.Name, strings.Join(CheckNames(), ", "))
	}
	allowed := checkParams[i].params
	set, invalid, problem := c.setParams()
	for _, key := range set {
		if slices.Contains(allowed, key) {
			continue
		}
		takes := "takes no parameters"
		if len(allowed) > 0 {
			takes = "takes " + strings.Join(allowed, ", ")
		}
		return fieldErrorf(at(key), "%s is not a parameter of %s: it %s", key, c.Name, takes)
	}
	if invalid != "" {
		return fieldErrorf(at(invalid), "%s", problem)
	}
	return nil
}
