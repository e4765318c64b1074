// Package stats holds the figures that ministries, IOM and UNHCR ask for:
// registrations in a period by nationality, sex, age group, category and
// station, unaccompanied and separated children, groups, duplicates,
// "registered elsewhere" hits and the 72-hour transmission deadline, with a
// series by day, ISO week or month and the same period a year earlier.
//
// Figures are computed from per-day aggregate cells (Cell): counts keyed by
// day, station, category, dimension and code, never a person's data. The
// device's store and the hub's store keep those cells up to date as events
// arrive, so a year of figures is one indexed scan of a small table, not a
// decryption of every record. Suppress applies the "<5" rule to anything
// that leaves a hub (docs/statistics.md describes each figure and the
// method).
//
// The package has no storage, UI or network dependency.
package stats

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Unit is the length of one period of a series.
type Unit string

// The units of a series.
const (
	ByDay   Unit = "day"
	ByWeek  Unit = "week" // ISO 8601 week, Monday to Sunday, labelled 2026-W05
	ByMonth Unit = "month"
)

// Errors callers branch on.
var (
	// ErrBadQuery: a date, period or option of a query is not valid.
	ErrBadQuery = errors.New("not a valid statistics query")
)

// DayLayout is how a day is written: in queries, in cells and in figures.
const DayLayout = "2006-01-02"

// MaxSpan bounds the period of one query (and, with ByDay, the length of
// its series): about twenty years.
const MaxSpan = 20 * 366

// DefaultTop is how many nationalities a query names before "other"
// when it does not say.
const DefaultTop = 10

// MaxTop bounds Query.Top.
const MaxTop = 250

// Query asks for the figures of a period: From and To are whole days, both
// included (UTC). Station and Category, when set, keep only that station's
// or that category's registrations. Top is the number of nationalities
// named before "other" (0: DefaultTop).
type Query struct {
	From, To time.Time
	By       Unit
	Station  string
	Category string
	Top      int
}

// ParseDay reads a day written YYYY-MM-DD. It refuses anything else, and
// days that do not exist, with ErrBadQuery.
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(DayLayout, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q is not a day (write YYYY-MM-DD, e.g. 2026-01-31)", ErrBadQuery, s)
	}
	return t, nil
}

// ParseUnit reads "day", "week" or "month" ("" is ByWeek).
func ParseUnit(s string) (Unit, error) {
	switch u := Unit(strings.ToLower(strings.TrimSpace(s))); u {
	case "":
		return ByWeek, nil
	case ByDay, ByWeek, ByMonth:
		return u, nil
	}
	return "", fmt.Errorf("%w: --by %q: use day, week or month", ErrBadQuery, s)
}

// NewQuery reads a period given as two days and a unit, as the commands
// take them, and checks it.
func NewQuery(from, to, by string) (Query, error) {
	var q Query
	var err error
	if q.From, err = ParseDay(from); err != nil {
		return Query{}, err
	}
	if q.To, err = ParseDay(to); err != nil {
		return Query{}, err
	}
	if q.By, err = ParseUnit(by); err != nil {
		return Query{}, err
	}
	return q, q.Check()
}

// Only is q for one station and one category, as an operator typed them
// (blank or spaces: all).
func (q Query) Only(station, category string) Query {
	q.Station, q.Category = strings.TrimSpace(station), strings.TrimSpace(category)
	return q
}

// Narrow is q for one station and one category (Only), naming top
// nationalities, and checked; format must be json or csv. It reads the
// filters of `fieldreg stats` and `reghub stats` alike.
func (q Query) Narrow(station, category string, top int, format string) (Query, error) {
	q = q.Only(station, category)
	q.Top = top
	if err := q.Check(); err != nil {
		return q, err
	}
	if format != "json" && format != "csv" {
		return q, fmt.Errorf("%w: --format %q: use json or csv", ErrBadQuery, format)
	}
	return q, nil
}

// Check reports, with ErrBadQuery, a period that ends before it starts or
// spans more than MaxSpan days, an unknown unit, or a Top out of range.
func (q Query) Check() error {
	if q.From.IsZero() || q.To.IsZero() {
		return fmt.Errorf("%w: the period needs a first and a last day", ErrBadQuery)
	}
	if q.To.Before(q.From) {
		return fmt.Errorf("%w: the period ends (%s) before it starts (%s)", ErrBadQuery, q.To.Format(DayLayout), q.From.Format(DayLayout))
	}
	if days(q.From, q.To) > MaxSpan {
		return fmt.Errorf("%w: the period is longer than %d days", ErrBadQuery, MaxSpan)
	}
	switch q.By {
	case ByDay, ByWeek, ByMonth:
	default:
		return fmt.Errorf("%w: unit %q: use day, week or month", ErrBadQuery, q.By)
	}
	if q.Top < 0 || q.Top > MaxTop {
		return fmt.Errorf("%w: top %d: use 1 to %d", ErrBadQuery, q.Top, MaxTop)
	}
	return nil
}

// FromDay and ToDay are the period's days as written in cells.
func (q Query) FromDay() string { return q.From.Format(DayLayout) }

// ToDay is the period's last day as written in cells.
func (q Query) ToDay() string { return q.To.Format(DayLayout) }

// YearEarlier is the same query one year earlier (29 February falls back
// to 28 February).
func (q Query) YearEarlier() Query {
	p := q
	p.From, p.To = yearBack(q.From), yearBack(q.To)
	return p
}

func yearBack(t time.Time) time.Time {
	y, m, d := t.Date()
	if m == time.February && d == 29 {
		d = 28
	}
	return time.Date(y-1, m, d, 0, 0, 0, 0, time.UTC)
}

func days(a, b time.Time) int { return int(b.Sub(a).Hours()/24 + 0.5) }

// Day is the day (UTC) a moment falls on, as written in cells.
func Day(t time.Time) string { return t.UTC().Format(DayLayout) }

// Period names the period of unit u that day falls in: the day itself,
// its ISO week ("2026-W01"; the first days of January can belong to the
// last week of the year before) or its month ("2026-01").
func Period(u Unit, day time.Time) string {
	switch u {
	case ByWeek:
		y, w := day.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	case ByMonth:
		return day.Format("2006-01")
	}
	return day.Format(DayLayout)
}

// Periods lists the periods of unit u that the days from..to touch, in
// order: the series has one point for each, including those with nothing.
func Periods(u Unit, from, to time.Time) []string {
	var out []string
	for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
		p := Period(u, d)
		if len(out) == 0 || out[len(out)-1] != p {
			out = append(out, p)
		}
	}
	return out
}
