package registry

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Date is a date of birth with its precision: a full date, year and month,
// year only, or a year estimated from a stated or apparent age. The zero Date
// means "unknown".
type Date struct {
	Year      int
	Month     int // 0 when unknown
	Day       int // 0 when unknown
	Estimated bool
}

// Precision names how much of the date is known.
func (d Date) Precision() string {
	switch {
	case d.Year == 0:
		return "unknown"
	case d.Estimated:
		return "estimated"
	case d.Month == 0:
		return "year"
	case d.Day == 0:
		return "month"
	}
	return "full"
}

// IsZero reports an unknown date.
func (d Date) IsZero() bool { return d.Year == 0 }

// String formats the date as YYYY-MM-DD, YYYY-MM, YYYY or ~YYYY (estimated).
func (d Date) String() string {
	switch d.Precision() {
	case "unknown":
		return ""
	case "estimated":
		return fmt.Sprintf("~%04d", d.Year)
	case "year":
		return fmt.Sprintf("%04d", d.Year)
	case "month":
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// ErrBadDate is returned (wrapped) for a date that cannot be parsed or does not exist.
var ErrBadDate = errors.New("not a valid date")

// ParseDate reads YYYY-MM-DD, YYYY-MM, YYYY, ~YYYY or the empty string.
// It refuses dates that do not exist (2023-02-30) with ErrBadDate.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	var d Date
	if strings.HasPrefix(s, "~") {
		d.Estimated = true
		s = s[1:]
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 || (d.Estimated && len(parts) != 1) {
		return Date{}, fmt.Errorf("%w (use YYYY-MM-DD, YYYY-MM or YYYY)", ErrBadDate)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		want := 2
		if i == 0 {
			want = 4
		}
		n, err := strconv.Atoi(p)
		if err != nil || len(p) != want {
			return Date{}, fmt.Errorf("%w (use YYYY-MM-DD, YYYY-MM or YYYY)", ErrBadDate)
		}
		nums[i] = n
	}
	d.Year = nums[0]
	if d.Year < 1880 || d.Year > 9999 {
		return Date{}, fmt.Errorf("%w: the year is out of range", ErrBadDate)
	}
	if len(nums) > 1 {
		d.Month = nums[1]
		if d.Month < 1 || d.Month > 12 {
			return Date{}, fmt.Errorf("%w: that month does not exist", ErrBadDate)
		}
	}
	if len(nums) > 2 {
		d.Day = nums[2]
		t := time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC)
		if d.Day < 1 || t.Day() != d.Day {
			return Date{}, fmt.Errorf("%w: that day does not exist", ErrBadDate)
		}
	}
	return d, nil
}

// EstimateFromAge gives the estimated year of birth of someone who states or
// appears to be age years old on day now.
func EstimateFromAge(age int, now time.Time) (Date, error) {
	if age < 0 || age > 120 {
		return Date{}, fmt.Errorf("%w: age %d is out of range", ErrBadDate, age)
	}
	return Date{Year: now.Year() - age, Estimated: true}, nil
}

// Earliest is the first day the date can stand for.
func (d Date) Earliest() time.Time {
	m, day := d.Month, d.Day
	if m == 0 {
		m = 1
	}
	if day == 0 {
		day = 1
	}
	return time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC)
}

// MarshalText encodes the date as String does.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes what ParseDate accepts.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
