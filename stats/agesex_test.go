package stats

import (
	"context"
	"testing"
	"time"
)

// The age pyramid counts each person once, by age group and sex, and adds
// up to both margins.
func TestAgeSexCells(t *testing.T) {
	q, err := NewQuery("2026-01-01", "2026-01-31", "week")
	if err != nil {
		t.Fatal(err)
	}
	facts := []Fact{
		{Day: "2026-01-05", Station: "S1", Category: "irregular_crossing", Nationality: "AFG", Sex: "F", Age: Age18to34},
		{Day: "2026-01-06", Station: "S1", Category: "irregular_crossing", Nationality: "AFG", Sex: "M", Age: Age18to34},
		{Day: "2026-01-07", Station: "S1", Category: "irregular_crossing", Nationality: "SYR", Sex: "M", Age: Age0to4},
	}
	var cells []Cell
	for _, f := range facts {
		cells = append(cells, f.Cells()...)
	}
	scan := fakeScan(cells)
	f, err := Compute(context.Background(), q, scan)
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{"18-34/F": 1, "18-34/M": 1, "0-4/M": 1}
	for k, v := range want {
		if f.ByAgeAndSex[k] != v {
			t.Errorf("%s = %v, want %v", k, f.ByAgeAndSex[k], v)
		}
	}
	if len(f.ByAgeAndSex) != len(want) {
		t.Errorf("pyramid = %v", f.ByAgeAndSex)
	}
}

// TestAttackAgeSexRecovery: once suppressed, no hidden pyramid cell can be
// worked out from its age group's count or its sex's count.
func TestAttackAgeSexRecovery(t *testing.T) {
	f := New(Query{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), By: ByWeek})
	f.Total = 70
	f.ByAgeGroup = Counts{Age18to34: 42, Age35to59: 28}
	f.BySex = Counts{"F": 22, "M": 48}
	f.ByAgeAndSex = Counts{"18-34/F": 2, "18-34/M": 40, "35-59/F": 20, "35-59/M": 8}
	f.ByCategory = Counts{"irregular_crossing": 70}
	f.ByNationality = Counts{"AFG": 70}
	f.ByStation = Counts{"S1": 70}
	f.Suppress()
	p := f.ByAgeAndSex
	if p["18-34/F"] != Small {
		t.Fatalf("2 shown as %v", p["18-34/F"])
	}
	// Its row and its column each hide another cell, or their total.
	row := []*Count{ptr(p["18-34/F"]), ptr(p["18-34/M"])}
	col := []*Count{ptr(p["18-34/F"]), ptr(p["35-59/F"])}
	if pinned(row, f.ByAgeGroup[Age18to34]) || pinned(col, f.BySex["F"]) {
		t.Fatalf("a hidden cell can be worked out: pyramid %v, age groups %v, sexes %v", p, f.ByAgeGroup, f.BySex)
	}
}

func ptr(c Count) *Count { return &c }

// TestAttackAgeSexRevealsWithheldGroup: an age group withheld ("x") is not
// given away by its pyramid cells adding up to it.
func TestAttackAgeSexRevealsWithheldGroup(t *testing.T) {
	f := New(Query{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), By: ByWeek})
	f.Total = 60
	f.ByAgeGroup = Counts{Age0to4: 2, Age5to11: 6, Age12to17: 6, Age18to34: 46}
	f.BySex = Counts{"F": 26, "M": 32, "U": 2}
	f.ByAgeAndSex = Counts{"0-4/U": 2, "5-11/F": 6, "12-17/F": 6, "18-34/F": 14, "18-34/M": 32}
	f.ByCategory = Counts{"irregular_crossing": 60}
	f.ByNationality = Counts{"AFG": 60}
	f.ByStation = Counts{"S1": 60}
	f.Suppress()
	if f.ByAgeGroup[Age5to11] != Withheld && f.ByAgeGroup[Age12to17] != Withheld {
		t.Fatalf("no age group withheld: %v", f.ByAgeGroup)
	}
	for _, g := range AgeGroups {
		if !f.ByAgeGroup[g].Hidden() {
			continue
		}
		for _, s := range sexes {
			if c := f.ByAgeAndSex[AgeSexCode(g, s)]; c > 0 {
				t.Errorf("age group %s is %v but its cell %s shows %v", g, f.ByAgeGroup[g], s, c)
			}
		}
	}
}
