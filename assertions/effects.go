package assertions

import (
	"fmt"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// noEffects is the summary of a check that needs the effects sink when
// the consumer reported nothing to it.
const noEffects = "the consumer reported no effects: have its test configuration POST each effect to /_mock/effects"

type docTopic struct {
	doc   int64
	topic mockplatform.Topic
}

// Idempotent checks that duplicate deliveries of one (document, topic)
// have one effect, whether they came with the same or a new request_id,
// one after another or at once. It reads the effects the consumer
// reported with source webhook.
type Idempotent struct{}

// Name returns "idempotent".
func (Idempotent) Name() string { return "idempotent" }

// Evaluate implements Check.
func (c Idempotent) Evaluate(rec Record, final bool) Result {
	effects := map[docTopic][]mockplatform.Effect{}
	for _, e := range rec.Effects {
		if e.Source == mockplatform.EffectFromWebhook {
			k := docTopic{e.DocumentID, e.Topic}
			effects[k] = append(effects[k], e)
		}
	}
	var violations []Evidence
	for k, es := range effects {
		if len(es) > 1 {
			ids := make([]string, len(es))
			for i, e := range es {
				ids[i] = fmt.Sprintf("#%d (request_id %s)", e.Seq, e.RequestID)
			}
			violations = append(violations, Evidence{Document: k.doc, Topic: k.topic, At: es[1].Wall,
				Detail: fmt.Sprintf("%d effects for one event: %s", len(es), strings.Join(ids, ", "))})
		}
	}
	sortEvidence(violations)

	duplicated := duplicatedEvents(rec)
	if len(effects) == 0 {
		// Without effects nothing shows whether a duplicate had one.
		if !final {
			return Result{Check: c.Name(), Status: Pending}
		}
		return Result{Check: c.Name(), Status: Inconclusive, Summary: noEffects}
	}
	return verdict(c.Name(), violations, len(duplicated), final, "events delivered more than once")
}

// duplicatedEvents returns the events the consumer accepted with a 2xx
// answer more than once, counting copies and retries after a lost
// acknowledgement.
func duplicatedEvents(rec Record) map[string]int {
	accepted := map[string]int{}
	for _, d := range rec.Deliveries {
		if sent(d) && ok2xx(d.StatusCode) {
			accepted[d.EventID]++
		}
	}
	for id, n := range accepted {
		if n < 2 {
			delete(accepted, id)
		}
	}
	return accepted
}

// OrderRobust checks that when events arrive out of order, the
// consumer's final view of each document equals the platform's final
// state, and that its view never goes back: once it showed a document
// done or failed, no later effect shows it pending or in progress. The
// view is the status of the effects the consumer reported.
type OrderRobust struct{}

// Name returns "order-robust".
func (OrderRobust) Name() string { return "order-robust" }

// Evaluate implements Check.
func (c OrderRobust) Evaluate(rec Record, final bool) Result {
	last := map[int64]mockplatform.Effect{}
	for _, e := range rec.Effects {
		if e.Status != "" && e.Seq > last[e.DocumentID].Seq {
			last[e.DocumentID] = e
		}
	}
	violations := regressions(rec.Effects)
	for _, d := range rec.Documents {
		e, ok := last[d.ID]
		if !ok {
			continue
		}
		if e.Status != d.Status {
			violations = append(violations, Evidence{Document: d.ID, At: e.Wall,
				Detail: fmt.Sprintf("consumer's final view is %s (effect #%d), the platform's is %s", e.Status, e.Seq, d.Status)})
		}
	}

	name, checked := c.Name(), len(last)
	switch {
	case checked == 0 && final:
		return Result{Check: name, Status: Inconclusive, Summary: noEffects}
	case len(violations) > 0 && final:
		sortEvidence(violations)
		res := verdict(name, violations, checked, true, "documents' views")
		res.Summary = fmt.Sprintf("%d of %d documents' views were wrong", distinctDocuments(violations), checked)
		res.Diff = viewsDiff(rec.Documents, last)
		return res
	case !final:
		// An event counts as ended once the consumer acked it, which
		// may be before it acted on it, so a view can still change.
		return Result{Check: name, Status: Pending}
	case !reordered(rec):
		return Result{Check: name, Status: Inconclusive,
			Summary: fmt.Sprintf("all %d final views match, but no event arrived out of order: add a reorder fault", checked)}
	}
	return verdict(name, nil, checked, true, "documents' final views")
}

// regressions lists, per document, the first effect that moved the
// consumer's view back from a terminal status.
func regressions(effects []mockplatform.Effect) []Evidence {
	terminal := map[int64]mockplatform.Effect{}
	reported := map[int64]bool{}
	var out []Evidence
	for _, e := range effects {
		first, seen := terminal[e.DocumentID]
		switch {
		case e.Status.Terminal() && !seen:
			terminal[e.DocumentID] = e
		case seen && e.Status != "" && e.Status != first.Status && !reported[e.DocumentID]:
			reported[e.DocumentID] = true
			out = append(out, Evidence{Document: e.DocumentID, Topic: e.Topic, At: e.Wall,
				Detail: fmt.Sprintf("view went back from %s (effect #%d) to %s (effect #%d) after a late %s", first.Status, first.Seq, e.Status, e.Seq, describeTopic(e.Topic))})
		}
	}
	return out
}

func distinctDocuments(ev []Evidence) int {
	seen := map[int64]bool{}
	for _, e := range ev {
		seen[e.Document] = true
	}
	return len(seen)
}

func describeTopic(t mockplatform.Topic) string {
	if t == "" {
		return "poll"
	}
	return string(t)
}

// viewsDiff compares the platform's final status of each document the
// consumer reported on with the consumer's final view.
func viewsDiff(docs []mockplatform.Document, last map[int64]mockplatform.Effect) string {
	want := map[int64]mockplatform.Status{}
	got := map[int64]mockplatform.Status{}
	for _, d := range docs {
		if e, ok := last[d.ID]; ok {
			want[d.ID] = d.Status
			got[d.ID] = e.Status
		}
	}
	return "final status by document (-platform +consumer):\n" + cmp.Diff(want, got)
}

// allEventsEnded reports whether every event was delivered, lost or
// dropped.
func allEventsEnded(rec Record) bool {
	for _, e := range rec.Events {
		if e.State == mockplatform.EventPending {
			return false
		}
	}
	return true
}

// reordered reports whether a reorder fault acted on any event.
func reordered(rec Record) bool {
	rules := rulesByID(rec)
	for _, e := range rec.Events {
		for _, id := range e.Faults {
			if rules[id].Fault == mockplatform.FaultReorder {
				return true
			}
		}
	}
	return false
}
