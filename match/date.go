package match

import (
	"strconv"
	"strings"
)

// birthDate is a parsed date of birth. Year 0 means unknown; Month and Day
// are 0 when not recorded.
type birthDate struct {
	year, month, day int
	estimated        bool
	odd              bool // month or day cannot exist; kept as written
}

func (d birthDate) known() bool { return d.year != 0 }
func (d birthDate) full() bool  { return d.day != 0 }

// placeholder reports the 1 January that is written when only the year is
// known.
func (d birthDate) placeholder() bool { return d.month == 1 && d.day == 1 }

// parseBirthDate reads YYYY-MM-DD, YYYY-MM, YYYY or ~YYYY with a year
// between 1800 and 2200. A month or day that cannot exist (1955-11-92,
// 1916-00-17) is a slip of the hand, not a missing date: it is kept as
// written and compared digit by digit, and odd is set. Anything else reads as
// unknown: a matcher must not fail on a bad record, and an unknown date is
// neutral evidence.
func parseBirthDate(s string) birthDate {
	s = strings.TrimSpace(s)
	if len(s) > 16 {
		return birthDate{}
	}
	var d birthDate
	if strings.HasPrefix(s, "~") {
		d.estimated = true
		s = s[1:]
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || (d.estimated && len(parts) != 1) {
		return birthDate{}
	}
	var nums [3]int
	for i, p := range parts {
		want := 2
		if i == 0 {
			want = 4
		}
		if len(p) != want {
			return birthDate{}
		}
		for j := 0; j < len(p); j++ {
			if p[j] < '0' || p[j] > '9' {
				return birthDate{}
			}
		}
		nums[i], _ = strconv.Atoi(p)
	}
	d.year, d.month, d.day = nums[0], nums[1], nums[2]
	if d.year < 1800 || d.year > 2200 {
		return birthDate{}
	}
	switch len(parts) {
	case 2:
		if d.month < 1 || d.month > 12 {
			// A lone impossible month carries nothing usable.
			return birthDate{year: d.year}
		}
	case 3:
		d.odd = d.month < 1 || d.month > 12 || d.day < 1 || d.day > daysIn(d.year, d.month)
	}
	return d
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// dateDigits is the YYYYMMDD form of a full date, for comparing the slips
// of hand copying digit by digit.
func dateDigits(d birthDate) string {
	return strconv.Itoa(d.year*10000 + d.month*100 + d.day)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// ValidBirthDate reports whether s is a date of birth the matcher can read:
// empty, YYYY, YYYY-MM, YYYY-MM-DD or ~YYYY (estimated), all digits, with a
// year between 1800 and 2200. A well-formed date whose month or day cannot
// exist (1955-11-92, a copying slip in old records) is accepted and compared
// digit by digit. Compare treats any other value as unknown; callers that
// take input use this to refuse it instead.
func ValidBirthDate(s string) bool {
	return strings.TrimSpace(s) == "" || parseBirthDate(s).known()
}
