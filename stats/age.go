package stats

import (
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// Age groups, as ministries publish them.
const (
	Age0to4    = "0-4"
	Age5to11   = "5-11"
	Age12to17  = "12-17"
	Age18to34  = "18-34"
	Age35to59  = "35-59"
	Age60Plus  = "60+"
	AgeUnknown = "unknown"
)

// AgeGroups lists the age groups in order.
var AgeGroups = []string{Age0to4, Age5to11, Age12to17, Age18to34, Age35to59, Age60Plus, AgeUnknown}

// MaxAge is the oldest age counted; a date of birth that makes someone
// older, or born after the day counted, gives AgeUnknown.
const MaxAge = 120

// AgeGroup is the age group of someone born on birth, on day at (the day
// of registration). A date of birth is often known only in part:
//
//   - a full date gives the exact age;
//   - a year and month, or a year alone (also an estimated year), give the
//     range of ages the person may have; when the whole range falls in one
//     group, that group;
//   - when the range spans 17 and 18, 12-17: a person whose minority is in
//     doubt is counted as a child, as they are treated (the benefit of the
//     doubt of Directive 2013/32/EU, Art. 25(5));
//   - otherwise the age on the middle of the possible birth days (the 15th
//     of the month, 1 July of the year), the usual convention.
//
// An unknown date gives AgeUnknown.
func AgeGroup(birth registry.Date, at time.Time) string {
	if birth.IsZero() {
		return AgeUnknown
	}
	var first, last, mid time.Time
	switch birth.Precision() {
	case "full":
		first = time.Date(birth.Year, time.Month(birth.Month), birth.Day, 0, 0, 0, 0, time.UTC)
		last, mid = first, first
	case "month":
		first = time.Date(birth.Year, time.Month(birth.Month), 1, 0, 0, 0, 0, time.UTC)
		last = first.AddDate(0, 1, -1)
		mid = first.AddDate(0, 0, 14)
	default: // year or estimated year
		first = time.Date(birth.Year, time.January, 1, 0, 0, 0, 0, time.UTC)
		last = time.Date(birth.Year, time.December, 31, 0, 0, 0, 0, time.UTC)
		mid = time.Date(birth.Year, time.July, 1, 0, 0, 0, 0, time.UTC)
	}
	y, m, d := at.UTC().Date()
	at = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if first.After(at) {
		return AgeUnknown
	}
	oldest, youngest := age(first, at), age(last, at)
	if last.After(at) {
		youngest = 0
	}
	if oldest > MaxAge {
		return AgeUnknown
	}
	if g := group(oldest); g == group(youngest) {
		return g
	}
	if youngest < 18 && oldest >= 18 {
		return Age12to17
	}
	if mid.After(at) {
		return group(0)
	}
	return group(age(mid, at))
}

// age is the age in whole years on day at of someone born on day b.
func age(b, at time.Time) int {
	n := at.Year() - b.Year()
	if at.Month() < b.Month() || (at.Month() == b.Month() && at.Day() < b.Day()) {
		n--
	}
	return n
}

func group(a int) string {
	switch {
	case a < 5:
		return Age0to4
	case a < 12:
		return Age5to11
	case a < 18:
		return Age12to17
	case a < 35:
		return Age18to34
	case a < 60:
		return Age35to59
	}
	return Age60Plus
}
