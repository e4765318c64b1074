package stats

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestAccommodation(t *testing.T) {
	list := map[string]CentreInfo{"BORICI": {Name: "Borići", Capacity: 430}, "SEDRA": {Name: "Sedra", Capacity: 420}}
	days := []CentreDay{
		{Day: "2026-03-10", Centre: "SEDRA", Arrivals: 2, Departures: 6},
		{Day: "2026-02-27", Centre: "BORICI", Arrivals: 100}, // before the period
		{Day: "2026-03-02", Centre: "BORICI", Arrivals: 12, Departures: 3},
		{Day: "2026-03-02", Centre: "SEDRA", Arrivals: 7},
		{Day: "2026-03-05", Centre: "BORICI", Departures: 9},
		{Day: "2026-03-03", Centre: "LIPA", Arrivals: 1},   // not in the list
		{Day: "2026-03-20", Centre: "SEDRA", Arrivals: 50}, // after the period
	}
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC)
	got := Accommodation(from, to, list, days)
	want := []Centre{
		{Code: "BORICI", Name: "Borići", Capacity: 430, Weeks: []CentreWeek{
			{"2026-W09", 100, 330, 0, 0}, {"2026-W10", 100, 330, 12, 12}, {"2026-W11", 100, 330, 0, 0}}},
		{Code: "LIPA", Weeks: []CentreWeek{
			{"2026-W09", 0, 0, 0, 0}, {"2026-W10", 1, 0, 1, 0}, {"2026-W11", 1, 0, 0, 0}}},
		{Code: "SEDRA", Name: "Sedra", Capacity: 420, Weeks: []CentreWeek{
			{"2026-W09", 0, 420, 0, 0}, {"2026-W10", 7, 413, 7, 0}, {"2026-W11", 3, 417, 2, 6}}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("accommodation\n got %v\nwant %v", got, want)
	}

	// Suppressed: residents under 5 hidden, their free places withheld,
	// the arrivals and departures of that week and the next hidden.
	f := &Figures{Accommodation: got}
	f.suppressAccommodation()
	want[1].Weeks = []CentreWeek{{"2026-W09", 0, 0, 0, 0}, {"2026-W10", Small, Withheld, Small, 0}, {"2026-W11", Small, Withheld, 0, 0}}
	want[2].Weeks[2] = CentreWeek{"2026-W11", Small, Withheld, Small, Withheld}
	if fmt.Sprint(f.Accommodation) != fmt.Sprint(want) {
		t.Fatalf("suppressed\n got %v\nwant %v", f.Accommodation, want)
	}

	var csv, js strings.Builder
	if err := f.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"accommodation.capacity,SEDRA,420\n", "accommodation.residents,SEDRA/2026-W11,<5\n", "accommodation.free_places,SEDRA/2026-W11,x\n",
		"accommodation.arrivals,BORICI/2026-W10,12\n", "accommodation.free_places,BORICI/2026-W10,330\n"} {
		if !strings.Contains(csv.String(), line) {
			t.Errorf("CSV lacks %q:\n%s", line, csv.String())
		}
	}
	if err := f.WriteJSON(&js); err != nil || !strings.Contains(js.String(), `"week": "2026-W11",
          "residents": "<5",
          "free_places": "x",`) {
		t.Errorf("JSON %v:\n%s", err, js.String())
	}

	// Nothing known: every centre of the list at zero, every week there.
	if got := Accommodation(from, to, list, nil); len(got) != 2 || len(got[0].Weeks) != 3 || got[0].Weeks[2].Free != 430 {
		t.Fatalf("no days: %v", got)
	}
}
