package hub

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// The hub's counts are the same whatever order a person's occupancy events
// arrive in, and erasure takes the person out of them.
func TestCentreCountsAnyOrder(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	ctx := context.Background()
	if _, err := h.SetCentre(ctx, trust.Centre{Code: "BIH-ONE", Name: "One", Place: "Testgrad", Kind: "transit", Status: "open",
		Capacity: map[string]int{"families": 3}}, true); err != nil {
		t.Fatal(err)
	}
	bad := trust.Centre{Code: "BIH-ONE", Name: "One", Place: "Testgrad", Kind: "transit", Status: "open", Capacity: map[string]int{"families": -1}}
	if _, err := h.SetCentre(ctx, bad, false); !errors.Is(err, trust.ErrBadCentre) {
		t.Fatalf("negative capacity: %v", err)
	}
	if _, err := h.SetCentre(ctx, bad, true); !errors.Is(err, ErrCentreExists) {
		t.Fatalf("added twice: %v", err)
	}
	d := enrolDev(t, h, "tab", "POST", "all")
	k, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	rec, _ := registry.NewRegID("BIH", nil)
	at := time.Now().Add(-time.Hour).UnixMilli()
	occ := func(seq uint64, op string, o registry.Occupancy) *registry.Event {
		e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: 7, Seq: seq, HLC: registry.MakeHLC(at+int64(seq), 0), Officer: "off1", Record: rec, Op: op}
		if err := e.SealChange(k, &registry.Change{Stay: &o}); err != nil {
			t.Fatal(err)
		}
		e.Sign(d.priv)
		return e
	}
	evs := []*registry.Event{
		occ(1, registry.OpRefer, registry.Occupancy{Centre: "BIH-ONE", Section: "families"}),
		occ(2, registry.OpCheckIn, registry.Occupancy{Centre: "BIH-ONE", Section: "families"}),
		occ(3, registry.OpAbsent, registry.Occupancy{Centre: "BIH-ONE", Section: "families"}),
	}
	// Pushed one at a time in any order, through the acceptance rule.
	tr, err := h.loadTrust(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := &caller{id: d.pkg.DeviceID, dev: tr[d.pkg.DeviceID], trust: tr}
	push := func(evs ...*registry.Event) {
		t.Helper()
		got, err := h.ingest(ctx, c, evs, time.Now())
		if err != nil || len(got.Quarantined) > 0 {
			t.Fatalf("ingest: %+v %v", got, err)
		}
	}
	order := slices.Clone(evs)
	rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, e := range order {
		push(e)
	}
	views, err := h.Capacity(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := views[0].Sections["families"]; got.Residents != 1 || got.Absent != 1 || got.Referred != 0 || got.Free != 2 {
		t.Fatalf("families: %+v", got)
	}
	// The same events again change nothing.
	push(evs...)
	views, _ = h.Capacity(ctx)
	if views[0].Sections["families"].Residents != 1 {
		t.Fatalf("a replay counted again: %+v", views[0].Sections)
	}
	day := time.UnixMilli(at).UTC().Format("2006-01-02")
	if len(views[0].Days) != 1 || views[0].Days[day].Arrivals != 1 || views[0].Days[day].Departures != 0 {
		t.Fatalf("arrivals and departures: %+v", views[0].Days)
	}
	if err := h.st.Update(ctx, func(tx hubstore.Tx) error { return h.ForgetStay(tx, rec) }); err != nil {
		t.Fatal(err)
	}
	if views, _ := h.Capacity(ctx); views[0].Sections["families"].Residents != 0 || views[0].Sections["families"].Free != 3 {
		t.Fatalf("after erasure: %+v", views[0].Sections)
	}
}
