package consumer

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/parashift-mock/parashift-mock/mockplatform"
)

// TestEffectsReachMockSink sends the effects to the platform's own
// sink, POST /_mock/effects, and compares what it stored with the
// consumer's view.
func TestEffectsReachMockSink(t *testing.T) {
	t.Parallel()
	e := startEnv(t, Config{EffectsURL: mockEffectsSink}, mockplatform.Options{})
	e.addRule(dropFinished)
	doc := e.upload(mockplatform.Upload{})
	e.waitIdle()
	waitFor(t, "the poll's effect in the platform's sink", func() bool {
		effects, _ := e.p.Effects()
		return len(effects) > 0 && effects[len(effects)-1].Source == mockplatform.EffectFromPoll
	})

	effects, _ := e.p.Effects()
	var got []mockplatform.Topic
	for _, eff := range effects {
		if eff.Source == mockplatform.EffectFromWebhook {
			got = append(got, eff.Topic)
		}
	}
	var want []mockplatform.Topic
	for _, ev := range e.p.Events() {
		if ev.DocumentID == doc.ID && ev.State == mockplatform.EventDelivered {
			want = append(want, ev.Topic)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("webhook effects in the sink mismatch (-delivered events +effects):\n%s", diff)
	}
	last := effects[len(effects)-1]
	if last.DocumentID != doc.ID || last.Status != mockplatform.StatusDone || last.Topic != "" {
		t.Errorf("last effect = %+v, want a poll effect for document %d with status done", last, doc.ID)
	}
}
