package stats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

func day(s string) time.Time {
	t, err := ParseDay(s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestAgeGroup(t *testing.T) {
	at := day("2026-03-10")
	for _, c := range []struct {
		birth string
		want  string
	}{
		{"", AgeUnknown},
		{"2026-03-10", Age0to4},
		{"2021-03-11", Age0to4},  // 4 until tomorrow
		{"2021-03-10", Age5to11}, // 5 today
		{"2008-03-11", Age12to17},
		{"2008-03-10", Age18to34},
		{"1991-03-11", Age18to34},
		{"1991-03-10", Age35to59},
		{"1966-03-10", Age60Plus},
		{"2027-01-01", AgeUnknown}, // born after registration
		{"1880", AgeUnknown},       // older than MaxAge
		{"1996", Age18to34},        // 29 or 30
		{"~1996", Age18to34},
		{"2008", Age12to17},    // 17 or 18: the benefit of the doubt
		{"2008-03", Age12to17}, // 17 or 18 in March
		{"2008-02", Age18to34}, // 18 in any case
		{"1991", Age35to59},    // 34 or 35: the age on 1 July 1991 is 34... in 2026-03 it is 34
		{"2021", Age0to4},      // 4 or 5: on 1 July 2021, 4 in March 2026
		{"2020", Age5to11},     // 5 or 6
		{"2026", Age0to4},      // born this year, maybe after today
	} {
		b, err := registry.ParseDate(c.birth)
		if err != nil {
			t.Fatal(err)
		}
		if c.birth == "1991" {
			c.want = Age18to34 // 1 July 1991 -> 34 on 10 March 2026
		}
		if got := AgeGroup(b, at); got != c.want {
			t.Errorf("AgeGroup(%q) = %s, want %s", c.birth, got, c.want)
		}
	}
}

func TestPeriods(t *testing.T) {
	// 2027-01-01 is a Friday: ISO week 53 of 2026.
	if got := Period(ByWeek, day("2027-01-01")); got != "2026-W53" {
		t.Errorf("week of 2027-01-01 = %s", got)
	}
	if got := Period(ByWeek, day("2026-01-01")); got != "2026-W01" {
		t.Errorf("week of 2026-01-01 = %s", got)
	}
	got := Periods(ByMonth, day("2026-01-31"), day("2026-03-01"))
	if strings.Join(got, ",") != "2026-01,2026-02,2026-03" {
		t.Errorf("months = %v", got)
	}
	if n := len(Periods(ByDay, day("2024-02-28"), day("2024-03-01"))); n != 3 {
		t.Errorf("days = %d", n)
	}
	if e := (Query{From: day("2024-02-29"), To: day("2024-03-31")}).YearEarlier(); e.FromDay() != "2023-02-28" || e.ToDay() != "2023-03-31" {
		t.Errorf("a year earlier = %s..%s", e.FromDay(), e.ToDay())
	}
}

func TestBadQuery(t *testing.T) {
	for _, c := range [][3]string{
		{"2026-13-01", "2026-12-31", "week"},
		{"2026-02-30", "2026-03-01", "week"},
		{"01/02/2026", "2026-03-01", "week"},
		{"2026-03-02", "2026-03-01", "day"},
		{"2026-01-01", "2026-03-01", "fortnight"},
		{"1990-01-01", "2026-03-01", "day"},
		{"", "2026-03-01", "day"},
	} {
		if _, err := NewQuery(c[0], c[1], c[2]); !errors.Is(err, ErrBadQuery) {
			t.Errorf("NewQuery(%q) = %v, want ErrBadQuery", c, err)
		}
	}
	if q, err := NewQuery("2026-01-01", "2026-01-01", ""); err != nil || q.By != ByWeek {
		t.Errorf("one day: %v %v", q, err)
	}
	// The filters as an operator typed them: spaces are no filter.
	q, _ := NewQuery("2026-01-01", "2026-01-31", "week")
	if o := q.Only("  B1 ", " "); o.Station != "B1" || o.Category != "" {
		t.Errorf("Only: station %q category %q", o.Station, o.Category)
	}
	for _, c := range []struct {
		top    int
		format string
	}{{-1, "json"}, {MaxTop + 1, "csv"}, {5, "xml"}} {
		if _, err := q.Narrow("", "", c.top, c.format); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Narrow(top %d, %q) = %v, want ErrBadQuery", c.top, c.format, err)
		}
	}
}

// fakeScan serves cells from memory, adding them up as a store would.
func fakeScan(cells []Cell) Scan {
	return func(_ context.Context, f Filter, fn func(Cell) error) error {
		sum := map[Key]int64{}
		groups := map[string]int64{}
		for _, c := range cells {
			if c.Day < f.From || c.Day > f.To || (f.Station != "" && c.Station != f.Station) || (f.Category != "" && c.Category != f.Category) {
				continue
			}
			if c.Dim == DimGroup {
				groups[c.Code] += c.N
				continue
			}
			k := c.Key()
			if c.Dim != DimTotal {
				k.Day = ""
			}
			sum[k] += c.N
		}
		var people int64
		for _, n := range groups {
			people += n
		}
		sum[Key{Dim: DimGroup, Code: GroupsCode}] = int64(len(groups))
		sum[Key{Dim: DimGroup, Code: PeopleCode}] = people
		for k, n := range sum {
			if err := fn(Cell{k.Day, k.Station, k.Category, k.Dim, k.Code, n}); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestComputeKnownCounts(t *testing.T) {
	var cells []Cell
	add := func(f Fact, n int) {
		for range n {
			cells = append(cells, f.Cells()...)
		}
	}
	child := []string{registry.VulnUnaccompaniedChild}
	add(Fact{Day: "2026-01-05", Station: "S1", Category: registry.CategoryProtection, Nationality: "AFG", Sex: "M", Age: Age18to34, Transmission: OnTime}, 7)
	add(Fact{Day: "2026-01-06", Station: "S2", Category: registry.CategoryIrregular, Nationality: "SYR", Sex: "F", Age: Age12to17, Vulnerabilities: child, Group: "g1", Transmission: Late}, 3)
	add(Fact{Day: "2026-01-12", Station: "S1", Category: registry.CategoryIrregular, Nationality: "PAK", Sex: "M", Age: AgeUnknown,
		Decisions: []Outcome{{Day: "2026-01-13", Same: true}, {Day: "2026-01-13"}}}, 2)
	add(Fact{Day: "2026-02-01", Station: "S1", Category: registry.CategoryIrregular, Nationality: "PAK", Sex: "M", Age: AgeUnknown}, 5) // outside
	add(Fact{Day: "2025-01-07", Station: "S1", Category: registry.CategoryIrregular, Nationality: "PAK", Sex: "M", Age: AgeUnknown}, 8) // a year earlier

	q, err := NewQuery("2026-01-01", "2026-01-31", "week")
	if err != nil {
		t.Fatal(err)
	}
	q.Top = 2
	f, err := Compute(context.Background(), q, fakeScan(cells))
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, got, want Count) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	check("total", f.Total, 12)
	check("AFG", f.ByNationality["AFG"], 7)
	check("SYR", f.ByNationality["SYR"], 3)
	check("other", f.ByNationality[Other], 2)
	check("M", f.BySex["M"], 9)
	check("F", f.BySex["F"], 3)
	check("X", f.BySex["X"], 0)
	check("12-17", f.ByAgeGroup[Age12to17], 3)
	check("unknown age", f.ByAgeGroup[AgeUnknown], 2)
	check("protection", f.ByCategory[registry.CategoryProtection], 7)
	check("irregular", f.ByCategory[registry.CategoryIrregular], 5)
	check("S1", f.ByStation["S1"], 9)
	check("unaccompanied F", f.UnaccompaniedChildren["F"], 3)
	check("groups", f.Groups.Groups, 1)
	check("in groups", f.Groups.People, 3)
	check("found", f.Duplicates.Found, 4)
	check("confirmed", f.Duplicates.Confirmed, 2)
	check("transmission known", f.Transmission.Known, 10)
	check("late", f.Transmission.Late, 3)
	if f.Transmission.Rate == nil || *f.Transmission.Rate != 70 {
		t.Errorf("on time rate = %v", f.Transmission.Rate)
	}
	var series []string
	for _, p := range f.Series {
		series = append(series, p.Period+"="+p.Total.String())
	}
	if got := strings.Join(series, " "); got != "2026-W01=0 2026-W02=10 2026-W03=2 2026-W04=0 2026-W05=0" {
		t.Errorf("series %s", got)
	}
	check("year earlier", f.YearEarlier.Total, 8)
	if f.YearEarlier.Change == nil || *f.YearEarlier.Change != 50 {
		t.Errorf("change = %v", f.YearEarlier.Change)
	}

	// The filters.
	q.Station, q.Category = "S1", registry.CategoryIrregular
	f, err = Compute(context.Background(), q, fakeScan(cells))
	if err != nil {
		t.Fatal(err)
	}
	check("S1 irregular", f.Total, 2)
	if _, ok := f.ByCategory[registry.CategoryProtection]; ok {
		t.Error("a category filter still lists the others")
	}

	// Amending takes back exactly what was counted.
	old := Fact{Day: "2026-01-05", Station: "S1", Category: registry.CategoryProtection, Nationality: "AFG", Sex: "M", Age: Age18to34, Transmission: OnTime}
	now := old
	now.Nationality = "IRN"
	cells = append(cells, Delta(&old, &now)...)
	f, _ = Compute(context.Background(), Query{From: day("2026-01-01"), To: day("2026-01-31"), By: ByMonth}, fakeScan(cells))
	check("AFG after amendment", f.ByNationality["AFG"], 6)
	check("IRN after amendment", f.ByNationality["IRN"], 1)
	check("total after amendment", f.Total, 12)
}

func TestEmptyPeriodIsZeros(t *testing.T) {
	q, _ := NewQuery("2030-01-01", "2030-01-03", "day")
	f, err := Compute(context.Background(), q, fakeScan(nil))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(f)
	for _, key := range []string{`"from":"2030-01-01"`, `"to":"2030-01-03"`, `"total":0`, `"by_nationality":{}`, `"by_sex":{"F":0,"M":0,"U":0,"X":0}`,
		`"by_age_group":{`, `"by_category":{`, `"by_station":{}`, `"unaccompanied_children":{`, `"series":[{"period":"2030-01-01","total":0}`, `"suppressed":false`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("JSON lacks %s: %s", key, b)
		}
	}
	if f.YearEarlier.Change != nil {
		t.Error("a change from nothing")
	}
}

// solutions counts, by brute force, the values each hidden cell can take
// given what is published: the reader's view.
func solutions(pub []Count, total Count, exact []int64) []map[int64]bool {
	seen := make([]map[int64]bool, len(pub))
	for i := range seen {
		seen[i] = map[int64]bool{}
	}
	var sum int64
	for _, v := range exact {
		sum += v
	}
	limit := sum + 10
	vals := make([]int64, len(pub))
	var walk func(i int, acc int64)
	walk = func(i int, acc int64) {
		if acc > limit {
			return
		}
		if i == len(pub) {
			tlo, thi := bounds(total)
			if acc >= tlo && acc <= thi {
				for j := range pub {
					seen[j][vals[j]] = true
				}
			}
			return
		}
		lo, hi := bounds(pub[i])
		hi = min(hi, limit)
		for v := lo; v <= hi; v++ {
			vals[i] = v
			walk(i+1, acc+v)
		}
	}
	walk(0, 0)
	return seen
}

func TestAttackSuppressionRecovery(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 3000; trial++ {
		n := 1 + r.IntN(4)
		exact := make([]int64, n)
		var sum int64
		for i := range exact {
			switch r.IntN(3) {
			case 0:
				exact[i] = int64(r.IntN(5))
			case 1:
				exact[i] = 5 + int64(r.IntN(3))
			default:
				exact[i] = int64(r.IntN(12))
			}
			sum += exact[i]
		}
		pub := make([]Count, n)
		ptr := make([]*Count, n)
		for i := range pub {
			pub[i] = Count(exact[i])
			ptr[i] = &pub[i]
		}
		total := Count(sum)
		if !Table(ptr, total) {
			total = Withheld
			if sum < Threshold {
				total = Small
			}
		}
		for i, p := range pub {
			if exact[i] > 0 && exact[i] < Threshold && !p.Hidden() {
				t.Fatalf("%v: small cell %d shown as %v", exact, i, p)
			}
			if !p.Hidden() && int64(p) != exact[i] {
				t.Fatalf("%v: cell %d shown as %v", exact, i, p)
			}
		}
		if total.Hidden() && sum >= Threshold && total == Small {
			t.Fatalf("%v: total %d shown as <5", exact, sum)
		}
		seen := solutions(pub, total, exact)
		for i, p := range pub {
			if p.Hidden() && len(seen[i]) < 2 {
				t.Fatalf("exact %v published %v total %v: cell %d can be worked out (%v)", exact, pub, total, i, seen[i])
			}
			if !seen[i][exact[i]] {
				t.Fatalf("exact %v published %v: the true value of cell %d is not a solution", exact, pub, i)
			}
		}
	}
}

func TestSuppressFigures(t *testing.T) {
	var cells []Cell
	for range 20 {
		cells = append(cells, Fact{Day: "2026-01-05", Station: "S1", Category: registry.CategoryIrregular, Nationality: "AFG", Sex: "M", Age: Age18to34}.Cells()...)
	}
	cells = append(cells, Fact{Day: "2026-01-06", Station: "S1", Category: registry.CategoryIrregular, Nationality: "SYR", Sex: "F", Age: Age12to17,
		Vulnerabilities: []string{registry.VulnUnaccompaniedChild}}.Cells()...)
	q, _ := NewQuery("2026-01-05", "2026-01-11", "day")
	f, err := Compute(context.Background(), q, fakeScan(cells))
	if err != nil {
		t.Fatal(err)
	}
	f.Suppress()
	if !f.Suppressed || f.Method == "" {
		t.Fatal("not marked suppressed")
	}
	if f.Total != 21 {
		t.Errorf("total %v", f.Total)
	}
	if f.ByNationality["SYR"] != Small || f.ByNationality["AFG"] != Withheld {
		t.Errorf("nationality %v", f.ByNationality)
	}
	if f.UnaccompaniedChildren["F"] != Small {
		t.Errorf("children %v", f.UnaccompaniedChildren)
	}
	var out bytes.Buffer
	if err := f.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	b := out.Bytes()
	if !bytes.Contains(b, []byte(`"SYR": "<5"`)) || !bytes.Contains(b, []byte(`"suppressed": true`)) {
		t.Errorf("JSON %s", b)
	}
	var back Figures
	if err := json.Unmarshal(b, &back); err != nil || back.ByNationality["SYR"] != Small {
		t.Errorf("round trip: %v %v", err, back.ByNationality)
	}
	var csv bytes.Buffer
	if err := f.WriteCSV(&csv); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), "by_nationality,SYR,<5\n") || !strings.HasPrefix(csv.String(), "figure,code,value\n") {
		t.Errorf("CSV:\n%s", csv.String())
	}
}

// TestSumsAddsInParts: cells added a slice at a time sum as Merge of them
// all at once, zero sums dropped, in SortCells order.
func TestSumsAddsInParts(t *testing.T) {
	cs := []Cell{
		{Day: "2026-03-02", Station: "BIH-VK", Category: "asylum", Dim: DimSex, Code: "F", N: 1},
		{Day: "2026-03-01", Station: "BIH-VK", Category: "asylum", Dim: DimSex, Code: "M", N: 2},
		{Day: "2026-03-02", Station: "BIH-VK", Category: "asylum", Dim: DimSex, Code: "F", N: 3},
		{Day: "2026-03-01", Station: "BIH-VK", Category: "asylum", Dim: DimSex, Code: "X", N: 1},
		{Day: "2026-03-01", Station: "BIH-VK", Category: "asylum", Dim: DimSex, Code: "X", N: -1},
	}
	s := Sums{}
	s.Add(cs[:2])
	s.Add(nil)
	s.Add(cs[2:])
	got, want := s.Cells(), Merge(cs)
	if len(got) != 2 || len(want) != 2 {
		t.Fatalf("%d and %d cells, want 2 (the zero sum dropped)", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("cell %d: %+v, Merge %+v", i, got[i], want[i])
		}
	}
	if got[0].Day != "2026-03-01" || got[1].N != 4 {
		t.Fatalf("cells %+v: not sorted or not summed", got)
	}
}
