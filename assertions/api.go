package assertions

import (
	"cmp"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parashift-mock/parashift-mock/mockplatform"
)

const documentsPath = "/v2/documents"

// documentOf returns the id in a /v2/documents/{id} path.
func documentOf(path string) (int64, bool) {
	rest, ok := strings.CutPrefix(path, documentsPath+"/")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}

// covers reports whether a GET request asked for the document: by id,
// or with a list whose filters include it.
func covers(r mockplatform.Request, doc mockplatform.Document) bool {
	if r.Method != "GET" {
		return false
	}
	if id, ok := documentOf(r.Path); ok {
		return id == doc.ID
	}
	if r.Path != documentsPath {
		return false
	}
	q, err := url.ParseQuery(r.Query)
	if err != nil {
		return false
	}
	if ext := q.Get("filter[external_id]"); ext != "" && ext != doc.ExternalID {
		return false
	}
	if lo, err := strconv.ParseInt(q.Get("filter[id_gte]"), 10, 64); err == nil && doc.ID < lo {
		return false
	}
	if hi, err := strconv.ParseInt(q.Get("filter[id_lte]"), 10, 64); err == nil && doc.ID > hi {
		return false
	}
	return true
}

func requestEvidence(r mockplatform.Request, doc int64, detail string) Evidence {
	return Evidence{Document: doc, Request: r.Seq, At: r.Wall, Detail: detail}
}

// PollsForLost checks that the consumer asks the REST API about every
// document whose terminal webhook (processing-finished or
// processing-failed) never arrived, within Overdue plus Deadline after
// the platform gave up on it or a fault dropped it.
type PollsForLost struct {
	// Overdue is how long after the missed webhook the document counts
	// as overdue. Zero means 2s.
	Overdue time.Duration
	// Deadline is how long after that the consumer has to ask. Zero
	// means 5s.
	Deadline time.Duration
}

// Name returns "polls-for-lost".
func (PollsForLost) Name() string { return "polls-for-lost" }

// Evaluate implements Check.
func (c PollsForLost) Evaluate(rec Record, final bool) Result {
	window := cmp.Or(c.Overdue, 2*time.Second) + cmp.Or(c.Deadline, 5*time.Second)
	docs := documentsByID(rec)
	var violations []Evidence
	checked, waiting := 0, false
	for _, m := range missedTerminals(rec) {
		checked++
		doc := docs[m.doc]
		asked := slices.ContainsFunc(rec.Requests, func(r mockplatform.Request) bool {
			return !r.Wall.Before(m.at) && !r.Wall.After(m.at.Add(window)) && covers(r, doc)
		})
		switch {
		case asked:
		case rec.At.After(m.at.Add(window)):
			violations = append(violations, Evidence{Document: m.doc, Topic: m.topic, At: m.at,
				Detail: fmt.Sprintf("the %s webhook was %s and the consumer did not ask the API within %s", m.topic, m.how, window)})
		case final:
			violations = append(violations, Evidence{Document: m.doc, Topic: m.topic, At: m.at,
				Detail: fmt.Sprintf("the %s webhook was %s and the consumer had not asked the API when the run ended %s later, before its deadline of %s: give the consumer more time to settle",
					m.topic, m.how, rec.At.Sub(m.at).Round(time.Millisecond), window)})
		default:
			waiting = true
		}
	}
	// Before the end, a pending event, or one not yet fired, may still
	// be dropped or lost.
	if (waiting || checked == 0 || !allEventsEnded(rec)) && len(violations) == 0 && !final {
		return Result{Check: c.Name(), Status: Pending}
	}
	sortEvidence(violations)
	return verdict(c.Name(), violations, checked, true, "documents whose terminal webhook never arrived")
}

// missed is a terminal webhook the consumer never got.
type missed struct {
	doc   int64
	topic mockplatform.Topic
	how   string    // "dropped" or "lost"
	at    time.Time // wall time the platform dropped it or gave up
}

// missedTerminals returns the terminal events that ended dropped or
// lost, with the wall time of their last journal record. An event whose
// record the journal does not show, because the record was read before
// the event ended or the journal discarded it, is left out.
func missedTerminals(rec Record) []missed {
	lastWall := map[string]time.Time{}
	for _, d := range rec.Deliveries {
		if d.Wall.After(lastWall[d.EventID]) {
			lastWall[d.EventID] = d.Wall
		}
	}
	var out []missed
	for _, e := range rec.Events {
		terminal := e.Topic == mockplatform.TopicProcessingFinished || e.Topic == mockplatform.TopicProcessingFailed
		at, recorded := lastWall[e.ID]
		if terminal && recorded && (e.State == mockplatform.EventDropped || e.State == mockplatform.EventLost) {
			out = append(out, missed{e.DocumentID, e.Topic, string(e.State), at})
		}
	}
	return out
}

func documentsByID(rec Record) map[int64]mockplatform.Document {
	m := make(map[int64]mockplatform.Document, len(rec.Documents))
	for _, d := range rec.Documents {
		m[d.ID] = d
	}
	return m
}

// PollsPolitely checks that the consumer's REST API requests stay under
// MaxRate in every one-second window, and that it stops asking about a
// document once it knows the document is terminal, from the terminal
// webhook or from an earlier answer.
type PollsPolitely struct {
	// MaxRate is the most requests per second. Zero means 10.
	MaxRate float64
	// Grace is how long after learning that a document is terminal a
	// request for it still counts as in flight. Zero means 1s.
	Grace time.Duration
}

// Name returns "polls-politely".
func (PollsPolitely) Name() string { return "polls-politely" }

// Evaluate implements Check.
func (c PollsPolitely) Evaluate(rec Record, final bool) Result {
	var violations []Evidence
	if ev, ok := c.worstSecond(rec.Requests); ok {
		violations = append(violations, ev)
	}
	violations = append(violations, c.pollsAfterTerminal(rec)...)
	return verdict(c.Name(), violations, len(rec.Requests), final, "REST API requests")
}

// worstSecond finds the busiest one-second window and reports it when
// it exceeds MaxRate.
func (c PollsPolitely) worstSecond(reqs []mockplatform.Request) (Evidence, bool) {
	// One request more is allowed, because a poller at exactly the
	// rate can put two requests at the edges of one window.
	limit := int(math.Floor(cmp.Or(c.MaxRate, 10))) + 1
	byWall := slices.Clone(reqs)
	slices.SortFunc(byWall, func(a, b mockplatform.Request) int { return a.Wall.Compare(b.Wall) })
	worst, worstStart := 0, 0
	start := 0
	for end := range byWall {
		for byWall[end].Wall.Sub(byWall[start].Wall) >= time.Second {
			start++
		}
		if n := end - start + 1; n > worst {
			worst, worstStart = n, start
		}
	}
	if worst <= limit {
		return Evidence{}, false
	}
	first := byWall[worstStart]
	return requestEvidence(first, 0, fmt.Sprintf("%d requests within one second from here, over the limit of %d per second", worst, limit-1)), true
}

// pollsAfterTerminal lists, per document, the first request for it
// sent more than Grace after the consumer could know it was terminal.
func (c PollsPolitely) pollsAfterTerminal(rec Record) []Evidence {
	grace := cmp.Or(c.Grace, time.Second)
	known := terminalKnown(rec)
	var out []Evidence
	for doc, at := range known {
		for _, r := range rec.Requests {
			id, ok := documentOf(r.Path)
			if ok && id == doc && r.Method == "GET" && r.Wall.After(at.Add(grace)) {
				out = append(out, requestEvidence(r, doc,
					fmt.Sprintf("asked about a terminal document %s after the consumer learned its status", r.Wall.Sub(at).Round(time.Millisecond))))
				break
			}
		}
	}
	sortEvidence(out)
	return out
}

// hidesTopic reports whether a fault replaced the topic, so the
// consumer could not learn it from the attempt.
func hidesTopic(faults []mockplatform.Rule) bool {
	for _, r := range faults {
		if r.Fault == mockplatform.FaultCorrupt && r.Corruption == mockplatform.CorruptUnknownTopic {
			return true
		}
	}
	return false
}

// terminalKnown returns, per document, the earliest wall time the
// consumer could know that it is terminal: its terminal webhook was
// accepted, or a GET answered after the terminal topic fired.
func terminalKnown(rec Record) map[int64]time.Time {
	rules := rulesByID(rec)
	known := map[int64]time.Time{}
	note := func(doc int64, at time.Time) {
		if cur, ok := known[doc]; !ok || at.Before(cur) {
			known[doc] = at
		}
	}
	firedAt := map[int64]time.Time{}
	for _, e := range rec.Events {
		if e.Topic == mockplatform.TopicProcessingFinished || e.Topic == mockplatform.TopicProcessingFailed {
			firedAt[e.DocumentID] = e.FiredAt
		}
	}
	for _, d := range rec.Deliveries {
		terminal := d.Topic == mockplatform.TopicProcessingFinished || d.Topic == mockplatform.TopicProcessingFailed
		faults := faultsOf(d.Fault, rules)
		if terminal && sent(d) && ok2xx(d.StatusCode) && !damaged(faults) && !hidesTopic(faults) {
			note(d.DocumentID, d.Wall.Add(d.Latency))
		}
	}
	for _, r := range rec.Requests {
		id, ok := documentOf(r.Path)
		fired, terminal := firedAt[id]
		if ok && terminal && r.StatusCode == 200 && r.Fault == "" && !r.Time.Before(fired) {
			note(id, r.Wall.Add(r.Latency))
		}
	}
	return known
}
