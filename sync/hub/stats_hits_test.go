package hub

import (
	"context"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/statstest"
)

// "Registered elsewhere" hits answered through the hub are counted in its
// figures: once per record however often it is asked, on the day
// answered, at the record's station; a hit answered before the record
// reached the hub is counted when it arrives; amendments keep it.
func TestStatsElsewhereHits(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	a := enrolDev(t, h, "tab-a", "POST-A", "all")
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	people, _ := statstest.People(5, 3, day, nil)
	var evs []*registry.Event
	for i, p := range people {
		evs = append(evs, eventAt(t, a, uint64(i+1), "BIH-H000-0000-000"+string(rune('0'+i)), registry.OpRegister, day, &registry.Change{Fields: registry.FieldsOf(p)}))
	}
	if _, err := h.store(ctx, accepted(evs[:2]...), day); err != nil {
		t.Fatal(err)
	}
	for _, ask := range []struct{ id, day string }{
		{evs[0].Record, "2026-03-03"}, {evs[0].Record, "2026-03-04"}, // asked twice: one hit
		{evs[2].Record, "2026-03-05"},           // not at the hub yet
		{"BIH-UNKNOWN-0000-0000", "2026-03-05"}, // never arrives: nothing
	} {
		if err := h.countHit(ctx, ask.id, ask.day); err != nil {
			t.Fatal(err)
		}
	}
	figures := func() *stats.Figures {
		t.Helper()
		q, _ := stats.NewQuery("2026-03-01", "2026-03-31", "day")
		f, err := h.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if f := figures(); f.ElsewhereHits != 1 {
		t.Fatalf("hits before the third record arrived: %v", f.ElsewhereHits)
	}
	if _, err := h.store(ctx, accepted(evs[2]), day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f := figures()
	if f.ElsewhereHits != 2 || f.Total != 3 {
		t.Fatalf("hits after it arrived: %v (total %v)", f.ElsewhereHits, f.Total)
	}
	// The hits are counted on the days answered.
	q, _ := stats.NewQuery("2026-03-05", "2026-03-05", "day")
	if g, err := h.Stats(ctx, q); err != nil || g.ElsewhereHits != 1 || g.Total != 0 {
		t.Fatalf("hits of 5 March: %v %v", g.ElsewhereHits, err)
	}
	q, _ = stats.NewQuery("2026-03-04", "2026-03-04", "day")
	if g, err := h.Stats(ctx, q); err != nil || g.ElsewhereHits != 0 {
		t.Fatalf("the second question of record 1 was counted: %v %v", g.ElsewhereHits, err)
	}
}
