package mockplatform

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRingKeepsNewestRecords(t *testing.T) {
	// The limit spans three blocks, the last one partly.
	const limit = 2*ringBlock + 500
	const total = 3*limit + 7
	r := newRing[int64](limit)
	seqs := make([]int64, total)
	for i := range seqs {
		seqs[i] = r.reserve()
	}
	// Records arrive in any order, as attempts end.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(seqs), func(i, j int) { seqs[i], seqs[j] = seqs[j], seqs[i] })
	for _, s := range seqs {
		r.put(s, s)
	}

	got, dropped := r.snapshot()
	if len(got) != limit {
		t.Fatalf("snapshot has %d records, want the limit %d", len(got), limit)
	}
	if !slices.IsSorted(got) {
		t.Errorf("snapshot is not in sequence order")
	}
	if got[0] != total-limit+1 || got[len(got)-1] != total {
		t.Errorf("snapshot holds records %d to %d, want %d to %d", got[0], got[len(got)-1], total-limit+1, total)
	}
	if dropped != total-limit {
		t.Errorf("dropped = %d, want %d", dropped, total-limit)
	}
	var slots int
	for _, b := range r.blocks {
		slots += len(b)
	}
	if slots != limit {
		t.Errorf("journal allocated %d slots, want exactly the limit %d", slots, limit)
	}
}

func TestRingSnapshotSkipsUnfilledSlots(t *testing.T) {
	r := newRing[int64](10)
	first, second, third := r.reserve(), r.reserve(), r.reserve()
	r.put(third, third)
	r.put(first, first)

	got, dropped := r.snapshot()
	if !slices.Equal(got, []int64{first, third}) {
		t.Errorf("snapshot = %v, want %v without the pending record %d", got, []int64{first, third}, second)
	}
	if dropped != 0 {
		t.Errorf("dropped = %d, want 0", dropped)
	}
}
