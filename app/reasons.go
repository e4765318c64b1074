package app

import (
	"strings"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/match"
)

// reasonFields are the message IDs of the fields package match compares.
var reasonFields = map[string]string{
	match.FieldName: "reason.name", match.FieldBirthDate: "reason.birth_date", match.FieldSex: "reason.sex",
	match.FieldNationality: "reason.nationality", match.FieldDocument: "reason.document",
}

// reasonKinds are the message IDs of match's findings (names compared word
// by word are worded from their counts, see nameCounts).
var reasonKinds = map[match.Kind]string{
	match.NamesNone:            "reason.names_none",
	match.DateSame:             "reason.date_same",
	match.DateSameJan1:         "reason.date_same_jan1",
	match.DateSwapped:          "reason.date_swapped",
	match.DateYearApart:        "reason.date_year_apart",
	match.DateTwoYearsApart:    "reason.date_two_years_apart",
	match.DateSwappedYear:      "reason.date_swapped_year",
	match.DateOneSlip:          "reason.date_one_slip",
	match.DateSameYearOnly:     "reason.date_same_year_only",
	match.DateSameYearMonth:    "reason.date_same_year_month",
	match.DateSameYear:         "reason.date_same_year",
	match.DateNearYear:         "reason.date_near_year",
	match.DateFewYears:         "reason.date_few_years",
	match.DateFourFiveYears:    "reason.date_four_five_years",
	match.DateEstimatedClose:   "reason.date_estimated_close",
	match.DateEstimatedFarOff:  "reason.date_estimated_far_off",
	match.DateDifferent:        "reason.date_different",
	match.SexSame:              "reason.sex_same",
	match.SexDifferent:         "reason.sex_different",
	match.NationalityShared:    "reason.nationality_shared",
	match.NationalityDifferent: "reason.nationality_different",
	match.DocumentSame:         "reason.document_same",
	match.DocumentOCR:          "reason.document_ocr",
	match.DocumentOneSlip:      "reason.document_one_slip",
	match.DocumentDifferent:    "reason.document_different",
}

// reasonText is a match reason in l's language: "name: 4 of 4 names agree,
// 1 spelling variant", counted with the language's plural forms.
func reasonText(l *i18n.Localizer, r match.Reason) string {
	field := r.Field
	if id, ok := reasonFields[r.Field]; ok {
		field = l.T(id)
	}
	var detail string
	if r.Kind == match.NamesCompared {
		detail = nameCounts(l, r.Names)
	} else if id, ok := reasonKinds[r.Kind]; ok {
		detail = l.T(id)
	}
	if detail == "" {
		return field
	}
	return field + ": " + detail
}

// nameCounts words how two names lined up, as match.Reason.Detail does in
// English.
func nameCounts(l *i18n.Localizer, n match.NameCounts) string {
	total := i18n.Args{"Total": l.Number(n.Total)}
	var parts []string
	if n.Matched() == n.Exact {
		parts = append(parts, l.Tn("reason.names_identical", n.Exact, total))
	} else {
		parts = append(parts, l.Tn("reason.names_agree", n.Matched(), total))
		if n.Variant > 0 {
			parts = append(parts, l.Tn("reason.spelling_variants", n.Variant, nil))
		}
		if n.Similar > 0 {
			parts = append(parts, l.Tn("reason.similar_names", n.Similar, nil))
		}
	}
	if n.Differ > 0 {
		parts = append(parts, l.Tn("reason.names_differ", n.Differ, nil))
	}
	if n.Extra > 0 {
		parts = append(parts, l.Tn("reason.extra_names", n.Extra, nil))
	}
	if n.Swapped {
		parts = append(parts, l.T("reason.names_swapped"))
	}
	return strings.Join(parts, ", ")
}
