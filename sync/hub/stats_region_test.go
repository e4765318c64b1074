package hub

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// A region's figures from index entries: per country and week, the
// movement matrix from hits, and the "<5" rule applied.
func TestRegionStatsSuppressed(t *testing.T) {
	ctx := context.Background()
	region := newTestHub(t, "WBR", true)
	key := make([]byte, 32)
	key[0] = 7
	n := 0
	put := func(country, day, category string, p registry.Person) {
		t.Helper()
		n++
		var toks []hubstore.Token
		for _, tk := range federation.Tokens(key, federation.KeysOf(&p)) {
			toks = append(toks, hubstore.Token{Token: tk.Token, Kind: tk.Kind})
		}
		e := hubstore.Entry{Ref: fmt.Sprintf("%s-REF-%04d", country, n), Date: day, Place: "POST", Category: category, Tokens: toks}
		if err := region.st.Update(ctx, func(tx hubstore.Tx) error { return tx.PutEntry(country, e, time.Unix(0, 0)) }); err != nil {
			t.Fatal(err)
		}
	}
	person := func(i int) registry.Person {
		names := []string{"Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliett", "Kilo",
			"Lima", "Mike", "November", "Oscar", "Papa", "Quebec", "Romeo", "Sierra", "Tango", "Uniform", "Victor"}
		return registry.Person{FamilyName: "Testperson", GivenNames: names[i], Sex: "M",
			BirthDate: registry.Date{Year: 1930 + 3*i}, Nationalities: []string{"AFG"},
			Document: registry.Document{Type: "passport", Number: fmt.Sprintf("%c%03dQ%03d", 'A'+i, 7*i, 11*i)}}
	}
	// BIH: 20 in week 10 (irregular crossing), of whom 6 go on to SRB
	// and 2 to MNE; SRB: those 6 plus 1 more, in week 11; MNE: the 2.
	for i := 0; i < 20; i++ {
		put("BIH", "2026-03-02", registry.CategoryIrregular, person(i))
	}
	for i := 0; i < 6; i++ {
		put("SRB", "2026-03-09", registry.CategoryProtection, person(i))
	}
	put("SRB", "2026-03-10", registry.CategoryProtection, person(20))
	for i := 6; i < 8; i++ {
		put("MNE", "2026-03-11", registry.CategoryIrregular, person(i))
	}
	put("BIH", "2025-12-01", registry.CategoryIrregular, person(21)) // outside the period

	q, err := stats.NewQuery("2026-03-02", "2026-03-15", "week")
	if err != nil {
		t.Fatal(err)
	}
	r, err := region.RegionStats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Suppressed || r.Total != 29 || len(r.Countries) != 3 {
		t.Fatalf("region: %+v", r)
	}
	got := map[string]stats.CountryCounts{}
	for _, c := range r.Countries {
		got[c.Country] = c
	}
	if c := got["BIH"]; c.Total != 20 || c.Series[0].Total != 20 || c.Series[1].Total != 0 || c.ByCategory[registry.CategoryIrregular] != 20 {
		t.Errorf("BIH %+v", c)
	}
	// SRB's 7 is withheld in the region's table (else MNE's "<5" would
	// be 29-20-7): then neither its weeks nor its categories add up to it.
	if c := got["SRB"]; c.Total != stats.Withheld || !c.Series[1].Total.Hidden() || !c.ByCategory[registry.CategoryProtection].Hidden() {
		t.Errorf("SRB %+v", c)
	}
	if c := got["MNE"]; c.Total != stats.Small {
		t.Errorf("MNE total %v, want <5", c.Total)
	}
	moves := map[string]stats.Count{}
	for _, m := range r.Movements {
		moves[m.From+">"+m.To] = m.People
	}
	if len(moves) != 2 || moves["BIH>SRB"] != 6 || moves["BIH>MNE"] != stats.Small {
		t.Errorf("movements %v", moves)
	}
	// The countries' totals are protected against the region's total: MNE
	// "<5" alone would be 29-20-7; so another is withheld.
	hidden := 0
	for _, c := range r.Countries {
		if c.Total.Hidden() {
			hidden++
		}
	}
	if hidden < 2 && !r.Total.Hidden() {
		t.Errorf("one hidden country total beside a published region total: %+v", r.Countries)
	}

	// A country hub has no region figures, a region no country figures.
	country := newTestHub(t, "BIH", false)
	if _, err := country.RegionStats(ctx, q); !errors.Is(err, ErrNotRegion) {
		t.Errorf("country hub: %v", err)
	}
	if _, err := region.Stats(ctx, q); !errors.Is(err, ErrRegion) {
		t.Errorf("region: %v", err)
	}
}
