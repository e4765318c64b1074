package stats

import "math"

// Method says in a sentence how Suppress protects small counts; figures it
// has run on carry it.
const Method = `cells from 1 to 4 shown as "<5"; where a published total would let one be worked out, the smallest other cells of that total withheld as "x" until none can (complementary suppression), and the total withheld as "x" when even that is not enough; docs/statistics.md`

// Threshold is the smallest count published as it is.
const Threshold = 5

// Table protects cells that add up to a published total: each cell from
// 1 to Threshold-1 becomes Small; then, while the total and the cells still
// shown would give away a hidden cell's exact value, the smallest cell
// still shown (never a zero) becomes Withheld. total is the exact sum,
// or a hidden count (Small: 1 to 4; Withheld: 5 or more) when the total
// itself is not published. It reports false when no choice of cells
// protects them: the caller must then withhold the total.
//
// The reader is assumed to know the rule: that "<5" is 1 to 4, that "x"
// is 5 or more, that shown cells are exact and that cells add up to the
// total. A hidden cell is given away when, under those facts, it can take
// one value only.
func Table(cells []*Count, total Count) bool {
	for _, c := range cells {
		if *c > 0 && *c < Threshold {
			*c = Small
		}
	}
	for {
		if !pinned(cells, total) {
			return true
		}
		var pick *Count
		for _, c := range cells {
			if *c > 0 && (pick == nil || *c < *pick) {
				pick = c
			}
		}
		if pick == nil {
			return false
		}
		*pick = Withheld
	}
}

// bounds is what a reader can say of a count as published.
func bounds(c Count) (lo, hi int64) {
	switch c {
	case Small:
		return 1, Threshold - 1
	case Withheld:
		return Threshold, math.MaxInt32
	}
	return int64(c), int64(c)
}

// pinned reports whether any hidden cell can take one value only, given
// the cells' bounds and that they add up to a total within its bounds.
func pinned(cells []*Count, total Count) bool {
	tlo, thi := bounds(total)
	var slo, shi int64
	hidden := 0
	for _, c := range cells {
		lo, hi := bounds(*c)
		slo, shi = slo+lo, shi+hi
		if c.Hidden() {
			hidden++
		}
	}
	if hidden == 0 {
		return false
	}
	for _, c := range cells {
		if !c.Hidden() {
			continue
		}
		lo, hi := bounds(*c)
		olo, ohi := slo-lo, shi-hi // the other cells
		lo, hi = max(lo, tlo-ohi), min(hi, thi-olo)
		if lo >= hi {
			return true
		}
	}
	return false
}

// Suppress applies the "<5" rule to figures about to leave a hub (the
// region's, an export): every count from 1 to 4 is Small, and every
// breakdown that adds up to the total (nationality, sex, age group,
// category, station, the series) is protected with Table; the total is
// withheld if one cannot be. Counts with no published sum (children by
// sex, vulnerabilities, groups, duplicates, hits, a centre's arrivals,
// departures and residents) are only cut at 5; a centre's free places are
// withheld where its residents are hidden.
// Percentages of hidden counts are dropped.
func (f *Figures) Suppress() {
	if f.Suppressed {
		return
	}
	small(&f.Total)
	ok := Table(seriesPtrs(f.Series), f.Total)
	for _, cs := range []Counts{f.ByNationality, f.BySex, f.ByAgeGroup, f.ByCategory, f.ByStation} {
		ok = tableCounts(cs, f.Total) && ok
	}
	f.suppressAgeSex()
	if !ok && !f.Total.Hidden() {
		// A total given away a cell: withhold it, and with it every
		// constraint; cells stay as Table left them.
		f.Total = Withheld
	}
	for _, cs := range []Counts{f.UnaccompaniedChildren, f.SeparatedChildren, f.ByVulnerability} {
		for k, c := range cs {
			small(&c)
			cs[k] = c
		}
	}
	for _, c := range []*Count{&f.Groups.Groups, &f.Groups.People, &f.Duplicates.Found, &f.Duplicates.Confirmed, &f.ElsewhereHits} {
		small(c)
	}
	t := &f.Transmission
	small(&t.Known)
	if !Table([]*Count{&t.OnTime, &t.Late}, t.Known) {
		t.Known = Withheld
	}
	if t.OnTime.Hidden() || t.Late.Hidden() {
		t.Rate = nil
	}
	e := &f.YearEarlier
	small(&e.Total)
	if !Table(seriesPtrs(e.Series), e.Total) {
		e.Total = Withheld
	}
	if f.Total.Hidden() || e.Total.Hidden() {
		e.Change = nil
	}
	f.suppressAccommodation()
	f.Suppressed, f.Method = true, Method
}

func small(c *Count) {
	if *c > 0 && *c < Threshold {
		*c = Small
	}
}

// tableCounts is Table over the counts of a map, in a fixed order (the
// same figures are suppressed the same way).
func tableCounts(cs Counts, total Count) bool {
	keys := cs.Sorted()
	cells := make([]*Count, len(keys))
	for i, k := range keys {
		c := cs[k]
		cells[i] = &c
	}
	ok := Table(cells, total)
	for i, k := range keys {
		cs[k] = *cells[i]
	}
	return ok
}

func seriesPtrs(ps []Point) []*Count {
	out := make([]*Count, len(ps))
	for i := range ps {
		out[i] = &ps[i].Total
	}
	return out
}
