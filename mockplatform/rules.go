package mockplatform

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// FaultKind names what a fault rule does.
type FaultKind string

// Webhook faults, applied by the dispatcher to matching events or
// delivery attempts.
const (
	// FaultDrop: the event is never sent and ends as dropped.
	FaultDrop FaultKind = "drop"
	// FaultFailAttempts: the first Rule.Attempts attempts of the event
	// count as failed without being sent, so the consumer first sees it
	// after the backoff.
	FaultFailAttempts FaultKind = "fail_attempts"
	// FaultLostAck: the attempt is sent and gets a response, but the
	// platform treats it as failed and retries, one way duplicates arise.
	FaultLostAck FaultKind = "lost_ack"
	// FaultDelay: the attempt waits Rule.Delay of platform time before
	// it is sent.
	FaultDelay FaultKind = "delay"
	// FaultDuplicate: the event is sent Rule.Copies extra times after
	// its first attempt, one after another or all at once.
	FaultDuplicate FaultKind = "duplicate"
	// FaultReorder: the event is held until the document's next event
	// for the same subscription has been sent, or for at most
	// Rule.Delay of platform time, so it arrives after a later topic.
	FaultReorder FaultKind = "reorder"
	// FaultCorrupt: the attempt's body or headers are damaged in the way
	// Rule.Corruption names.
	FaultCorrupt FaultKind = "corrupt"
	// FaultHeaders: the configured header Rule.Header, or every
	// configured header, is left out or sent with a wrong value.
	FaultHeaders FaultKind = "headers"
)

// REST API faults, applied to matching consumer requests under /v2.
const (
	// FaultStatus: the request is answered with Rule.Status and a
	// JSON:API error body; 429 carries a Retry-After header. The
	// request is not processed.
	FaultStatus FaultKind = "status"
	// FaultLatency: the response waits Rule.Delay of real time, because
	// the consumer's deadlines are real time.
	FaultLatency FaultKind = "latency"
	// FaultReset: the connection is closed without an answer.
	FaultReset FaultKind = "reset"
	// FaultHang: no answer is sent until the client gives up, the
	// platform shuts down or Rule.Delay of real time passes; then the
	// connection is reset.
	FaultHang FaultKind = "hang"
	// FaultStale: GET of a document shows its state of Rule.Delay
	// earlier in platform time.
	FaultStale FaultKind = "stale"
)

var webhookFaults = []FaultKind{FaultDrop, FaultFailAttempts, FaultLostAck, FaultDelay, FaultDuplicate, FaultReorder, FaultCorrupt, FaultHeaders}

var apiFaults = []FaultKind{FaultStatus, FaultLatency, FaultReset, FaultHang, FaultStale}

// Webhook reports whether the fault acts on webhook deliveries rather
// than on REST API requests.
func (k FaultKind) Webhook() bool { return slices.Contains(webhookFaults, k) }

// Corruption names how FaultCorrupt damages a delivery.
type Corruption string

// The corruptions of FaultCorrupt.
const (
	// CorruptInvalidJSON sends a body that is not JSON.
	CorruptInvalidJSON Corruption = "invalid_json"
	// CorruptTruncated sends the first half of the body.
	CorruptTruncated Corruption = "truncated"
	// CorruptContentType sends the body as text/plain.
	CorruptContentType Corruption = "content_type"
	// CorruptUnknownTopic replaces the topic with one the platform
	// does not have, as a newer platform version might send.
	CorruptUnknownTopic Corruption = "unknown_topic"
	// CorruptExtraAttributes adds attributes and members the payload
	// does not have today.
	CorruptExtraAttributes Corruption = "extra_attributes"
)

var corruptions = []Corruption{CorruptInvalidJSON, CorruptTruncated, CorruptContentType, CorruptUnknownTopic, CorruptExtraAttributes}

// HeaderMode names how FaultHeaders damages the configured headers.
type HeaderMode string

// The modes of FaultHeaders.
const (
	HeaderMissing HeaderMode = "missing"
	HeaderWrong   HeaderMode = "wrong"
)

// UnknownTopic is the topic CorruptUnknownTopic sends.
const UnknownTopic Topic = "document-archived"

// Rule is a fault injection rule: which deliveries or requests it
// matches, which of the matches it fires on, and what it does.
type Rule struct {
	// ID identifies the rule in journals and the control API. Empty
	// means the platform assigns "rule-N".
	ID string `yaml:"id"`

	// Fault is what the rule does.
	Fault FaultKind `yaml:"fault"`

	// Match selects the events, attempts or requests the rule applies
	// to. The zero Match matches everything of the fault's kind.
	Match Match `yaml:"match"`

	// When selects which matches the rule fires on. The zero When
	// fires on every match.
	When When `yaml:"when"`

	// Attempts is how many attempts FaultFailAttempts fails without
	// sending. Zero means 1.
	Attempts int `yaml:"attempts"`

	// Delay is the wait of FaultDelay, FaultLatency and FaultHang, the
	// longest hold of FaultReorder, and the age of FaultStale's state.
	// Zero means 5s for delay and latency, 60s for reorder and stale,
	// and until the client gives up for hang.
	Delay time.Duration `yaml:"delay"`

	// Copies is how many extra copies FaultDuplicate sends. Zero means 1.
	Copies int `yaml:"copies"`
	// Concurrent sends FaultDuplicate's copies together with the first
	// attempt instead of after it.
	Concurrent bool `yaml:"concurrent"`
	// NewRequestID gives each FaultDuplicate copy its own request_id.
	NewRequestID bool `yaml:"new_request_id"`

	// Corruption is how FaultCorrupt damages the attempt.
	Corruption Corruption `yaml:"corruption"`

	// Header names the configured header FaultHeaders damages. Empty
	// means every configured header.
	Header string `yaml:"header"`
	// HeaderMode is how FaultHeaders damages it. Empty means missing.
	HeaderMode HeaderMode `yaml:"header_mode"`

	// Status is FaultStatus's HTTP status: 429, 500, 502, 503 or 504,
	// or 404 for a read that comes before the document is visible.
	Status int `yaml:"status"`
	// RetryAfter is the Retry-After of a 429. Zero means 1s.
	RetryAfter time.Duration `yaml:"retry_after"`
	// RetryAfterDate sends Retry-After as an HTTP date instead of
	// seconds.
	RetryAfterDate bool `yaml:"retry_after_date"`
}

// Match selects what a rule applies to. Each non-empty field must
// match; an empty field matches everything.
type Match struct {
	// Topics of the event (webhook faults).
	Topics []Topic `yaml:"topics"`
	// Subscriptions by id (webhook faults).
	Subscriptions []string `yaml:"subscriptions"`
	// Documents by id.
	Documents []int64 `yaml:"documents"`
	// ExternalID is a path.Match pattern on the document's external_id,
	// such as "EX-*".
	ExternalID string `yaml:"external_id"`
	// Attempts are attempt numbers, 1 for the first delivery (webhook
	// faults that act on attempts).
	Attempts []int `yaml:"attempts"`
	// Methods of the request, such as GET (REST API faults).
	Methods []string `yaml:"methods"`
	// Path is a path.Match pattern on the request path, such as
	// "/v2/documents/*" (REST API faults).
	Path string `yaml:"path"`
}

// When selects which matches a rule fires on. At most one of Nth,
// First, Every and Probability may be set.
type When struct {
	// Nth fires on the nth match only.
	Nth int `yaml:"nth"`
	// First fires on the first N matches.
	First int `yaml:"first"`
	// Every fires on every Nth match: the Nth, 2Nth, and so on.
	Every int `yaml:"every"`
	// Probability fires on a match with this probability, decided from
	// the seed, the rule and the match alone.
	Probability float64 `yaml:"probability"`
	// After and Before bound the platform time since the platform
	// started in which the rule fires. Zero means unbounded.
	After  time.Duration `yaml:"after"`
	Before time.Duration `yaml:"before"`
	// Limit is the most times the rule fires. Zero means no limit.
	Limit int `yaml:"limit"`
}

// Validate reports the first invalid field of r, naming it and the
// accepted values.
func (r Rule) Validate() error {
	if r.ID != "" && !profileNamePattern.MatchString(r.ID) {
		return fmt.Errorf("rule id %q is invalid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", r.ID)
	}
	label := r.label()
	if !r.Fault.Webhook() && !slices.Contains(apiFaults, r.Fault) {
		return fmt.Errorf("rule %s: fault %q is unknown: webhook faults are %s; REST API faults are %s",
			label, r.Fault, joinKinds(webhookFaults), joinKinds(apiFaults))
	}
	if err := r.validateMatch(); err != nil {
		return fmt.Errorf("rule %s: %w", label, err)
	}
	if err := r.When.validate(); err != nil {
		return fmt.Errorf("rule %s: %w", label, err)
	}
	if err := r.validateParameters(); err != nil {
		return fmt.Errorf("rule %s: %w", label, err)
	}
	return nil
}

func (r Rule) label() string {
	if r.ID != "" {
		return r.ID
	}
	return fmt.Sprintf("(%s)", r.Fault)
}

func joinKinds(ks []FaultKind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func (r Rule) validateMatch() error {
	m := r.Match
	for _, t := range m.Topics {
		if _, err := ParseTopic(string(t)); err != nil {
			return fmt.Errorf("match.topics: %w", err)
		}
	}
	if _, err := path.Match(m.ExternalID, ""); err != nil {
		return fmt.Errorf("match.external_id %q is not a valid pattern: use * and ? wildcards, such as \"EX-*\"", m.ExternalID)
	}
	if _, err := path.Match(m.Path, ""); err != nil {
		return fmt.Errorf("match.path %q is not a valid pattern: use * and ? wildcards, such as \"/v2/documents/*\"", m.Path)
	}
	for _, a := range m.Attempts {
		if a < 1 || a > MaxRetries+1 {
			return fmt.Errorf("match.attempts: attempt %d is out of range: attempts are numbered 1 to %d", a, MaxRetries+1)
		}
	}
	for _, meth := range m.Methods {
		if !slices.Contains([]string{http.MethodGet, http.MethodPost, http.MethodPatch}, meth) {
			return fmt.Errorf("match.methods: method %q is not one the REST API serves: use GET, POST or PATCH", meth)
		}
	}
	eventLevel := slices.Contains([]FaultKind{FaultDrop, FaultFailAttempts, FaultDuplicate, FaultReorder}, r.Fault)
	if eventLevel && len(m.Attempts) > 0 {
		return fmt.Errorf("match.attempts selects attempts, but %s acts on the whole event before its first attempt: remove it", r.Fault)
	}
	webhookOnly := len(m.Topics) > 0 || len(m.Subscriptions) > 0 || len(m.Attempts) > 0
	apiOnly := len(m.Methods) > 0 || m.Path != ""
	switch {
	case r.Fault.Webhook() && apiOnly:
		return fmt.Errorf("match.methods and match.path select REST API requests, but %s is a webhook fault: remove them", r.Fault)
	case !r.Fault.Webhook() && webhookOnly:
		return fmt.Errorf("match.topics, match.subscriptions and match.attempts select webhooks, but %s is a REST API fault: remove them", r.Fault)
	}
	return nil
}

func (w When) validate() error {
	set := 0
	for _, v := range []bool{w.Nth != 0, w.First != 0, w.Every != 0, w.Probability != 0} {
		if v {
			set++
		}
	}
	switch {
	case set > 1:
		return fmt.Errorf("when: set at most one of nth, first, every and probability")
	case w.Nth < 0 || w.First < 0 || w.Every < 0 || w.Limit < 0:
		return fmt.Errorf("when: nth, first, every and limit must not be negative")
	case math.IsNaN(w.Probability) || w.Probability < 0 || w.Probability > 1:
		return fmt.Errorf("when.probability %v is out of range: use a number from 0 to 1, such as 0.3", w.Probability)
	case w.After < 0 || w.Before < 0:
		return fmt.Errorf("when.after and when.before must not be negative")
	case w.Before != 0 && w.Before <= w.After:
		return fmt.Errorf("when.before %s is not after when.after %s: the window would be empty", w.Before, w.After)
	}
	return nil
}

// parameterFaults lists, for each parameter, the faults it applies to.
var parameterFaults = []struct {
	name  string
	set   func(Rule) bool
	kinds []FaultKind
}{
	{"attempts", func(r Rule) bool { return r.Attempts != 0 }, []FaultKind{FaultFailAttempts}},
	{"delay", func(r Rule) bool { return r.Delay != 0 }, []FaultKind{FaultDelay, FaultReorder, FaultLatency, FaultHang, FaultStale}},
	{"copies", func(r Rule) bool { return r.Copies != 0 }, []FaultKind{FaultDuplicate}},
	{"concurrent", func(r Rule) bool { return r.Concurrent }, []FaultKind{FaultDuplicate}},
	{"new_request_id", func(r Rule) bool { return r.NewRequestID }, []FaultKind{FaultDuplicate}},
	{"corruption", func(r Rule) bool { return r.Corruption != "" }, []FaultKind{FaultCorrupt}},
	{"header", func(r Rule) bool { return r.Header != "" }, []FaultKind{FaultHeaders}},
	{"header_mode", func(r Rule) bool { return r.HeaderMode != "" }, []FaultKind{FaultHeaders}},
	{"status", func(r Rule) bool { return r.Status != 0 }, []FaultKind{FaultStatus}},
	{"retry_after", func(r Rule) bool { return r.RetryAfter != 0 }, []FaultKind{FaultStatus}},
	{"retry_after_date", func(r Rule) bool { return r.RetryAfterDate }, []FaultKind{FaultStatus}},
}

func (r Rule) validateParameters() error {
	for _, p := range parameterFaults {
		if p.set(r) && !slices.Contains(p.kinds, r.Fault) {
			return fmt.Errorf("%s does not apply to %s: it is a parameter of %s; remove it", p.name, r.Fault, joinKinds(p.kinds))
		}
	}
	switch {
	case r.Attempts < 0 || r.Attempts > MaxRetries+1:
		return fmt.Errorf("attempts %d is out of range: use 1 to %d", r.Attempts, MaxRetries+1)
	case r.Copies < 0 || r.Copies > 100:
		return fmt.Errorf("copies %d is out of range: use 1 to 100", r.Copies)
	case r.Delay < 0:
		return fmt.Errorf("delay %s is negative: use a positive duration such as \"5s\"", r.Delay)
	case r.RetryAfter < 0:
		return fmt.Errorf("retry_after %s is negative: use a positive duration such as \"5s\"", r.RetryAfter)
	}
	if r.Fault == FaultCorrupt && !slices.Contains(corruptions, r.Corruption) {
		names := make([]string, len(corruptions))
		for i, c := range corruptions {
			names[i] = string(c)
		}
		return fmt.Errorf("corruption %q is unknown: use one of %s", r.Corruption, strings.Join(names, ", "))
	}
	if r.Fault == FaultHeaders {
		if r.HeaderMode != "" && r.HeaderMode != HeaderMissing && r.HeaderMode != HeaderWrong {
			return fmt.Errorf("header_mode %q is unknown: use missing or wrong", r.HeaderMode)
		}
		if r.Header != "" && !validHeaderName(r.Header) {
			return fmt.Errorf("header %q is not a valid header name", r.Header)
		}
	}
	if r.Fault == FaultStatus && !slices.Contains([]int{404, 429, 500, 502, 503, 504}, r.Status) {
		return fmt.Errorf("status %d is not injected: use 404, 429, 500, 502, 503 or 504", r.Status)
	}
	if r.Fault == FaultStatus && r.Status != 429 && (r.RetryAfter != 0 || r.RetryAfterDate) {
		return fmt.Errorf("retry_after and retry_after_date apply to status 429 only, and status is %d: remove them or use status 429", r.Status)
	}
	return nil
}

// withDefaults returns r with zero parameters replaced by their
// defaults.
func (r Rule) withDefaults() Rule {
	if r.Attempts == 0 {
		r.Attempts = 1
	}
	if r.Copies == 0 {
		r.Copies = 1
	}
	if r.HeaderMode == "" {
		r.HeaderMode = HeaderMissing
	}
	if r.RetryAfter == 0 {
		r.RetryAfter = time.Second
	}
	if r.Delay == 0 {
		switch r.Fault {
		case FaultDelay, FaultLatency:
			r.Delay = 5 * time.Second
		case FaultReorder, FaultStale:
			r.Delay = time.Minute
		}
	}
	return r
}

// ruleJSON is the control API's form of a Rule, with durations as Go
// duration strings such as "1.5s".
type ruleJSON struct {
	ID             string     `json:"id,omitempty"`
	Fault          FaultKind  `json:"fault"`
	Match          matchJSON  `json:"match,omitzero"`
	When           whenJSON   `json:"when,omitzero"`
	Attempts       int        `json:"attempts,omitempty"`
	Delay          string     `json:"delay,omitempty"`
	Copies         int        `json:"copies,omitempty"`
	Concurrent     bool       `json:"concurrent,omitempty"`
	NewRequestID   bool       `json:"new_request_id,omitempty"`
	Corruption     Corruption `json:"corruption,omitempty"`
	Header         string     `json:"header,omitempty"`
	HeaderMode     HeaderMode `json:"header_mode,omitempty"`
	Status         int        `json:"status,omitempty"`
	RetryAfter     string     `json:"retry_after,omitempty"`
	RetryAfterDate bool       `json:"retry_after_date,omitempty"`
}

type matchJSON struct {
	Topics        []Topic  `json:"topics,omitempty"`
	Subscriptions []string `json:"subscriptions,omitempty"`
	Documents     []int64  `json:"documents,omitempty"`
	ExternalID    string   `json:"external_id,omitempty"`
	Attempts      []int    `json:"attempts,omitempty"`
	Methods       []string `json:"methods,omitempty"`
	Path          string   `json:"path,omitempty"`
}

type whenJSON struct {
	Nth         int     `json:"nth,omitempty"`
	First       int     `json:"first,omitempty"`
	Every       int     `json:"every,omitempty"`
	Probability float64 `json:"probability,omitempty"`
	After       string  `json:"after,omitempty"`
	Before      string  `json:"before,omitempty"`
	Limit       int     `json:"limit,omitempty"`
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// MarshalJSON encodes r with durations as Go duration strings.
func (r Rule) MarshalJSON() ([]byte, error) {
	return json.Marshal(ruleJSON{
		ID: r.ID, Fault: r.Fault, Match: matchJSON(r.Match),
		When: whenJSON{
			Nth: r.When.Nth, First: r.When.First, Every: r.When.Every, Probability: r.When.Probability,
			After: durationString(r.When.After), Before: durationString(r.When.Before), Limit: r.When.Limit,
		},
		Attempts: r.Attempts, Delay: durationString(r.Delay), Copies: r.Copies,
		Concurrent: r.Concurrent, NewRequestID: r.NewRequestID, Corruption: r.Corruption,
		Header: r.Header, HeaderMode: r.HeaderMode, Status: r.Status,
		RetryAfter: durationString(r.RetryAfter), RetryAfterDate: r.RetryAfterDate,
	})
}

// UnmarshalJSON decodes a rule whose durations are Go duration strings
// such as "500ms" or "2m". Unknown members are errors.
func (r *Rule) UnmarshalJSON(b []byte) error {
	var j ruleJSON
	if err := decodeStrict(b, &j); err != nil {
		return err
	}
	*r = Rule{
		ID: j.ID, Fault: j.Fault, Match: Match(j.Match),
		When:     When{Nth: j.When.Nth, First: j.When.First, Every: j.When.Every, Probability: j.When.Probability, Limit: j.When.Limit},
		Attempts: j.Attempts, Copies: j.Copies, Concurrent: j.Concurrent, NewRequestID: j.NewRequestID,
		Corruption: j.Corruption, Header: j.Header, HeaderMode: j.HeaderMode, Status: j.Status,
		RetryAfterDate: j.RetryAfterDate,
	}
	for _, d := range []struct {
		field string
		raw   string
		dst   *time.Duration
	}{
		{"delay", j.Delay, &r.Delay}, {"retry_after", j.RetryAfter, &r.RetryAfter},
		{"when.after", j.When.After, &r.When.After}, {"when.before", j.When.Before, &r.When.Before},
	} {
		v, err := parseOptionalDuration(d.field, d.raw)
		if err != nil {
			return err
		}
		*d.dst = v
	}
	return nil
}

// subject is what a rule is matched against: one event, one delivery
// attempt or one REST API request.
type subject struct {
	topic        Topic
	subscription string
	document     int64 // zero when the request names no document
	externalID   string
	attempt      int // zero for event-level faults and requests
	method       string
	path         string
	// key identifies the subject for probability decisions; it must
	// not depend on scheduling, such as "<event id>/<attempt>".
	key string
}

// activeRule is a rule with its counters.
type activeRule struct {
	Rule
	matches int
	fired   int
}

// matches reports whether s is of the rule's kind and passes Match.
func (r *activeRule) matchesSubject(s subject, webhook bool) bool {
	m := r.Match
	if r.Fault.Webhook() != webhook {
		return false
	}
	if len(m.Topics) > 0 && !slices.Contains(m.Topics, s.topic) {
		return false
	}
	if len(m.Subscriptions) > 0 && !slices.Contains(m.Subscriptions, s.subscription) {
		return false
	}
	if len(m.Documents) > 0 && !slices.Contains(m.Documents, s.document) {
		return false
	}
	if m.ExternalID != "" {
		if ok, _ := path.Match(m.ExternalID, s.externalID); !ok {
			return false
		}
	}
	if len(m.Attempts) > 0 && !slices.Contains(m.Attempts, s.attempt) {
		return false
	}
	if len(m.Methods) > 0 && !slices.Contains(m.Methods, s.method) {
		return false
	}
	if m.Path != "" {
		if ok, _ := path.Match(m.Path, s.path); !ok {
			return false
		}
	}
	return true
}

// rules holds the active rules in the order they were added.
type rules struct {
	mu   sync.Mutex
	list []*activeRule
	next int
	seed uint64
	// webhookRules and apiRules count the rules of list by kind, for
	// hasActive, which every delivery and request calls without mu.
	webhookRules, apiRules atomic.Int32
}

// decide returns the rules of the given kinds that match s and fire
// for it, in the order they were added, counting the match on each
// rule that matches. since is the platform time elapsed since start.
func (rs *rules) decide(s subject, webhook bool, since time.Duration, kinds ...FaultKind) []Rule {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	var fired []Rule
	for _, r := range rs.list {
		if !slices.Contains(kinds, r.Fault) || !r.matchesSubject(s, webhook) {
			continue
		}
		if !r.inWindow(since) || (r.When.Limit > 0 && r.fired >= r.When.Limit) {
			continue
		}
		r.matches++
		if r.selects(rs.seed, s) {
			r.fired++
			fired = append(fired, r.withDefaults())
		}
	}
	return fired
}

func (r *activeRule) inWindow(since time.Duration) bool {
	return since >= r.When.After && (r.When.Before == 0 || since < r.When.Before)
}

// selects reports whether the rule fires on its current match, the
// r.matches-th.
func (r *activeRule) selects(seed uint64, s subject) bool {
	w := r.When
	switch {
	case w.Nth > 0:
		return r.matches == w.Nth
	case w.First > 0:
		return r.matches <= w.First
	case w.Every > 0:
		return r.matches%w.Every == 0
	case w.Probability > 0:
		return chance(seed, r.ID+"/"+s.key) < w.Probability
	}
	return true
}

// chance maps the seed and key to a number in [0, 1).
func chance(seed uint64, key string) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	x := h.Sum64() ^ seed
	// splitmix64 finalizer: spreads nearby keys over the whole range.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

// add validates r, assigns it an id if it has none, and stores it.
func (rs *rules) add(r Rule) (Rule, error) {
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	taken := func(id string) bool {
		return slices.ContainsFunc(rs.list, func(a *activeRule) bool { return a.ID == id })
	}
	if r.ID == "" {
		for {
			rs.next++
			r.ID = fmt.Sprintf("rule-%d", rs.next)
			if !taken(r.ID) {
				break
			}
		}
	} else if taken(r.ID) {
		return Rule{}, fmt.Errorf("rule id %q is taken: choose another id or delete the existing rule", r.ID)
	}
	rs.list = append(rs.list, &activeRule{Rule: r})
	rs.count(r, 1)
	return r, nil
}

// hasActive reports whether a rule of the webhook kinds, or of the REST API
// kinds when webhook is false, is active. Callers skip building a
// subject when none is.
func (rs *rules) hasActive(webhook bool) bool {
	if webhook {
		return rs.webhookRules.Load() > 0
	}
	return rs.apiRules.Load() > 0
}

// count adds delta to the number of active rules of r's kind. The
// caller holds rs.mu.
func (rs *rules) count(r Rule, delta int32) {
	if r.Fault.Webhook() {
		rs.webhookRules.Add(delta)
	} else {
		rs.apiRules.Add(delta)
	}
}

// remove deletes the rule with the given id and reports whether it
// existed.
func (rs *rules) remove(id string) bool {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	i := slices.IndexFunc(rs.list, func(a *activeRule) bool { return a.ID == id })
	if i < 0 {
		return false
	}
	rs.count(rs.list[i].Rule, -1)
	rs.list = slices.Delete(rs.list, i, i+1)
	return true
}

// RuleStatus is a rule with how often it matched and fired.
type RuleStatus struct {
	Rule    Rule `json:"rule"`
	Matches int  `json:"matches"`
	Fired   int  `json:"fired"`
}

func (rs *rules) snapshot() []RuleStatus {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	out := make([]RuleStatus, len(rs.list))
	for i, r := range rs.list {
		out[i] = RuleStatus{Rule: r.Rule, Matches: r.matches, Fired: r.fired}
	}
	return out
}
