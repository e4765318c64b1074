package hub

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/statstest"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// pending lists every record the counting pass has still to count.
func pending(t *testing.T, h *Hub) []string {
	t.Helper()
	ids, err := h.st.Pending(context.Background(), "", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// registrations are people's registration events by device d on day,
// numbered from 1, each a new record.
func registrations(t *testing.T, d *enrolled, people []*registry.Person, day time.Time) []*registry.Event {
	t.Helper()
	evs := make([]*registry.Event, 0, len(people))
	for i, p := range people {
		rec, err := registry.NewRegID("BIH", nil)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, eventAt(t, d, uint64(i+1), rec, registry.OpRegister, day, &registry.Change{Fields: registry.FieldsOf(p)}))
	}
	return evs
}

// The counting happens after the push commits: a hub that stops (a crash,
// a kill) between the two leaves its records pending, and the figures read
// after a restart are exact, neither missing nor doubling an event;
// counting a record again changes nothing; a record erased before the pass
// keeps the counts it was registered with. On the back end the test runs
// on (FIELDREG_HUB_BACKEND=postgres: PostgreSQL).
func TestCountingAfterCrash(t *testing.T) {
	ctx := context.Background()
	h, dir := newTestHubIn(t, "BIH", false)
	if _, err := h.SetCentre(ctx, trust.Centre{Code: "BIH-ONE", Name: "One", Place: "Testgrad", Kind: "transit", Status: "open",
		Capacity: map[string]int{"families": 5}}, true); err != nil {
		t.Fatal(err)
	}
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	day := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Hour)
	people, want := statstest.People(11, 40, day, nil)
	evs := registrations(t, d, people, day)
	// Three of them referred to a centre and two checked in.
	seq := uint64(len(evs))
	stay := func(rec, op string) *registry.Event {
		seq++
		return eventAt(t, d, seq, rec, op, day.Add(time.Duration(seq)*time.Second), &registry.Change{Stay: &registry.Occupancy{Centre: "BIH-ONE", Section: "families"}})
	}
	for i := range 3 {
		evs = append(evs, stay(evs[i].Record, registry.OpRefer))
	}
	evs = append(evs, stay(evs[0].Record, registry.OpCheckIn), stay(evs[1].Record, registry.OpCheckIn))
	// Stored in two chunks, as two pushes; no counting pass runs (no
	// server, no reader of the figures).
	for _, chunk := range [][]*registry.Event{evs[:25], evs[25:]} {
		if _, err := h.store(ctx, accepted(chunk...), day.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(pending(t, h)); n != 40 {
		t.Fatalf("%d records pending after the pushes, want 40", n)
	}
	// A record erased before any pass ran keeps the counts it was
	// registered with (as when it was counted at ingestion).
	if err := h.Erase(ctx, evs[39].Record, "entered in error"); err != nil {
		t.Fatal(err)
	}
	// The hub stops before counting; a new one opens the same data.
	h.Close()
	h, err := Open(ctx, dir, pass, lowOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if n := len(pending(t, h)); n != 40 {
		t.Fatalf("%d records pending after the restart, want 40", n)
	}

	q, err := stats.NewQuery(day.AddDate(0, 0, -1).Format("2006-01-02"), day.AddDate(0, 0, 1).Format("2006-01-02"), "day")
	if err != nil {
		t.Fatal(err)
	}
	q.Top = stats.MaxTop
	check := func(when string) {
		t.Helper()
		f, err := h.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if msg := statstest.Check(f, want); msg != "" {
			t.Fatalf("%s (%s): %s", when, h.st.Backend(), msg)
		}
		views, err := h.Capacity(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fam := views[0].Sections["families"]
		arr := views[0].Days[day.Format("2006-01-02")].Arrivals
		if fam.Residents != 2 || fam.Referred != 1 || fam.Free != 2 || arr != 2 {
			t.Fatalf("%s: families %+v, arrivals %d; want 2 residents, 1 referred, 2 free, 2 arrivals", when, fam, arr)
		}
		if p := pending(t, h); len(p) != 0 {
			t.Fatalf("%s: still pending after the figures were read: %v", when, p)
		}
	}
	check("after the restart")

	// Counting again (every record put back on the queue, as a pass that
	// counted and died before it could say so would) changes nothing.
	all := make([]string, 0, len(evs))
	for _, e := range evs {
		all = append(all, e.Record)
	}
	if err := h.st.Update(ctx, func(tx hubstore.Tx) error { return tx.AddPending(all) }); err != nil {
		t.Fatal(err)
	}
	if n, err := h.countPending(ctx, true); err != nil || n != 40 {
		t.Fatalf("second pass counted %d: %v", n, err)
	}
	check("counted twice")
}

// The background pass of a serving hub counts what is pushed without a
// reader asking, and what a crash left pending at its start.
func TestCountingInBackground(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	day := time.Now().UTC().Add(-time.Hour)
	people, _ := statstest.People(5, 8, day, nil)
	var evs []*registry.Event
	for i, p := range people {
		evs = append(evs, eventAt(t, d, uint64(i+1), fmt.Sprintf("BIH-BGND-0000-%04d", i), registry.OpRegister, day, &registry.Change{Fields: registry.FieldsOf(p)}))
	}
	if _, err := h.store(ctx, accepted(evs[:4]...), day); err != nil { // left pending, as by a crash
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { h.runCounting(cctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitCounted := func() {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); len(pending(t, h)) > 0; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("still pending: %v", pending(t, h))
			}
		}
	}
	waitCounted()
	if _, err := h.store(ctx, accepted(evs[4:]...), day); err != nil {
		t.Fatal(err)
	}
	waitCounted()
	if n, err := h.st.Uncounted(ctx, "", 100); err != nil || len(n) != 0 {
		t.Fatalf("not counted by the background pass: %v %v", n, err)
	}
}

// The retention sweep counts, in the transaction that erases them, records
// the counting pass has not reached: they keep the counts they were
// registered with, and the sweep leaves nothing to count.
func TestSweepCountsPending(t *testing.T) {
	ctx := context.Background()
	h, _ := newTestHubIn(t, "BIH", false)
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	day := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Hour)
	people, want := statstest.People(5, 30, day, nil)
	evs := registrations(t, d, people, day)
	if _, err := h.store(ctx, accepted(evs...), day.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := len(pending(t, h)); n != 30 {
		t.Fatalf("%d records pending, want 30", n)
	}
	// Eleven years on, every category's period is over.
	h.opts.Now = func() time.Time { return day.AddDate(11, 0, 0) }
	if n, err := h.SweepExpired(ctx); err != nil || n != 30 {
		t.Fatalf("sweep erased %d: %v", n, err)
	}
	q, err := stats.NewQuery(day.AddDate(0, 0, -1).Format("2006-01-02"), day.AddDate(0, 0, 1).Format("2006-01-02"), "day")
	if err != nil {
		t.Fatal(err)
	}
	q.Top = stats.MaxTop
	f, err := h.Stats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if msg := statstest.Check(f, want); msg != "" {
		t.Fatalf("after the sweep (%s): %s", h.st.Backend(), msg)
	}
}
