package stats

import (
	"cmp"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// Dimensions of a cell: what its code counts.
const (
	DimTotal         = "total"         // people registered (code "")
	DimNationality   = "nationality"   // by first nationality (code: ISO 3166 alpha-3, ICAO XX?, or "unknown")
	DimSex           = "sex"           // F, M, X, U
	DimAge           = "age"           // AgeGroups
	DimAgeSex        = "age_sex"       // age group and sex, for the age pyramid (code: AgeSexCode)
	DimUnaccompanied = "unaccompanied" // unaccompanied children, by sex
	DimSeparated     = "separated"     // separated children, by sex
	DimVulnerability = "vulnerability" // registry.Vulnerabilities
	DimGroup         = "group"         // members of one family or group (code: a keyed token of its ID)
	DimDuplicates    = "duplicates"    // officers' decisions on possible duplicates: "found" (any) and "confirmed" (same person), on the day decided
	DimElsewhere     = "elsewhere"     // "registered elsewhere?" answered with a hit, on the day answered
	DimTransmission  = "transmission"  // 72 hours from the encounter: "on_time" registered (device) or received by the hub (hub) within them; "late": later
)

// Codes of the transmission and duplicates dimensions.
const (
	OnTime    = "on_time"
	Late      = "late"
	Found     = "found"
	Confirmed = "confirmed"
	Hit       = "hit"
	Unknown   = "unknown"
)

// Deadline is the time within which a registration must reach the hub.
const Deadline = 72 * time.Hour

// Cell is one count: N people (or decisions, or hits) of the given
// dimension and code, registered on Day at Station in Category. Cells hold
// counts only, never a person's data. A negative N takes back an earlier
// count (a record whose values were amended).
type Cell struct {
	Day      string // YYYY-MM-DD, UTC
	Station  string
	Category string
	Dim      string
	Code     string
	N        int64
}

// Key is a cell without its count.
type Key struct{ Day, Station, Category, Dim, Code string }

// Key is the cell's key.
func (c Cell) Key() Key { return Key{c.Day, c.Station, c.Category, c.Dim, c.Code} }

// Fact is what one record contributes to the figures: the values that are
// counted, nothing else. It is personal data (a record ID beside a
// nationality and an age group): callers keep it sealed, and keep it only
// to take back exactly what was counted when the record changes.
type Fact struct {
	Day             string    `json:"day"` // of registration
	Station         string    `json:"station"`
	Category        string    `json:"category"`
	Nationality     string    `json:"nationality"`
	Sex             string    `json:"sex"`
	Age             string    `json:"age"`
	Vulnerabilities []string  `json:"vulnerabilities,omitempty"`
	Group           string    `json:"group,omitempty"`        // keyed token of the group ID
	Decisions       []Outcome `json:"decisions,omitempty"`    // duplicates decided on this record
	Transmission    string    `json:"transmission,omitempty"` // OnTime, Late or "" (not known here)
	ElsewhereDay    string    `json:"elsewhere_day,omitempty"`
}

// Outcome is an officer's decision on a possible duplicate.
type Outcome struct {
	Day  string `json:"day"`
	Same bool   `json:"same"`
}

// FactOf is the fact of record r, made at station. groupKey keys the
// token that stands for its group, so the group's ID is not written in
// the aggregate table.
func FactOf(r *registry.Record, station string, groupKey []byte) Fact {
	p := &r.Person
	reg := r.Created().Time()
	f := Fact{
		Day:      Day(reg),
		Station:  station,
		Category: p.Category,
		Sex:      p.Sex,
		Age:      AgeGroup(p.BirthDate, reg),
	}
	f.Nationality = Unknown
	if len(p.Nationalities) > 0 && p.Nationalities[0] != "" {
		f.Nationality = p.Nationalities[0]
	}
	if f.Sex == "" {
		f.Sex = registry.SexUnknown
	}
	if f.Category == "" {
		f.Category = Unknown
	}
	for _, v := range registry.Vulnerabilities {
		if slices.Contains(p.Vulnerabilities, v) {
			f.Vulnerabilities = append(f.Vulnerabilities, v)
		}
	}
	if p.Group != "" {
		m := hmac.New(sha256.New, groupKey)
		m.Write([]byte("stats group v1\x00" + p.Group))
		f.Group = hex.EncodeToString(m.Sum(nil)[:12])
	}
	if !p.Encounter.At.IsZero() {
		// Registered within 72 hours of the encounter; the hub replaces
		// this with its own outcome (received within 72 hours).
		f = f.Transmitted(p.Encounter.At, reg)
	}
	for _, l := range r.Links {
		f.Decisions = append(f.Decisions, Outcome{Day: Day(l.Decided.HLC.Time()), Same: l.Same})
	}
	return f
}

// Transmitted returns f with the outcome of the 72-hour rule for a person
// met at start (ClockStart) whose registration was done at done: on a
// device, when it was made; at the hub, when the hub received it.
func (f Fact) Transmitted(start, done time.Time) Fact {
	f.Transmission = OnTime
	if done.Sub(start) > Deadline {
		f.Transmission = Late
	}
	return f
}

// ClockStart is when the 72-hour clock of record r started: the encounter
// (apprehension, application, disembarkation or check; Eurodac counts 72
// hours from the apprehension) where it is recorded, otherwise the
// registration.
func ClockStart(r *registry.Record) time.Time {
	if at := r.Person.Encounter.At; !at.IsZero() {
		return at
	}
	return r.Created().Time()
}

// Cells lists the counts that f contributes, each N 1.
func (f Fact) Cells() []Cell {
	if f.Day == "" {
		return nil
	}
	c := func(dim, code string) Cell {
		return Cell{Day: f.Day, Station: f.Station, Category: f.Category, Dim: dim, Code: code, N: 1}
	}
	// Room for every cell a fact can add, so the appends below never copy.
	out := make([]Cell, 0, 8+2*len(f.Vulnerabilities)+2*len(f.Decisions))
	out = append(out, c(DimTotal, ""), c(DimNationality, f.Nationality), c(DimSex, f.Sex), c(DimAge, f.Age), c(DimAgeSex, AgeSexCode(f.Age, f.Sex)))
	for _, v := range f.Vulnerabilities {
		out = append(out, c(DimVulnerability, v))
		switch v {
		case registry.VulnUnaccompaniedChild:
			out = append(out, c(DimUnaccompanied, f.Sex))
		case registry.VulnSeparatedChild:
			out = append(out, c(DimSeparated, f.Sex))
		}
	}
	if f.Group != "" {
		out = append(out, c(DimGroup, f.Group))
	}
	if f.Transmission != "" {
		out = append(out, c(DimTransmission, f.Transmission))
	}
	for _, d := range f.Decisions {
		dc := c(DimDuplicates, Found)
		dc.Day = d.Day
		out = append(out, dc)
		if d.Same {
			dc.Code = Confirmed
			out = append(out, dc)
		}
	}
	if f.ElsewhereDay != "" {
		e := c(DimElsewhere, Hit)
		e.Day = f.ElsewhereDay
		out = append(out, e)
	}
	return out
}

// Delta is what changes in the aggregate when a record counted as old
// (nil: not counted yet) is now counted as new: old's cells taken back,
// new's added, cells that cancel out left out. The result is in a fixed
// order, so two writers touch rows in the same order.
func Delta(old, new *Fact) []Cell {
	sum := map[Key]int64{}
	if old != nil {
		for _, c := range old.Cells() {
			sum[c.Key()]--
		}
	}
	if new != nil {
		for _, c := range new.Cells() {
			sum[c.Key()]++
		}
	}
	out := make([]Cell, 0, len(sum))
	for k, n := range sum {
		if n != 0 {
			out = append(out, Cell{k.Day, k.Station, k.Category, k.Dim, k.Code, n})
		}
	}
	SortCells(out)
	return out
}

// SortCells orders cells by key.
func SortCells(cs []Cell) {
	slices.SortFunc(cs, compareCells)
}

// compareCells orders cells by day, station, category, dimension, code.
func compareCells(a, b Cell) int {
	return cmp.Or(strings.Compare(a.Day, b.Day), strings.Compare(a.Station, b.Station),
		strings.Compare(a.Category, b.Category), strings.Compare(a.Dim, b.Dim), strings.Compare(a.Code, b.Code))
}

// AddSorted adds the cells of add into sums, cells in SortCells order
// with distinct keys and none zero (what Merge returns), and returns the
// result, as Merge of both would give it: a key already there has its
// count added to (and goes if it comes to zero), a new key is inserted in
// its place. It changes sums' array; add is left as it is. A day of the
// aggregate takes a record's few cells this way without a map and a sort
// of the whole day on every save. If sums is not in that form (a day
// written by an older version), it is merged first.
func AddSorted(sums, add []Cell) []Cell {
	for i, c := range sums {
		if c.N == 0 || i > 0 && compareCells(sums[i-1], c) >= 0 {
			sums = Merge(sums)
			break
		}
	}
	for _, c := range add {
		i, found := slices.BinarySearchFunc(sums, c, compareCells)
		switch {
		case !found && c.N != 0:
			sums = slices.Insert(sums, i, c)
		case found:
			if sums[i].N += c.N; sums[i].N == 0 {
				sums = slices.Delete(sums, i, i+1)
			}
		}
	}
	return sums
}

// Merge adds cells with the same key together, dropping those that come
// to zero: a batch of facts becomes one write per row.
func Merge(cs []Cell) []Cell {
	s := Sums{}
	s.Add(cs)
	return s.Cells()
}

// Sums adds cells up by key, a slice at a time (Merge without gathering
// every cell into one slice first). A batch's cells share few keys: the
// map stays small however many cells go in.
type Sums map[Key]int64

// Add adds cs to the sums.
func (s Sums) Add(cs []Cell) {
	for _, c := range cs {
		s[c.Key()] += c.N
	}
}

// Cells are the sums that are not zero, as cells in SortCells order.
func (s Sums) Cells() []Cell {
	out := make([]Cell, 0, len(s))
	for k, n := range s {
		if n != 0 {
			out = append(out, Cell{k.Day, k.Station, k.Category, k.Dim, k.Code, n})
		}
	}
	SortCells(out)
	return out
}

// MonthlyDims are the dimensions kept a second time per month (the
// aggregate's monthly roll-up), so a long period reads a few rows per
// month instead of one per day. Totals stay per day (the series needs
// them) and groups per day (they are counted by distinct code).
var MonthlyDims = []string{DimNationality, DimSex, DimAge, DimAgeSex, DimUnaccompanied, DimSeparated, DimVulnerability, DimDuplicates, DimElsewhere, DimTransmission}

// Monthly reports whether cells of dim are also kept per month.
func Monthly(dim string) bool { return slices.Contains(MonthlyDims, dim) }

// Month is the month (YYYY-MM) of a day written YYYY-MM-DD.
func Month(day string) string {
	if len(day) < 7 {
		return day
	}
	return day[:7]
}

// Plan splits the days from..to (YYYY-MM-DD) into the whole months they
// cover (FirstMonth..LastMonth, YYYY-MM; empty when none) and up to two
// runs of days outside them, so a store reads MonthlyDims from its
// monthly roll-up for the whole months and from its daily rows for the
// rest.
type Plan struct {
	FirstMonth, LastMonth string
	Days                  [][2]string
}

// PlanOf is the plan of the days from..to.
func PlanOf(from, to string) Plan {
	f, err1 := time.Parse(DayLayout, from)
	t, err2 := time.Parse(DayLayout, to)
	if err1 != nil || err2 != nil || t.Before(f) {
		return Plan{Days: [][2]string{{from, to}}}
	}
	first := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !first.Equal(f) {
		first = first.AddDate(0, 1, 0)
	}
	end := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, -1) // last day of to's month
	last := end
	if !end.Equal(t) {
		last = time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1) // the month before
	}
	if last.Before(first) {
		return Plan{Days: [][2]string{{from, to}}}
	}
	p := Plan{FirstMonth: first.Format("2006-01"), LastMonth: last.Format("2006-01")}
	if f.Before(first) {
		p.Days = append(p.Days, [2]string{from, first.AddDate(0, 0, -1).Format(DayLayout)})
	}
	if t.After(last) {
		p.Days = append(p.Days, [2]string{time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Format(DayLayout), to})
	}
	return p
}

// SumCells adds up, in memory, the per-day cells that read gives (a
// store that cannot add them up itself: a device's sealed days) the way
// Scan describes, keeping those that f selects, and calls fn with the sums.
func SumCells(f Filter, read func(each func(Cell) error) error, fn func(Cell) error) error {
	sum := map[Key]int64{}
	groups := map[string]int64{}
	err := read(func(c Cell) error {
		if c.Day < f.From || c.Day > f.To || (f.Station != "" && c.Station != f.Station) || (f.Category != "" && c.Category != f.Category) {
			return nil
		}
		if c.Dim == DimGroup {
			groups[c.Code] += c.N
			return nil
		}
		k := c.Key()
		if c.Dim != DimTotal {
			k.Day = ""
		}
		sum[k] += c.N
		return nil
	})
	if err != nil {
		return err
	}
	var people, n int64
	for _, m := range groups {
		if m > 0 {
			people += m
			n++
		}
	}
	sum[Key{Dim: DimGroup, Code: GroupsCode}] = n
	sum[Key{Dim: DimGroup, Code: PeopleCode}] = people
	for k, v := range sum {
		if err := fn(Cell{k.Day, k.Station, k.Category, k.Dim, k.Code, v}); err != nil {
			return err
		}
	}
	return nil
}
