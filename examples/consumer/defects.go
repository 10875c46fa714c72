package consumer

import (
	"fmt"
	"strings"
)

// Defect names a deliberate bug that the consumer can be started with,
// so that a harness can be shown to catch it. Each defect is the
// smallest change from the correct code that reproduces one failure
// mode seen in real integrations. The zero value is the correct
// consumer.
type Defect string

// The defects, each with the failure it reproduces.
const (
	// DefectNone is the correct consumer.
	DefectNone Defect = ""
	// DefectNoDedupe acts on every delivery, so a retried or duplicated webhook has a second effect.
	DefectNoDedupe Defect = "no-dedupe"
	// DefectSlowAck does the work inside the handler after sleeping Config.SlowAckDelay, so the platform times out and retries.
	DefectSlowAck Defect = "slow-ack"
	// DefectNoAuthCheck accepts webhooks without the Authorization header, so anyone can forge events.
	DefectNoAuthCheck Defect = "no-auth-check"
	// DefectFailUnknownTopic responds with 500 to an unknown topic, so the platform retries each such event for about 17 hours.
	DefectFailUnknownTopic Defect = "fail-unknown-topic"
	// DefectStrictDecoding responds with 400 to unknown members in the payload or its attributes, so a new attribute breaks the integration.
	DefectStrictDecoding Defect = "strict-decoding"
	// DefectLastEventWins overwrites the state with whatever arrives last, so a late older topic rolls the document back.
	DefectLastEventWins Defect = "last-event-wins"
	// DefectNoPolling never polls, so a document whose terminal webhook is lost never finishes.
	DefectNoPolling Defect = "no-polling"
	// DefectPollStorm polls every non-terminal document on every 10ms tick without a rate limit.
	DefectPollStorm Defect = "poll-storm"
	// DefectPollTerminal keeps polling documents after they became terminal, including those whose terminal webhook arrived.
	DefectPollTerminal Defect = "poll-terminal"
	// DefectIgnoreRetryAfter retries a 429 after 10ms instead of waiting Retry-After.
	DefectIgnoreRetryAfter Defect = "ignore-retry-after"
	// DefectNoRetry5xx gives up on the first 5xx instead of retrying it.
	DefectNoRetry5xx Defect = "no-retry-5xx"
	// DefectRetry404Forever retries a 404 every 50ms until the context ends.
	DefectRetry404Forever Defect = "retry-404-forever"
)

// Defects lists every defect except DefectNone, in the order of the
// consumer's checks: webhook handling, state, polling, API retries.
var Defects = []Defect{
	DefectNoDedupe, DefectSlowAck, DefectNoAuthCheck, DefectFailUnknownTopic,
	DefectStrictDecoding, DefectLastEventWins, DefectNoPolling, DefectPollStorm,
	DefectPollTerminal, DefectIgnoreRetryAfter, DefectNoRetry5xx, DefectRetry404Forever,
}

// ParseDefect returns the defect named s; the empty string and "none"
// both mean DefectNone. The error lists the valid names.
func ParseDefect(s string) (Defect, error) {
	if s == "" || s == "none" {
		return DefectNone, nil
	}
	d := Defect(s)
	if err := d.validate(); err != nil {
		return DefectNone, err
	}
	return d, nil
}

func (d Defect) validate() error {
	if d == DefectNone {
		return nil
	}
	for _, known := range Defects {
		if d == known {
			return nil
		}
	}
	return fmt.Errorf("unknown defect %q: use one of %s, or leave it empty for the correct consumer", string(d), defectNames())
}

// defectNames returns the valid defect names separated by commas.
func defectNames() string {
	names := make([]string, len(Defects))
	for i, d := range Defects {
		names[i] = string(d)
	}
	return strings.Join(names, ", ")
}
