package registry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is a retention period in whole years, months or days ("10y",
// "18m", "90d"): calendar arithmetic, so ten years from a 29 February ends
// on 1 March.
type Period struct {
	N    int
	Unit byte // 'y', 'm' or 'd'
}

// MaxPeriodYears bounds a period, whatever its unit.
const MaxPeriodYears = 100

// ErrPeriod is a period that does not read as "<number>y|m|d".
var ErrPeriod = errors.New("a retention period is a whole number of years, months or days: 10y, 18m, 90d")

// ParsePeriod reads "10y", "18m" or "90d".
func ParsePeriod(s string) (Period, error) {
	s = strings.TrimSpace(strings.ToLower(s))
	if len(s) < 2 {
		return Period{}, ErrPeriod
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	p := Period{N: n, Unit: s[len(s)-1]}
	if err != nil || n <= 0 || strings.ContainsAny(s[:len(s)-1], "+-") || (p.Unit != 'y' && p.Unit != 'm' && p.Unit != 'd') ||
		p.Add(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)).After(time.Date(2000+MaxPeriodYears, 1, 1, 0, 0, 0, 0, time.UTC)) {
		return Period{}, ErrPeriod
	}
	return p, nil
}

// String is the form ParsePeriod reads.
func (p Period) String() string { return strconv.Itoa(p.N) + string(p.Unit) }

// Add returns t moved on by the period.
func (p Period) Add(t time.Time) time.Time {
	switch p.Unit {
	case 'y':
		return t.AddDate(p.N, 0, 0)
	case 'm':
		return t.AddDate(0, p.N, 0)
	}
	return t.AddDate(0, 0, p.N)
}

// Retention maps each category to how long its records are kept from
// their registration.
type Retention map[string]Period

// DefaultRetention is the storage periods of Regulation (EU) 2024/1358
// (Eurodac recast), Art. 29, for the categories fieldreg records:
//
//   - international_protection: ten years (Art. 29(1), applicants for
//     international protection, data recorded under Art. 17);
//   - irregular_crossing, illegal_stay, search_and_rescue: five years (Art.
//     29(6) to (8): persons apprehended in connection with an irregular
//     crossing (Art. 22), found illegally staying (Art. 23), disembarked
//     after a search and rescue operation (Art. 24));
//   - temporary_protection: one year (Art. 29(9), beneficiaries of
//     temporary protection (Art. 26); the Regulation extends it yearly
//     while protection lasts, which the authority does by setting a longer
//     period).
//
// docs/erasure.md says which paragraphs were read and which are relied on
// from the summary of the recast. The authority can shorten or lengthen
// them (reghub retention --set); a device cannot.
var DefaultRetention = Retention{
	CategoryProtection:    {10, 'y'},
	CategoryIrregular:     {5, 'y'},
	CategoryIllegalStay:   {5, 'y'},
	CategorySearchRescue:  {5, 'y'},
	CategoryTempProtected: {1, 'y'},
}

// Due is when a record of category registered at registered is to be
// erased: the category's period after registration, or earlier if set
// (a supervisor's earlier date). A category without a period takes the
// longest of the rules, never none: nothing is kept forever.
func (r Retention) Due(category string, registered time.Time, earlier time.Time) time.Time {
	p, ok := r[category]
	if !ok {
		p = r.longest()
	}
	due := p.Add(registered)
	if !earlier.IsZero() && earlier.Before(due) {
		due = earlier
	}
	return due
}

// longest is the longest period of r (the ten years of Art. 29(1) if r is
// empty).
func (r Retention) longest() Period {
	ref := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	best := DefaultRetention[CategoryProtection]
	if len(r) > 0 {
		best = Period{}
	}
	for _, q := range r {
		if best.N == 0 || q.Add(ref).After(best.Add(ref)) {
			best = q
		}
	}
	return best
}

// ParseRetentionSet reads CATEGORY=PERIOD settings ("irregular_crossing=5y")
// over base, refusing an unknown category or a bad period.
func ParseRetentionSet(base Retention, sets []string) (Retention, error) {
	out := Retention{}
	for k, v := range base {
		out[k] = v
	}
	for _, s := range sets {
		cat, per, ok := strings.Cut(s, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want CATEGORY=PERIOD, e.g. irregular_crossing=5y", s)
		}
		cat = strings.TrimSpace(cat)
		if !isCategory(cat) {
			return nil, fmt.Errorf("%q: unknown category (one of %s)", cat, strings.Join(Categories, ", "))
		}
		p, err := ParsePeriod(per)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cat, err)
		}
		out[cat] = p
	}
	return out, nil
}

func isCategory(c string) bool {
	for _, k := range Categories {
		if k == c {
			return true
		}
	}
	return false
}
