package assertions

import (
	"cmp"
	"slices"
)

// sortEvidence orders evidence by document, topic and time, so results
// built from maps read the same on every run.
func sortEvidence(ev []Evidence) {
	slices.SortFunc(ev, func(a, b Evidence) int {
		return cmp.Or(
			cmp.Compare(a.Document, b.Document),
			cmp.Compare(a.Topic, b.Topic),
			a.At.Compare(b.At),
			cmp.Compare(a.Request, b.Request),
		)
	})
}
