package mockplatform

import (
	"strings"
	"testing"
)

// TestDueKeysCompareAsTheirTexts checks that compareDueKeys orders keys
// as their texts sort, including subscription ids that are prefixes of
// each other and document ids of different lengths.
func TestDueKeysCompareAsTheirTexts(t *testing.T) {
	events := []*event{
		{Event: Event{ID: "9.wh-1.processing-finished", DocumentID: 9}},
		{Event: Event{ID: "9.wh-10.processing-finished", DocumentID: 9}},
		{Event: Event{ID: "9.wh-1.document-received", DocumentID: 9}},
		{Event: Event{ID: "10.wh-1.processing-finished", DocumentID: 10}},
		{Event: Event{ID: "100000.wh-2.extraction-finished", DocumentID: 100000}},
	}
	var keys []dueKey
	for _, e := range events {
		for _, n := range []int{1, 2, 9, 10} {
			for _, suffix := range []keySuffix{sendAttempt, delayedAttempt, heldAttempt} {
				keys = append(keys, attemptKey(e, n, suffix))
			}
		}
	}
	for _, doc := range []int64{9, 10, 100000} {
		for _, i := range []int{0, 1, 4, 12} {
			keys = append(keys, stepKey(doc, i))
		}
	}
	for _, a := range keys {
		for _, b := range keys {
			want := strings.Compare(a.String(), b.String())
			if got := compareDueKeys(a, b); got != want {
				t.Errorf("compareDueKeys(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
	if got, want := stepKey(42, 3).String(), "step/00000000000000000042/03"; got != want {
		t.Errorf("step key = %q, want %q", got, want)
	}
	if got, want := attemptKey(events[0], 2, heldAttempt).String(), "attempt/00000000000000000009/9.wh-1.processing-finished/2/hold"; got != want {
		t.Errorf("attempt key = %q, want %q", got, want)
	}
}
