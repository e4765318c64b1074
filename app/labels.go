package app

import (
	"strings"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/registry"
)

// Message IDs of the plain-language labels for the codes of package
// registry.
var (
	categoryLabels = map[string]string{
		registry.CategoryProtection:    "category.protection",
		registry.CategoryIrregular:     "category.irregular",
		registry.CategoryIllegalStay:   "category.illegal_stay",
		registry.CategorySearchRescue:  "category.search_rescue",
		registry.CategoryTempProtected: "category.temp_protected",
	}
	vulnerabilityLabels = map[string]string{
		registry.VulnUnaccompaniedChild: "vulnerability.unaccompanied_child",
		registry.VulnSeparatedChild:     "vulnerability.separated_child",
		registry.VulnPregnancy:          "vulnerability.pregnancy",
		registry.VulnDisability:         "vulnerability.disability",
		registry.VulnMedical:            "vulnerability.medical",
		registry.VulnTrafficking:        "vulnerability.trafficking",
		registry.VulnElderly:            "vulnerability.elderly",
	}
	documentLabels = map[string]string{
		"passport": "document.passport", "identity_card": "document.identity_card", "travel_document": "document.travel_document",
		"residence_permit": "document.residence_permit", "other": "document.other",
	}
	relationshipLabels = map[string]string{
		"head": "relationship.head", "spouse": "relationship.spouse", "child": "relationship.child", "parent": "relationship.parent",
		"sibling": "relationship.sibling", "other_relative": "relationship.other_relative", "unrelated": "relationship.unrelated",
	}
	encounterLabels = map[string]string{
		"apprehension": "encounter.apprehension", "application": "encounter.application",
		"disembarkation": "encounter.disembarkation", "check": "encounter.check",
	}
	sexLabels = map[string]string{
		registry.SexFemale: "sex.female", registry.SexMale: "sex.male", registry.SexOther: "sex.other", registry.SexUnknown: "sex.unknown",
	}
	sexCodes = []string{registry.SexFemale, registry.SexMale, registry.SexOther, registry.SexUnknown}

	// fieldLabels name Person's JSON fields in the history of versions.
	fieldLabels = map[string]string{
		"family_name": "field.family_name", "given_names": "field.given_names", "original_script_name": "field.original_script_name",
		"original_script_lang": "field.original_script_lang", "aliases": "field.aliases", "nationalities": "field.nationalities",
		"birth_date": "field.birth_date", "place_of_birth": "field.place_of_birth", "sex": "field.sex", "document": "field.document",
		"category": "field.category", "encounter": "field.encounter", "vulnerabilities": "field.vulnerabilities",
		"relationship": "field.relationship", "languages": "field.languages", "interpreter": "field.interpreter",
		"information_notice": "field.information_notice", "photo": "field.photo", "notes": "field.notes", "group": "field.group",
		"notice_lang": "field.notice_lang", "notice_version": "field.notice_version",
	}
)

// labelsOf returns the labels of codes in order.
func (u *UI) labelsOf(codes []string, labels map[string]string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = u.label(c, labels)
	}
	return out
}

// label is the label of code (labels maps codes to message IDs), or the
// code itself if it has none.
func (u *UI) label(code string, labels map[string]string) string {
	if id, ok := labels[code]; ok {
		return u.T(id)
	}
	return code
}

// codeOf is the code whose label is l, or "".
func (u *UI) codeOf(l string, codes []string, labels map[string]string) string {
	for _, c := range codes {
		if id, ok := labels[c]; ok && u.T(id) == l {
			return c
		}
	}
	return ""
}

// countryNames formats country codes as "SYR Syria, IRQ Iraq", the names in
// the officer's language.
func (u *UI) countryNames(codes []string) string { return codeNames(codes, u.loc.Countries()) }

// langNames formats language codes as "ara Arabic, kur Kurdish", the names
// in the officer's language.
func (u *UI) langNames(codes []string) string { return codeNames(codes, u.loc.Languages()) }

func codeNames(codes []string, t *assets.Table) string {
	parts := make([]string, len(codes))
	for i, c := range codes {
		if n := t.Name(c); n != "" {
			parts[i] = c + " " + n
		} else {
			parts[i] = c
		}
	}
	return strings.Join(parts, ", ")
}

// yesNo is "Yes" or "No".
func (u *UI) yesNo(b bool) string {
	if b {
		return u.T("common.yes")
	}
	return u.T("common.no")
}
