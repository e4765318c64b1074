package stats

import (
	"slices"
	"time"
)

// CentreWeek is one reception centre's figures for one ISO week (or the
// part of it inside the period): the people who arrived and left, and at
// the end of it the residents (absent ones included: their bed is held)
// and the free places (capacity minus residents, never below zero; open
// referrals are not known for past weeks and are not taken off).
type CentreWeek struct {
	Week       string `json:"week"`
	Residents  Count  `json:"residents"`
	Free       Count  `json:"free_places"`
	Arrivals   Count  `json:"arrivals"`
	Departures Count  `json:"departures"`
}

// Centre is a reception centre's figures per ISO week of the period.
// Capacity is its beds as the current centres list gives them (0 for a
// centre the list does not name).
type Centre struct {
	Code     string       `json:"code"`
	Name     string       `json:"name,omitempty"`
	Capacity int          `json:"capacity"`
	Weeks    []CentreWeek `json:"weeks"`
}

// CentreDay is a centre's arrivals and departures on one day (YYYY-MM-DD),
// as the occupancy projection keeps them.
type CentreDay struct {
	Day, Centre          string
	Arrivals, Departures int
}

// CentreInfo is what the centres list says of a centre.
type CentreInfo struct {
	Name     string
	Capacity int
}

// Accommodation works out, for the centres of list and those days name,
// the figures of each ISO week the days from..to touch. days must hold
// every day up to to (earlier ones too: the residents at a week's end are
// the arrivals less the departures of every day before it); days after to
// are ignored. Centres are in code order.
func Accommodation(from, to time.Time, list map[string]CentreInfo, days []CentreDay) []Centre {
	f, t := Day(from), Day(to)
	codes := make([]string, 0, len(list))
	for c := range list {
		codes = append(codes, c)
	}
	byCentre := map[string][]CentreDay{}
	for _, d := range days {
		if d.Day > t {
			continue
		}
		if _, ok := list[d.Centre]; !ok && byCentre[d.Centre] == nil {
			codes = append(codes, d.Centre)
		}
		byCentre[d.Centre] = append(byCentre[d.Centre], d)
	}
	slices.Sort(codes)
	codes = slices.Compact(codes)
	weeks := Periods(ByWeek, from, to)
	out := make([]Centre, 0, len(codes))
	for _, code := range codes {
		c := Centre{Code: code, Name: list[code].Name, Capacity: list[code].Capacity, Weeks: make([]CentreWeek, len(weeks))}
		ds := byCentre[code]
		slices.SortFunc(ds, func(a, b CentreDay) int {
			if a.Day < b.Day {
				return -1
			}
			if a.Day > b.Day {
				return 1
			}
			return 0
		})
		var before int64 // residents before the period
		for _, d := range ds {
			if d.Day < f {
				before += int64(d.Arrivals - d.Departures)
			}
		}
		residents := before
		i := 0
		for w := range weeks {
			c.Weeks[w].Week = weeks[w]
		}
		for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
			s := Day(day)
			w := slices.Index(weeks, Period(ByWeek, day))
			for i < len(ds) && ds[i].Day < s {
				i++
			}
			for ; i < len(ds) && ds[i].Day == s; i++ {
				c.Weeks[w].Arrivals += Count(ds[i].Arrivals)
				c.Weeks[w].Departures += Count(ds[i].Departures)
				residents += int64(ds[i].Arrivals - ds[i].Departures)
			}
			c.Weeks[w].Residents = Count(max(residents, 0))
			c.Weeks[w].Free = Count(max(int64(c.Capacity)-max(residents, 0), 0))
		}
		out = append(out, c)
	}
	return out
}

// suppressAccommodation cuts each centre's weekly arrivals, departures and
// residents at 5. A week's residents are the week before's plus its
// arrivals less its departures, and capacity is public: where a week's
// residents are hidden, its free places are withheld, and its arrivals and
// departures and the next week's are hidden too (withheld, or "<5"), so
// that neither neighbouring week gives the residents away.
func (f *Figures) suppressAccommodation() {
	hide := func(c *Count) {
		if *c >= Threshold {
			*c = Withheld
		}
		small(c)
	}
	for i := range f.Accommodation {
		ws := f.Accommodation[i].Weeks
		hidden := make([]bool, len(ws))
		for w := range ws {
			small(&ws[w].Residents)
			hidden[w] = ws[w].Residents.Hidden()
		}
		for w := range ws {
			cw := &ws[w]
			if hidden[w] || (w > 0 && hidden[w-1]) {
				hide(&cw.Arrivals)
				hide(&cw.Departures)
			} else {
				small(&cw.Arrivals)
				small(&cw.Departures)
			}
			if hidden[w] {
				cw.Free = Withheld
			}
		}
	}
}
