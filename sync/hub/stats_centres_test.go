package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/trust"
)

// The accommodation figures of `reghub stats`, per centre and ISO week,
// from real occupancy events: check-ins are arrivals, check-outs
// departures, residents and free places at each week's end.
func TestStatsAccommodation(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	if _, err := h.SetCentre(ctx, trust.Centre{Code: "BIH-ONE", Name: "One", Place: "Testgrad", Kind: "transit", Status: "open",
		Capacity: map[string]int{"families": 10, "single_men": 20}}, true); err != nil {
		t.Fatal(err)
	}
	d := enrolDev(t, h, "tab", "POST", "all")
	k, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	seq := uint64(0)
	occ := func(rec, day, op string) *registry.Event {
		seq++
		at, _ := time.Parse(time.DateOnly, day)
		e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: 7, Seq: seq, HLC: registry.MakeHLC(at.Add(10*time.Hour).UnixMilli(), 0), Officer: "off1", Record: rec, Op: op}
		if err := e.SealChange(k, &registry.Change{Stay: &registry.Occupancy{Centre: "BIH-ONE", Section: "families"}}); err != nil {
			t.Fatal(err)
		}
		e.Sign(d.priv)
		return e
	}
	var evs []*registry.Event
	for i, moves := range [][]string{{"2026-03-02", "2026-03-10"}, {"2026-03-03"}, {"2026-03-11"}, {"2026-02-20", "2026-02-25"}} {
		rec := fmt.Sprintf("BIH-K000-0000-%04d", i)
		evs = append(evs, occ(rec, moves[0], registry.OpCheckIn))
		if len(moves) > 1 {
			evs = append(evs, occ(rec, moves[1], registry.OpCheckOut))
		}
	}
	if _, err := h.store(ctx, accepted(evs...), time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	q, _ := stats.NewQuery("2026-03-02", "2026-03-15", "week")
	f, err := h.Stats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want := []stats.Centre{{Code: "BIH-ONE", Name: "One", Capacity: 30, Weeks: []stats.CentreWeek{
		{Week: "2026-W10", Residents: 2, Free: 28, Arrivals: 2}, {Week: "2026-W11", Residents: 2, Free: 28, Arrivals: 1, Departures: 1}}}}
	if fmt.Sprint(f.Accommodation) != fmt.Sprint(want) {
		t.Fatalf("accommodation %v, want %v", f.Accommodation, want)
	}
	// Suppressed (an export): residents under 5 hidden, free withheld.
	f.Suppress()
	if w := f.Accommodation[0].Weeks[1]; w.Residents != stats.Small || w.Free != stats.Withheld || w.Arrivals != stats.Small {
		t.Fatalf("suppressed: %+v", w)
	}
}
