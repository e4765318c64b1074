package reception

import (
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

func TestDeltas(t *testing.T) {
	referred := &registry.Stay{Centre: "BIH-ONE", Section: "families", State: registry.StayReferred}
	resident := &registry.Stay{Centre: "BIH-ONE", Section: "families", State: registry.StayResident}
	absent := &registry.Stay{Centre: "BIH-ONE", Section: "families", State: registry.StayAbsent}
	moved := &registry.Stay{Centre: "BIH-TWO", Section: "vulnerable", State: registry.StayReferred}
	left := &registry.Stay{Centre: "BIH-TWO", Section: "vulnerable", State: registry.StayLeft}
	for _, c := range []struct {
		name     string
		old, new *registry.Stay
		want     []Delta
	}{
		{"referral", nil, referred, []Delta{{Centre: "BIH-ONE", Section: "families", Referred: 1}}},
		{"check-in", referred, resident, []Delta{{Centre: "BIH-ONE", Section: "families", Residents: 1, Referred: -1}}},
		{"away: the bed is held", resident, absent, []Delta{{Centre: "BIH-ONE", Section: "families", Absent: 1}}},
		{"transfer", absent, moved, []Delta{{Centre: "BIH-ONE", Section: "families", Residents: -1, Absent: -1}, {Centre: "BIH-TWO", Section: "vulnerable", Referred: 1}}},
		{"closed", moved, left, []Delta{{Centre: "BIH-TWO", Section: "vulnerable", Referred: -1}}},
		{"nothing", left, left, nil},
		{"erased", resident, nil, []Delta{{Centre: "BIH-ONE", Section: "families", Residents: -1}}},
	} {
		got := Deltas(c.old, c.new)
		if len(got) != len(c.want) {
			t.Errorf("%s: %+v", c.name, got)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%s: %+v, want %+v", c.name, got[i], c.want[i])
			}
		}
	}
}

func TestViewsAndOffers(t *testing.T) {
	cs := &trust.Centres{Centres: []trust.Centre{
		{Code: "BIH-A", Name: "A", Status: "open", Capacity: map[string]int{"families": 4, "vulnerable": 10}},
		{Code: "BIH-B", Name: "B", Status: "open", Capacity: map[string]int{"families": 40}},
		{Code: "BIH-C", Name: "C", Status: "full", Capacity: map[string]int{"families": 40}},
	}}
	at := time.Unix(1_800_000_000, 0)
	views := Views(cs, []Count{
		{Centre: "BIH-A", Section: "families", Residents: 3, Referred: 2, AsOf: at},
		{Centre: "BIH-GONE", Section: "single_men", Residents: 1, AsOf: at},
	}, at.Add(-time.Hour))
	if len(views) != 4 || views[0].Code != "BIH-A" || views[3].Code != "BIH-GONE" || !views[3].Unknown {
		t.Fatalf("views: %+v", views)
	}
	if f := views[0].Sections["families"]; f.Free != -1 || f.Over != 1 || !views[0].AsOf.Equal(at) {
		t.Errorf("over capacity: %+v", views[0])
	}
	if !views[1].AsOf.Equal(at.Add(-time.Hour)) {
		t.Errorf("a centre without events is known as of the list: %v", views[1].AsOf)
	}
	offers := Offers(views, []string{"families"}, 4)
	if len(offers) != 2 || offers[0].View.Code != "BIH-B" || offers[1].View.Code != "BIH-A" || offers[1].Free != -1 {
		t.Errorf("the family of four: %+v", offers)
	}
	offers = Offers(views, []string{"vulnerable", "families"}, 1)
	if len(offers) != 2 || offers[0].View.Code != "BIH-A" || offers[0].Section != "vulnerable" {
		t.Errorf("vulnerable first: %+v", offers)
	}
}

func TestMoveDeltasAndDays(t *testing.T) {
	old := []registry.Move{{Day: "2026-03-01", Centre: "BIH-A", Arrive: true}}
	cur := []registry.Move{{Day: "2026-03-01", Centre: "BIH-A", Arrive: true}, {Day: "2026-03-04", Centre: "BIH-A"}, {Day: "2026-03-04", Centre: "BIH-B", Arrive: true}}
	got := MoveDeltas(old, cur)
	if len(got) != 2 || got[0] != (DayCount{Day: "2026-03-04", Centre: "BIH-A", Departures: 1}) || got[1] != (DayCount{Day: "2026-03-04", Centre: "BIH-B", Arrivals: 1}) {
		t.Fatalf("deltas %+v", got)
	}
	views := []View{{Code: "BIH-A"}, {Code: "BIH-B"}}
	AddDays(views, got)
	if views[0].Days["2026-03-04"].Departures != 1 || views[1].Days["2026-03-04"].Arrivals != 1 {
		t.Errorf("days %+v", views)
	}
}
