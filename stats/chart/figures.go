package chart

import (
	"strings"

	"github.com/fieldreg/fieldreg/stats"
)

// The charts of a stats.Figures, as the app, the dashboard and the report
// show them. Suppressed counts ("<5", "x") are drawn as empty bars
// labelled so.

// point is a count as a bar.
func point(label string, c stats.Count) Point {
	if c.Hidden() {
		return Point{Label: label, Text: c.String()}
	}
	return Point{Label: label, Count: int(c)}
}

// PeriodText states the period of f, and its filters, on every chart.
func PeriodText(f *stats.Figures) string {
	s := f.From + " to " + f.To
	if f.Station != "" {
		s += ", station " + f.Station
	}
	if f.Category != "" {
		s += ", " + strings.ReplaceAll(f.Category, "_", " ")
	}
	if f.Suppressed {
		s += `; counts under 5 shown as "<5"`
	}
	return s
}

// SeriesOf is the chart of people registered per day, week or month, with
// the same periods a year earlier.
func SeriesOf(f *stats.Figures) Period {
	c := Period{Title: "People registered per " + string(f.By), Period: PeriodText(f),
		CurrentName: f.From + " to " + f.To, EarlierName: "a year earlier"}
	if f.YearEarlier.From != "" {
		c.EarlierName = f.YearEarlier.From + " to " + f.YearEarlier.To
	}
	for _, p := range f.Series {
		c.Current = append(c.Current, point(p.Period, p.Total))
	}
	if len(f.YearEarlier.Series) == len(f.Series) {
		for _, p := range f.YearEarlier.Series {
			c.Earlier = append(c.Earlier, point(p.Period, p.Total))
		}
	}
	if len(c.Current) > MaxBars {
		// A long period by day: the last MaxBars periods.
		c.Current = c.Current[len(c.Current)-MaxBars:]
		if len(c.Earlier) > 0 {
			c.Earlier = c.Earlier[len(c.Earlier)-MaxBars:]
		}
		c.Period += " (the last " + string(f.By) + "s shown)"
	}
	return c
}

// ranked lists cs largest first, at most n (the rest added to "other";
// hidden counts kept as they are).
func ranked(cs stats.Counts, n int) []Point {
	var out []Point
	var other stats.Count
	hiddenOther := false
	for i, k := range cs.Sorted() {
		c := cs[k]
		if c == 0 {
			continue
		}
		if i < n || k == stats.Other {
			out = append(out, point(k, c))
			continue
		}
		if c.Hidden() {
			hiddenOther = true
			continue
		}
		other += c
	}
	if other > 0 || hiddenOther {
		p := point(stats.Other+" (rest)", other)
		if hiddenOther {
			p.Text = "x"
			p.Count = 0
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		out = []Point{{Label: "none", Count: 0}}
	}
	return out
}

// NationalitiesOf is the chart of the top nationalities.
func NationalitiesOf(f *stats.Figures) Ranked {
	return Ranked{Title: "Nationalities", Period: PeriodText(f), Items: ranked(f.ByNationality, 12)}
}

// StationsOf is the chart of people registered per station or crossing.
func StationsOf(f *stats.Figures) Ranked {
	return Ranked{Title: "People registered per station or crossing", Period: PeriodText(f), Items: ranked(f.ByStation, MaxRanked-1)}
}

// AgeSexOf is the age pyramid of women and girls and of men and boys
// (people registered with sex X or U are in the age group table, not in
// the pyramid).
func AgeSexOf(f *stats.Figures) Pyramid {
	p := Pyramid{Title: "Age and sex", Period: PeriodText(f), Groups: stats.AgeGroups}
	for _, g := range stats.AgeGroups {
		p.Female = append(p.Female, point(g, f.ByAgeAndSex[stats.AgeSexCode(g, "F")]))
		p.Male = append(p.Male, point(g, f.ByAgeAndSex[stats.AgeSexCode(g, "M")]))
	}
	return p
}
