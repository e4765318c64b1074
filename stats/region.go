package stats

import (
	"sort"
	"time"
)

// Region is what a regional hub publishes: per country, its registrations
// and their categories, in total and per period, from the index entries
// the countries send; and the movement matrix: people registered in one
// country who had been registered earlier in another (the region's hits),
// counted in the period of the later registration. NewRegion's figures
// are exact; Suppress applies the "<5" rule before they are shown.
type Region struct {
	From       string          `json:"from"`
	To         string          `json:"to"`
	By         Unit            `json:"by"`
	Total      Count           `json:"total"`
	Countries  []CountryCounts `json:"countries"`
	Movements  []Movement      `json:"movements"`
	Suppressed bool            `json:"suppressed"`
	Method     string          `json:"suppression_method,omitempty"`

	q       Query
	country map[string]*CountryCounts
	moves   map[[2]string]Count
}

// CountryCounts are one country's registrations in the period: in total,
// by category, and per period of the series. Categories are given for
// the whole period, not per period: a table of periods by categories with
// both margins would let cells be worked out across tables
// (docs/statistics.md); ask for one week to have that week's categories.
type CountryCounts struct {
	Country    string  `json:"country"`
	Total      Count   `json:"total"`
	ByCategory Counts  `json:"by_category"`
	Series     []Point `json:"series"`
}

// Movement counts people registered in To who had been registered in
// From before.
type Movement struct {
	From   string `json:"from"`
	To     string `json:"to"`
	People Count  `json:"people"`
}

// NewRegion starts the figures of q at a region (Station and Category of
// q are not used: a region holds neither stations of its own nor details).
func NewRegion(q Query) *Region {
	return &Region{From: q.FromDay(), To: q.ToDay(), By: q.By, q: q, country: map[string]*CountryCounts{}, moves: map[[2]string]Count{},
		Countries: []CountryCounts{}, Movements: []Movement{}}
}

// In reports whether day (YYYY-MM-DD) falls in the period.
func (r *Region) In(day string) bool { return day >= r.From && day <= r.To }

// Add counts one registration of country on day in category; a day
// outside the period, or not a day, is not counted.
func (r *Region) Add(country, day, category string) {
	t, err := time.Parse(DayLayout, day)
	if err != nil || !r.In(day) {
		return
	}
	if category == "" {
		category = Unknown
	}
	c := r.country[country]
	if c == nil {
		c = &CountryCounts{Country: country, ByCategory: Counts{}}
		for _, p := range Periods(r.q.By, r.q.From, r.q.To) {
			c.Series = append(c.Series, Point{Period: p})
		}
		r.country[country] = c
	}
	c.Total++
	c.ByCategory[category]++
	p := Period(r.q.By, t)
	i := sort.Search(len(c.Series), func(i int) bool { return c.Series[i].Period >= p })
	c.Series[i].Total++
}

// Move counts one person registered in to who had been registered in from
// before.
func (r *Region) Move(from, to string) { r.moves[[2]string{from, to}]++ }

// Finish puts the counts in order (countries by code, movements by
// origin then destination) and works out the region's total.
func (r *Region) Finish() *Region {
	r.Countries, r.Movements, r.Total = r.Countries[:0], r.Movements[:0], 0
	for _, c := range r.country {
		r.Countries = append(r.Countries, *c)
		r.Total += c.Total
	}
	sort.Slice(r.Countries, func(i, j int) bool { return r.Countries[i].Country < r.Countries[j].Country })
	for k, n := range r.moves {
		r.Movements = append(r.Movements, Movement{From: k[0], To: k[1], People: n})
	}
	sort.Slice(r.Movements, func(i, j int) bool {
		a, b := r.Movements[i], r.Movements[j]
		return a.From < b.From || a.From == b.From && a.To < b.To
	})
	return r
}

// Suppress applies the "<5" rule. Each published sum is protected with
// Table: the countries' totals against the region's, and each country's
// periods and categories against its total. A country total is published
// in three places (as a cell of the region's table and as the sum of its
// periods and of its categories), so when it is withheld, each of its two
// breakdowns keeps at least one hidden cell, or the total could be added
// up again from it. Movements have no published sum and are only cut at 5.
func (r *Region) Suppress() {
	if r.Suppressed {
		return
	}
	small(&r.Total)
	totals := make([]*Count, len(r.Countries))
	for i := range r.Countries {
		small(&r.Countries[i].Total)
		totals[i] = &r.Countries[i].Total
	}
	if !Table(totals, r.Total) {
		r.Total = Withheld
	}
	for i := range r.Countries {
		c := &r.Countries[i]
		ok := Table(seriesPtrs(c.Series), c.Total)
		ok = tableCounts(c.ByCategory, c.Total) && ok
		if !ok && !c.Total.Hidden() {
			c.Total = Withheld
		}
		if c.Total.Hidden() {
			keepHidden(seriesPtrs(c.Series))
			keys := c.ByCategory.Sorted()
			cells := make([]*Count, len(keys))
			for j, k := range keys {
				v := c.ByCategory[k]
				cells[j] = &v
			}
			keepHidden(cells)
			for j, k := range keys {
				c.ByCategory[k] = *cells[j]
			}
		}
	}
	for i := range r.Movements {
		small(&r.Movements[i].People)
	}
	r.Suppressed, r.Method = true, Method
}

// keepHidden withholds the smallest non-zero cell of a breakdown whose
// total is hidden when none of its cells is, so the total cannot be
// added up from them.
func keepHidden(cells []*Count) {
	var pick *Count
	for _, c := range cells {
		if c.Hidden() {
			return
		}
		if *c > 0 && (pick == nil || *c < *pick) {
			pick = c
		}
	}
	if pick != nil {
		*pick = Withheld
	}
}
