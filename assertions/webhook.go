package assertions

import (
	"fmt"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// rulesByID indexes the record's rules.
func rulesByID(rec Record) map[string]mockplatform.Rule {
	m := make(map[string]mockplatform.Rule, len(rec.Rules))
	for _, r := range rec.Rules {
		m[r.Rule.ID] = r.Rule
	}
	return m
}

// faultsOf returns the rules named by a journal record's fault field.
func faultsOf(field string, rules map[string]mockplatform.Rule) []mockplatform.Rule {
	if field == "" {
		return nil
	}
	var out []mockplatform.Rule
	for _, id := range strings.Split(field, ",") {
		if r, ok := rules[id]; ok {
			out = append(out, r)
		}
	}
	return out
}

// damaged reports whether a fault made the attempt one a consumer
// should not accept: a broken body or content type, or a missing or
// wrong auth header.
func damaged(faults []mockplatform.Rule) bool {
	for _, r := range faults {
		switch {
		case r.Fault == mockplatform.FaultHeaders:
			return true
		case r.Fault == mockplatform.FaultCorrupt && r.Corruption != mockplatform.CorruptUnknownTopic && r.Corruption != mockplatform.CorruptExtraAttributes:
			return true
		}
	}
	return false
}

// sent reports whether the attempt reached the network.
func sent(d mockplatform.Delivery) bool {
	return d.Outcome != mockplatform.OutcomeDropped && !d.SentAt.IsZero()
}

func ok2xx(status int) bool { return status >= 200 && status < 300 }

// AcksFast checks that the consumer answers every valid webhook with a
// 2xx status within Deadline, so heavy work happens after the
// response. Attempts whose body or auth header a fault damaged are not
// valid and not judged here.
type AcksFast struct {
	// Deadline is the longest acceptable time from sending to the
	// answer. Zero means 1s, well under the platform's per-attempt
	// timeout.
	Deadline time.Duration
}

// Name returns "acks-fast".
func (AcksFast) Name() string { return "acks-fast" }

// Evaluate implements Check.
func (c AcksFast) Evaluate(rec Record, final bool) Result {
	deadline := c.Deadline
	if deadline == 0 {
		deadline = time.Second
	}
	rules := rulesByID(rec)
	var violations []Evidence
	checked := 0
	for _, d := range rec.Deliveries {
		if !sent(d) || damaged(faultsOf(d.Fault, rules)) {
			continue
		}
		checked++
		var problem string
		switch {
		case d.Error != "" && d.StatusCode == 0:
			problem = "no response: " + d.Error
		case !ok2xx(d.StatusCode):
			problem = fmt.Sprintf("answered %d to a valid webhook", d.StatusCode)
		case d.Latency > deadline:
			problem = fmt.Sprintf("answered after %s, over the %s deadline", d.Latency.Round(time.Millisecond), deadline)
		default:
			continue
		}
		violations = append(violations, deliveryEvidence(d, problem))
	}
	return verdict(c.Name(), violations, checked, final, "valid webhook attempts")
}

func deliveryEvidence(d mockplatform.Delivery, detail string) Evidence {
	return Evidence{Document: d.DocumentID, Event: d.EventID, Topic: d.Topic, Attempt: d.Attempt, At: d.Wall, Detail: detail}
}

// RejectsUnauthenticated checks that the consumer answers 401 or 403 to
// webhooks whose configured auth header a headers fault left out or
// changed.
type RejectsUnauthenticated struct{}

// Name returns "rejects-unauthenticated".
func (RejectsUnauthenticated) Name() string { return "rejects-unauthenticated" }

// Evaluate implements Check.
func (c RejectsUnauthenticated) Evaluate(rec Record, final bool) Result {
	rules := rulesByID(rec)
	var violations []Evidence
	checked := 0
	for _, d := range rec.Deliveries {
		if !sent(d) || !damagesAuth(faultsOf(d.Fault, rules)) {
			continue
		}
		checked++
		if d.StatusCode != 401 && d.StatusCode != 403 {
			violations = append(violations, deliveryEvidence(d,
				fmt.Sprintf("answered %s to a webhook without the configured auth header, want 401 or 403", describeAnswer(d))))
		}
	}
	return verdict(c.Name(), violations, checked, final, "webhooks without valid auth")
}

// damagesAuth reports whether a headers fault removed or changed the
// auth header: every configured header, or one whose name says it
// carries a credential, such as Authorization or X-Api-Key.
func damagesAuth(faults []mockplatform.Rule) bool {
	for _, r := range faults {
		if r.Fault != mockplatform.FaultHeaders {
			continue
		}
		name := strings.ToLower(r.Header)
		for _, word := range []string{"", "auth", "token", "key", "secret", "signature"} {
			if (word == "" && name == "") || (word != "" && strings.Contains(name, word)) {
				return true
			}
		}
	}
	return false
}

func describeAnswer(d mockplatform.Delivery) string {
	if d.StatusCode == 0 {
		return "nothing (" + d.Error + ")"
	}
	return fmt.Sprint(d.StatusCode)
}

// ForwardCompatible checks that the consumer answers 2xx to a webhook
// with an unknown topic or with attributes and members it does not
// know, as a newer platform version may send.
type ForwardCompatible struct{}

// Name returns "forward-compatible".
func (ForwardCompatible) Name() string { return "forward-compatible" }

// Evaluate implements Check.
func (c ForwardCompatible) Evaluate(rec Record, final bool) Result {
	rules := rulesByID(rec)
	var violations []Evidence
	checked := 0
	for _, d := range rec.Deliveries {
		faults := faultsOf(d.Fault, rules)
		if !sent(d) || damaged(faults) || !extendsPayload(faults) {
			continue
		}
		checked++
		if !ok2xx(d.StatusCode) {
			violations = append(violations, deliveryEvidence(d,
				fmt.Sprintf("answered %s to a payload with an unknown topic or extra members, want 2xx", describeAnswer(d))))
		}
	}
	return verdict(c.Name(), violations, checked, final, "webhooks with unknown topics or members")
}

func extendsPayload(faults []mockplatform.Rule) bool {
	for _, r := range faults {
		if r.Fault == mockplatform.FaultCorrupt && (r.Corruption == mockplatform.CorruptUnknownTopic || r.Corruption == mockplatform.CorruptExtraAttributes) {
			return true
		}
	}
	return false
}
