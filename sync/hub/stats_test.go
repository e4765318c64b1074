package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/statstest"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// eventAt is an event of device d made at the given time.
func eventAt(t *testing.T, d *enrolled, seq uint64, rec, op string, at time.Time, c *registry.Change) *registry.Event {
	t.Helper()
	e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: 7, Seq: seq, HLC: registry.MakeHLC(at.UnixMilli(), 0),
		Officer: "off1", Record: rec, Op: op}
	k, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	if err := e.SealChange(k, c); err != nil {
		t.Fatal(err)
	}
	e.Sign(d.priv)
	return e
}

// Known registrations in, exact figures out, on the back end the test
// runs on (FIELDREG_HUB_BACKEND=postgres: PostgreSQL): counted by the
// pass after the events are stored, an amendment moving a record, the 72-hour rule from
// the time each registration reached the hub, and records stored before
// counting existed counted by the catch-up.
func TestStatsKnownCounts(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	a := enrolDev(t, h, "tab-a", "POST-A", "all")
	b := enrolDev(t, h, "tab-b", "POST-B", "all")

	day1 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	day2 := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	people1, want := statstest.People(1, 30, day1, nil)
	people2, want := statstest.People(2, 20, day2, want)
	var evs1, evs2 []*registry.Event
	for i, p := range people1 {
		evs1 = append(evs1, eventAt(t, a, uint64(i+1), fmt.Sprintf("BIH-A000-0000-%04d", i), registry.OpRegister, day1, &registry.Change{Fields: registry.FieldsOf(p)}))
	}
	for i, p := range people2 {
		evs2 = append(evs2, eventAt(t, b, uint64(i+1), fmt.Sprintf("BIH-B000-0000-%04d", i), registry.OpRegister, day2, &registry.Change{Fields: registry.FieldsOf(p)}))
	}
	if _, err := h.store(ctx, accepted(evs1...), day1.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := h.store(ctx, accepted(evs2...), day2.Add(80*time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The same events again: duplicates, counted once.
	if _, err := h.store(ctx, accepted(evs1...), day2); err != nil {
		t.Fatal(err)
	}
	// An amendment: the first person's nationality corrected.
	old := people1[0].Nationalities[0]
	fix := &registry.Change{Fields: map[string]json.RawMessage{"nationalities": json.RawMessage(`["ERI"]`)}, Reason: "corrected", Prev: map[string]registry.EventID{"nationalities": evs1[0].ID()}}
	am := eventAt(t, a, 31, evs1[0].Record, registry.OpAmend, day2, fix)
	if _, err := h.store(ctx, accepted(am), day2); err != nil {
		t.Fatal(err)
	}
	want.Nationality[old]--
	want.Nationality["ERI"]++

	// Pending once stored, counted by the counting pass: nothing waits
	// for a catch-up.
	if n, err := h.st.Pending(ctx, "", 100); err != nil || len(n) != 50 {
		t.Fatalf("pending after ingestion: %d %v", len(n), err)
	}
	if n, err := h.countPending(ctx, true); err != nil || n != 50 {
		t.Fatalf("counting pass: %d %v", n, err)
	}
	if n, err := h.st.Uncounted(ctx, "", 100); err != nil || len(n) != 0 {
		t.Fatalf("uncounted after the counting pass: %v %v", n, err)
	}
	// Records stored without counting (an older reghub, or migrate): the
	// first Stats counts them.
	people3, want3 := statstest.People(3, 12, day2, want)
	var evs3 []*registry.Event
	for i, p := range people3 {
		evs3 = append(evs3, eventAt(t, b, uint64(21+i), fmt.Sprintf("BIH-C000-0000-%04d", i), registry.OpRegister, day2, &registry.Change{Fields: registry.FieldsOf(p)}))
	}
	if err := h.st.Update(ctx, func(tx hubstore.Tx) error { _, err := tx.InsertEvents(evs3, day2); return err }); err != nil {
		t.Fatal(err)
	}
	q, err := stats.NewQuery("2026-03-01", "2026-03-31", "week")
	if err != nil {
		t.Fatal(err)
	}
	q.Top = stats.MaxTop
	f, err := h.Stats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if msg := statstest.Check(f, want3); msg != "" {
		t.Fatalf("%s: %s", h.st.Backend(), msg)
	}
	if f.ByStation["POST-A"] != 30 || f.ByStation["POST-B"] != 32 {
		t.Errorf("stations %v", f.ByStation)
	}
	// 72 hours from the encounter to the hub: every fifth person was met
	// 100 hours before registration (6 of the first 30, 2 of the last
	// 12), the 20 of day 2 reached the hub 80 hours after registration
	// (all late); the 12 stored on their day otherwise on time.
	if f.Transmission.OnTime != 24+10 || f.Transmission.Late != 6+20+2 {
		t.Errorf("transmission %+v", f.Transmission)
	}

	if n, err := h.st.Uncounted(ctx, "", 10); err != nil || len(n) != 0 {
		t.Errorf("still uncounted: %v %v", n, err)
	}

	// Nothing in the period: zeros.
	q2, _ := stats.NewQuery("2027-01-01", "2027-01-31", "month")
	if f, err := h.Stats(ctx, q2); err != nil || f.Total != 0 || len(f.Series) != 1 || f.Series[0].Total != 0 {
		t.Fatalf("empty period: %+v %v", f, err)
	}
}
