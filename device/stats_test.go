package device

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/stats/statstest"
	"github.com/fieldreg/fieldreg/store"
)

func TestStatsKnownCounts(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	ctx := context.Background()

	// A day a year earlier (first: the clock never goes back), then three
	// days of registrations.
	clk.t = time.Date(2025, 11, 3, 10, 0, 0, 0, time.UTC)
	earlier, _ := statstest.People(9, 7, clk.t, nil)
	if _, err := s.RegisterBatch(earlier); err != nil {
		t.Fatal(err)
	}
	var want *statstest.Want
	var ids []string
	for i, day := range []string{"2026-11-02", "2026-11-03", "2026-11-09"} {
		clk.t, _ = time.Parse(time.DateOnly, day)
		clk.t = clk.t.Add(10 * time.Hour)
		var people []*registry.Person
		people, want = statstest.People(uint64(i), 40, clk.t, want)
		got, err := s.RegisterBatch(people)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, got...)
	}
	clk.t = time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)

	q, err := stats.NewQuery("2026-11-01", "2026-11-30", "week")
	if err != nil {
		t.Fatal(err)
	}
	q.Top = stats.MaxTop
	f, err := s.Stats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if msg := statstest.Check(f, want); msg != "" {
		t.Fatal(msg)
	}
	if f.ByStation["BIH-TEST-POST"] != 120 || f.YearEarlier.Total != 7 {
		t.Errorf("station %v, a year earlier %v", f.ByStation, f.YearEarlier.Total)
	}
	if f.Series[0].Period != "2026-W44" || f.Series[1].Total != 80 || f.Series[2].Total != 40 {
		t.Errorf("series %v", f.Series)
	}
	// 72 hours from the encounter to the registration: every fifth person
	// was met 100 hours before (8 of each 40).
	if tr := f.Transmission; tr.Known != 120 || tr.OnTime != 96 || tr.Late != 24 || want.After72h != 24 || tr.Rate == nil || *tr.Rate != 80 {
		t.Errorf("72 hours: %+v (rate %v)", tr, tr.Rate)
	}

	// An amendment moves the record from one nationality to another; a
	// decision on a possible duplicate is counted on its day.
	r, err := s.Get(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	p := r.Person
	old := p.Nationalities[0]
	p.Nationalities = []string{"ERI"}
	if err := s.Amend(ids[0], &p, "nationality corrected"); err != nil {
		t.Fatal(err)
	}
	if err := s.Link(ids[1], ids[2], true, ""); err != nil {
		t.Fatal(err)
	}
	f, err = s.Stats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	want.Nationality[old]--
	want.Nationality["ERI"]++
	if msg := statstest.Check(f, want); msg != "" {
		t.Fatal("after amendment: " + msg)
	}
	if f.Duplicates.Found != 1 || f.Duplicates.Confirmed != 1 {
		t.Errorf("duplicates %+v", f.Duplicates)
	}

	// Nothing in the period: zeros, not an error.
	q2, _ := stats.NewQuery("2020-01-01", "2020-01-31", "day")
	f, err = s.Stats(ctx, q2)
	if err != nil || f.Total != 0 || len(f.Series) != 31 {
		t.Fatalf("empty period: %v %v", f, err)
	}
}

func TestStatsSupervisorOnly(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	if _, err := s.AddOfficer("Officer Plain", []byte("another good phrase"), false); err != nil {
		t.Fatal(err)
	}
	officers, _ := d.Officers()
	var plain string
	for _, o := range officers {
		if !o.Supervisor {
			plain = o.ID
		}
	}
	s2, err := d.Unlock(plain, []byte("another good phrase"))
	if err != nil {
		t.Fatal(err)
	}
	q, _ := stats.NewQuery("2026-11-01", "2026-11-30", "week")
	if _, err := s2.Stats(context.Background(), q); !errors.Is(err, ErrNotSupervisor) {
		t.Errorf("an officer got figures: %v", err)
	}
	if _, err := s.Stats(context.Background(), stats.Query{From: q.To, To: q.From, By: stats.ByDay}); !errors.Is(err, stats.ErrBadQuery) {
		t.Errorf("a period backwards: %v", err)
	}
}

// Erasing a record later does not change the counts already made, and
// drops the sealed fact it was counted with.
func TestStatsErasureKeepsCounts(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	people, _ := statstest.People(5, 6, clk.t, nil)
	ids, err := s.RegisterBatch(people)
	if err != nil {
		t.Fatal(err)
	}
	q, _ := stats.NewQuery(stats.Day(clk.t), stats.Day(clk.t), "day")
	before, err := s.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Erase(ids[0], "court order"); err != nil {
		t.Fatal(err)
	}
	after, err := s.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != 6 || fmt.Sprint(after.ByNationality) != fmt.Sprint(before.ByNationality) {
		t.Errorf("after erasure: %v %v, before %v", after.Total, after.ByNationality, before.ByNationality)
	}
	if _, err := d.st.StatFact(ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the erased record's fact stayed: %v", err)
	}
}

// A day sealed by an earlier version (JSON) is read, and a registration
// that day adds to it (the day is then sealed in the compact form).
func TestStatsEarlierDayFormat(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	clk.t = time.Date(2026, 5, 5, 10, 0, 0, 0, time.UTC)
	old := dayCells{{Station: "BIH-TEST-POST", Category: registry.CategoryIrregular, Dim: stats.DimTotal, N: 3},
		{Station: "BIH-TEST-POST", Category: registry.CategoryIrregular, Dim: stats.DimNationality, Code: "AFG", N: 3}}
	b, _ := json.Marshal(old)
	err := s.withKeys(func(*keys) error {
		sealed, err := seal.Seal(s.k.master, b, seal.AD("stats", "day", "2026-05-05"))
		if err != nil {
			return err
		}
		return d.st.Update(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Exec("INSERT INTO stat_sealed(day, cells) VALUES(?, ?)", "2026-05-05", sealed)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := stats.NewQuery("2026-05-01", "2026-05-31", "week")
	q.Top = stats.MaxTop
	f, err := s.Stats(context.Background(), q)
	if err != nil || f.Total != 3 || f.ByNationality["AFG"] != 3 {
		t.Fatalf("an earlier day: %v %v", f, err)
	}
	people, _ := statstest.People(1, 1, clk.t, nil)
	people[0].Nationalities = []string{"AFG"}
	people[0].Category = registry.CategoryIrregular
	if _, err := s.RegisterBatch(people); err != nil {
		t.Fatal(err)
	}
	if f, err = s.Stats(context.Background(), q); err != nil || f.Total != 4 || f.ByNationality["AFG"] != 4 {
		t.Fatalf("after adding to it: %v %v", f.Total, err)
	}
	var raw []byte
	if err := d.st.DB().QueryRow("SELECT cells FROM stat_sealed WHERE day = '2026-05-05'").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	err = s.withKeys(func(*keys) error {
		pt, err := seal.Open(s.k.master, raw, seal.AD("stats", "day", "2026-05-05"))
		if err == nil && (bytes.HasPrefix(pt, []byte("[")) || len(pt) == 0) {
			err = errors.New("the day is still JSON")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
