package match

import (
	"fmt"
	"sort"
	"strings"
)

// The fields a Reason names, in English: the command line prints them as
// they are, and the app looks them up in its catalogue.
const (
	FieldName        = "name"
	FieldBirthDate   = "birth date"
	FieldSex         = "sex"
	FieldNationality = "nationality"
	FieldDocument    = "document"
)

// Kind says what comparing a field found. With the counts of a name
// comparison it is the whole of a reason, without words: each reader puts
// it in its own language (Reason.Detail in English, the app through its
// catalogue). A Kind is stable and safe to log: it never holds a value.
type Kind string

// The kinds of finding, by field.
const (
	NamesNone     Kind = "names_none"     // no name word in common
	NamesCompared Kind = "names_compared" // words matched; see Reason.Names

	DateSame            Kind = "date_same"              // the same full date
	DateSameJan1        Kind = "date_same_jan1"         // the same 1 January (a usual placeholder)
	DateSwapped         Kind = "date_swapped"           // day and month swapped
	DateYearApart       Kind = "date_year_apart"        // same day and month, a year apart
	DateTwoYearsApart   Kind = "date_two_years_apart"   // same day and month, two years apart
	DateSwappedYear     Kind = "date_swapped_year"      // day and month swapped, a year apart
	DateOneSlip         Kind = "date_one_slip"          // one digit differs or two swapped
	DateSameYearOnly    Kind = "date_same_year_only"    // same year, day and month differ
	DateSameYearMonth   Kind = "date_same_year_month"   // same year and month, one side without a day
	DateSameYear        Kind = "date_same_year"         // same year, one side approximate
	DateNearYear        Kind = "date_near_year"         // a year apart, one side approximate
	DateFewYears        Kind = "date_few_years"         // two or three years apart, one side approximate
	DateFourFiveYears   Kind = "date_four_five_years"   // four or five years apart, one side approximate
	DateEstimatedClose  Kind = "date_estimated_close"   // an estimated year within two years
	DateEstimatedFarOff Kind = "date_estimated_far_off" // an estimated year more than five years off
	DateDifferent       Kind = "date_different"         // the dates disagree

	SexSame      Kind = "sex_same"
	SexDifferent Kind = "sex_different"

	NationalityShared    Kind = "nationality_shared"    // a nationality in common
	NationalityDifferent Kind = "nationality_different" // none in common

	DocumentSame      Kind = "document_same"      // the same number as written
	DocumentOCR       Kind = "document_ocr"       // the same number up to OCR confusion (0/O, 8/B)
	DocumentOneSlip   Kind = "document_one_slip"  // one character differs or two swapped
	DocumentDifferent Kind = "document_different" // different numbers
)

// english is each kind's detail as Reason.Detail gives it (NamesCompared
// is worded from its counts).
var english = map[Kind]string{
	NamesNone:            "no name in common",
	DateSame:             "same date",
	DateSameJan1:         "same date (1 January)",
	DateSwapped:          "day and month swapped",
	DateYearApart:        "same day and month, a year apart",
	DateTwoYearsApart:    "same day and month, two years apart",
	DateSwappedYear:      "day and month swapped, a year apart",
	DateOneSlip:          "one digit differs or two swapped",
	DateSameYearOnly:     "same year, day and month differ",
	DateSameYearMonth:    "same year and month",
	DateSameYear:         "same year",
	DateNearYear:         "a year apart",
	DateFewYears:         "a few years apart",
	DateFourFiveYears:    "four or five years apart",
	DateEstimatedClose:   "estimated year close",
	DateEstimatedFarOff:  "estimated year far off",
	DateDifferent:        "different",
	SexSame:              "same",
	SexDifferent:         "different",
	NationalityShared:    "a nationality in common",
	NationalityDifferent: "different",
	DocumentSame:         "same number",
	DocumentOCR:          "same number up to OCR confusion",
	DocumentOneSlip:      "one character differs",
	DocumentDifferent:    "different number",
}

// Kinds returns every kind a Reason can have, sorted, for readers that
// word them (a test can check each has its words).
func Kinds() []Kind {
	out := []Kind{NamesCompared}
	for k := range english {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// NameCounts is how the words of two names lined up, in numbers. Matched
// words are Exact + Variant + Similar.
type NameCounts struct {
	Total   int  // words in the longer name
	Exact   int  // matched words spelt the same
	Variant int  // matched as spelling (transliteration) variants
	Similar int  // matched as merely similar words
	Differ  int  // words on both sides that have no counterpart
	Extra   int  // words on one side only (a father's name added)
	Swapped bool // a family name matched a given name
}

// Matched is the number of words that found a counterpart.
func (n NameCounts) Matched() int { return n.Exact + n.Variant + n.Similar }

// Reason is one piece of evidence behind a score: a field, whether it
// agrees, and what was found, as a kind and counts. It holds none of the
// compared values, so reasons can be shown and logged.
type Reason struct {
	Field string // FieldName, FieldBirthDate, ...
	Agree bool
	Kind  Kind
	// Names are the counts of a NamesCompared reason; zero otherwise.
	Names NameCounts
}

// Detail is the reason's finding in short English words ("4 of 4 names
// agree, 1 spelling variant"), as the command line prints it.
func (r Reason) Detail() string {
	if r.Kind == NamesCompared {
		return r.Names.english()
	}
	return english[r.Kind]
}

// String is the field and its detail in English, for logs and tests.
func (r Reason) String() string {
	mark := "≠"
	if r.Agree {
		mark = "="
	}
	return mark + " " + r.Field + ": " + r.Detail()
}

func (n NameCounts) english() string {
	var parts []string
	if n.Matched() == n.Exact {
		parts = append(parts, fmt.Sprintf("%d of %d names identical", n.Exact, n.Total))
	} else {
		parts = append(parts, fmt.Sprintf("%d of %d names agree", n.Matched(), n.Total))
		if n.Variant > 0 {
			parts = append(parts, count(n.Variant, "spelling variant", "spelling variants"))
		}
		if n.Similar > 0 {
			parts = append(parts, count(n.Similar, "similar name", "similar names"))
		}
	}
	if n.Differ > 0 {
		parts = append(parts, count(n.Differ, "name differs", "names differ"))
	}
	if n.Extra > 0 {
		parts = append(parts, count(n.Extra, "extra name", "extra names"))
	}
	if n.Swapped {
		parts = append(parts, "family and given names swapped")
	}
	return strings.Join(parts, ", ")
}

func count(n int, one, other string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, other)
}
