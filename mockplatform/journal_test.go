package mockplatform

import (
	"math/rand/v2"
	"slices"
	"strconv"
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

func TestEventTableDropsOldestEndedEvents(t *testing.T) {
	const limit = 8
	tbl := newEventTable(limit)
	pending := &event{Event: Event{ID: "pending", State: EventPending}}
	tbl.add(pending)
	events := make([]*event, 2*limit+1)
	for i := range events {
		events[i] = &event{Event: Event{ID: "event-" + strconv.Itoa(i), State: EventPending}}
		tbl.add(events[i])
	}
	// Adding pending events never drops one, however many there are.
	if got, dropped := tbl.snapshot(); len(got) != len(events)+1 || dropped != 0 {
		t.Fatalf("table keeps %d events and dropped %d before any ended, want %d and 0", len(got), dropped, len(events)+1)
	}
	for _, e := range events {
		tbl.end(e, EventDelivered, benchEpoch)
	}

	got, dropped := tbl.snapshot()
	ids := make([]string, len(got))
	for i, e := range got {
		ids[i] = e.ID
	}
	// The table compacts to 8 ended events whenever 11 have ended, so
	// the 17th ending triggers the third compaction.
	if len(got) != 1+limit {
		t.Errorf("table keeps %d events %v, want the pending one and %d ended", len(got), ids, limit)
	}
	if ids[0] != "pending" {
		t.Errorf("oldest kept event is %s, want the pending event", ids[0])
	}
	if ids[1] != "event-9" || ids[len(ids)-1] != "event-16" {
		t.Errorf("kept ended events %s to %s, want event-9 to event-16", ids[1], ids[len(ids)-1])
	}
	if dropped != 9 {
		t.Errorf("dropped = %d, want 9", dropped)
	}
	if pending.order != 1 {
		t.Errorf("pending event order = %d, want 1", pending.order)
	}
}
