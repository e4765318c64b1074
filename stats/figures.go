package stats

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// Count is a published number. Exact figures are never negative; once
// Suppress has run, Small stands for a count from 1 to 4 (written "<5")
// and Withheld for a count held back so that a small one cannot be
// worked out from a total (written "x").
type Count int64

// The marks of suppressed counts.
const (
	Small    Count = -1
	Withheld Count = -2
)

// Hidden reports a suppressed count.
func (c Count) Hidden() bool { return c < 0 }

// String is the count as published: the number, "<5" or "x".
func (c Count) String() string {
	switch c {
	case Small:
		return "<5"
	case Withheld:
		return "x"
	}
	return strconv.FormatInt(int64(c), 10)
}

// MarshalJSON writes a number, or the string "<5" or "x".
func (c Count) MarshalJSON() ([]byte, error) {
	if c.Hidden() {
		return []byte(`"` + c.String() + `"`), nil
	}
	return strconv.AppendInt(nil, int64(c), 10), nil
}

// UnmarshalJSON reads what MarshalJSON writes.
func (c *Count) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		switch s {
		case "<5":
			*c = Small
			return nil
		case "x":
			*c = Withheld
			return nil
		}
		return fmt.Errorf("stats: count %q is not a number, \"<5\" or \"x\"", s)
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil || n < 0 {
		return fmt.Errorf("stats: count %s is not a number, \"<5\" or \"x\"", b)
	}
	*c = Count(n)
	return nil
}

// Counts maps a code (a nationality, a sex, an age group, a category, a
// station) to its count.
type Counts map[string]Count

// Sorted lists the codes by count, largest first, then by code; hidden
// counts last.
func (cs Counts) Sorted() []string {
	keys := make([]string, 0, len(cs))
	for k := range cs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if cs[a] != cs[b] {
			if cs[a] > cs[b] {
				return -1
			}
			return 1
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
	return keys
}

// Point is one period of a series.
type Point struct {
	Period string `json:"period"`
	Total  Count  `json:"total"`
}

// Groups counts families and groups registered together.
type Groups struct {
	Groups Count `json:"groups"` // families or groups with a member registered in the period
	People Count `json:"people"` // people registered as members of one
}

// Duplicates counts officers' decisions on possible duplicates.
type Duplicates struct {
	Found     Count `json:"found"`     // possible duplicates decided
	Confirmed Count `json:"confirmed"` // decided to be the same person
}

// Transmission is the 72-hour rule, counted from the encounter (the
// apprehension): on a device, registrations made within 72 hours of it;
// at a hub, registrations the hub received within 72 hours of it; Late
// took longer. Known is the registrations where it can be said (a record
// counted before this rule was, and is not recounted, is not known).
type Transmission struct {
	Known  Count    `json:"registrations"`
	OnTime Count    `json:"within_72h"`
	Late   Count    `json:"late"`
	Rate   *float64 `json:"within_72h_percent"` // nil when nothing is known
}

// Earlier is the same period a year earlier.
type Earlier struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Total  Count    `json:"total"`
	Series []Point  `json:"series"`
	Change *float64 `json:"change_percent"` // nil when the earlier total is 0 or hidden
}

// Figures are the statistics of one period. Its JSON form is the contract
// of `fieldreg stats` and `reghub stats` (docs/statistics.md).
type Figures struct {
	From                  string       `json:"from"`
	To                    string       `json:"to"`
	By                    Unit         `json:"by"`
	Station               string       `json:"station,omitempty"`
	Category              string       `json:"category,omitempty"`
	Total                 Count        `json:"total"`
	ByNationality         Counts       `json:"by_nationality"`
	BySex                 Counts       `json:"by_sex"`
	ByAgeGroup            Counts       `json:"by_age_group"`
	ByAgeAndSex           Counts       `json:"by_age_and_sex"` // code AgeSexCode: "18-34/F"
	ByCategory            Counts       `json:"by_category"`
	ByStation             Counts       `json:"by_station"`
	UnaccompaniedChildren Counts       `json:"unaccompanied_children"`
	SeparatedChildren     Counts       `json:"separated_children"`
	ByVulnerability       Counts       `json:"by_vulnerability"`
	Series                []Point      `json:"series"`
	Groups                Groups       `json:"groups"`
	Duplicates            Duplicates   `json:"duplicates"`
	ElsewhereHits         Count        `json:"registered_elsewhere_hits"`
	Transmission          Transmission `json:"transmission"`
	Accommodation         []Centre     `json:"accommodation,omitempty"` // per reception centre and ISO week, where the node keeps arrivals and departures (a hub)
	YearEarlier           Earlier      `json:"year_earlier"`
	Suppressed            bool         `json:"suppressed"`
	Method                string       `json:"suppression_method,omitempty"`
}

// Other is the code under which nationalities beyond the top N are added up.
const Other = "other"

// Filter is what a Scan reads: the days From..To (both included, written
// YYYY-MM-DD) and, when set, only one Station's or one Category's cells.
type Filter struct {
	From, To, Station, Category string
}

// Scan calls fn for the cells that f selects. A store adds them up
// before it calls fn: DimTotal per day, station and category; groups as
// two cells of DimGroup, GroupsCode (the number of distinct groups) and
// PeopleCode (their members); the others per station, category, dimension
// and code over the whole period (Cell.Day then empty).
type Scan func(ctx context.Context, f Filter, fn func(Cell) error) error

// Codes of the DimGroup cells a Scan returns.
const (
	GroupsCode = "groups"
	PeopleCode = "people"
)

// Compute works out the figures of q, and of the same period a year
// earlier, from the cells that scan reads. A period with nothing gives
// zeros. The figures are exact: suppress them (Suppress) before they
// leave a hub.
func Compute(ctx context.Context, q Query, scan Scan) (*Figures, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	f, err := compute(ctx, q, scan)
	if err != nil {
		return nil, err
	}
	e, err := compute(ctx, q.YearEarlier(), scan)
	if err != nil {
		return nil, err
	}
	f.YearEarlier = Earlier{From: e.From, To: e.To, Total: e.Total, Series: e.Series}
	f.YearEarlier.Change = change(e.Total, f.Total)
	return f, nil
}

func change(before, now Count) *float64 {
	if before <= 0 || now.Hidden() {
		return nil
	}
	p := math.Round(float64(now-before)/float64(before)*1000) / 10
	return &p
}

func compute(ctx context.Context, q Query, scan Scan) (*Figures, error) {
	f := New(q)
	series := map[string]Count{}
	nat := Counts{}
	err := scan(ctx, Filter{q.FromDay(), q.ToDay(), q.Station, q.Category}, func(c Cell) error {
		if (q.Station != "" && c.Station != q.Station) || (q.Category != "" && c.Category != q.Category) {
			return nil
		}
		n := Count(c.N)
		switch c.Dim {
		case DimTotal:
			day, err := time.Parse(DayLayout, c.Day)
			if err != nil {
				return fmt.Errorf("stats: a total cell without its day (%q)", c.Day)
			}
			f.Total += n
			series[Period(q.By, day)] += n
			f.ByCategory[c.Category] += n
			f.ByStation[c.Station] += n
		case DimNationality:
			nat[c.Code] += n
		case DimSex:
			f.BySex[c.Code] += n
		case DimAge:
			f.ByAgeGroup[c.Code] += n
		case DimAgeSex:
			f.ByAgeAndSex[c.Code] += n
		case DimUnaccompanied:
			f.UnaccompaniedChildren[c.Code] += n
		case DimSeparated:
			f.SeparatedChildren[c.Code] += n
		case DimVulnerability:
			f.ByVulnerability[c.Code] += n
		case DimGroup:
			switch c.Code {
			case GroupsCode:
				f.Groups.Groups += n
			case PeopleCode:
				f.Groups.People += n
			}
		case DimDuplicates:
			switch c.Code {
			case Found:
				f.Duplicates.Found += n
			case Confirmed:
				f.Duplicates.Confirmed += n
			}
		case DimElsewhere:
			f.ElsewhereHits += n
		case DimTransmission:
			switch c.Code {
			case OnTime:
				f.Transmission.OnTime += n
			case Late:
				f.Transmission.Late += n
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	f.ByNationality = top(nat, q.Top)
	for i := range f.Series {
		f.Series[i].Total = series[f.Series[i].Period]
	}
	for k, v := range f.ByStation {
		if v == 0 {
			delete(f.ByStation, k)
		}
	}
	t := &f.Transmission
	t.Known = t.OnTime + t.Late
	if t.Known > 0 {
		p := math.Round(float64(t.OnTime)/float64(t.Known)*1000) / 10
		t.Rate = &p
	}
	return f, nil
}

// New is the figures of q with nothing counted: every sex, age group,
// category and series period present at zero.
func New(q Query) *Figures {
	f := &Figures{
		From: q.FromDay(), To: q.ToDay(), By: q.By, Station: q.Station, Category: q.Category,
		ByNationality: Counts{}, BySex: Counts{}, ByAgeGroup: Counts{}, ByAgeAndSex: Counts{}, ByCategory: Counts{}, ByStation: Counts{},
		UnaccompaniedChildren: Counts{}, SeparatedChildren: Counts{}, ByVulnerability: Counts{},
		Series: []Point{},
	}
	for _, s := range []string{registry.SexFemale, registry.SexMale, registry.SexOther, registry.SexUnknown} {
		f.BySex[s], f.UnaccompaniedChildren[s], f.SeparatedChildren[s] = 0, 0, 0
	}
	for _, a := range AgeGroups {
		f.ByAgeGroup[a] = 0
	}
	for _, c := range registry.Categories {
		if q.Category == "" || q.Category == c {
			f.ByCategory[c] = 0
		}
	}
	for _, v := range registry.Vulnerabilities {
		f.ByVulnerability[v] = 0
	}
	for _, p := range Periods(q.By, q.From, q.To) {
		f.Series = append(f.Series, Point{Period: p})
	}
	f.YearEarlier.Series = []Point{}
	return f
}

// top keeps the n largest nationalities (DefaultTop when n is 0) and adds
// the rest up under Other, so the counts still add up to the total.
func top(all Counts, n int) Counts {
	if n <= 0 {
		n = DefaultTop
	}
	out := Counts{}
	for i, k := range all.Sorted() {
		if all[k] == 0 {
			continue
		}
		if i < n && k != Other {
			out[k] += all[k]
		} else {
			out[Other] += all[k]
		}
	}
	return out
}
