package app

import (
	"strings"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/registry"
)

// Plain-language labels for the codes of package registry.
var (
	categoryLabels = map[string]string{
		registry.CategoryProtection:    "Applies for international protection",
		registry.CategoryIrregular:     "Irregular border crossing",
		registry.CategoryIllegalStay:   "Staying illegally",
		registry.CategorySearchRescue:  "Disembarked after search and rescue",
		registry.CategoryTempProtected: "Temporary protection",
	}
	vulnerabilityLabels = map[string]string{
		registry.VulnUnaccompaniedChild: "Unaccompanied child",
		registry.VulnSeparatedChild:     "Separated child",
		registry.VulnPregnancy:          "Pregnant",
		registry.VulnDisability:         "Disability",
		registry.VulnMedical:            "Medical needs",
		registry.VulnTrafficking:        "Signs of trafficking",
		registry.VulnElderly:            "Elderly",
	}
	documentLabels = map[string]string{
		"passport": "Passport", "identity_card": "Identity card", "travel_document": "Travel document",
		"residence_permit": "Residence permit", "other": "Other document",
	}
	relationshipLabels = map[string]string{
		"head": "Head of family", "spouse": "Spouse or partner", "child": "Child", "parent": "Parent",
		"sibling": "Brother or sister", "other_relative": "Other relative", "unrelated": "Not related (travels with the group)",
	}
	encounterLabels = map[string]string{
		"apprehension": "Apprehension", "application": "Application for protection",
		"disembarkation": "Disembarkation", "check": "Check",
	}
	sexLabels = map[string]string{
		registry.SexFemale: "Female", registry.SexMale: "Male", registry.SexOther: "Other (X)", registry.SexUnknown: "Not known",
	}
	sexCodes = []string{registry.SexFemale, registry.SexMale, registry.SexOther, registry.SexUnknown}

	// fieldLabels name Person's JSON fields in the history of versions.
	fieldLabels = map[string]string{
		"family_name": "family name", "given_names": "given names", "original_script_name": "name in original script",
		"original_script_lang": "script language", "aliases": "other names", "nationalities": "nationality",
		"birth_date": "date of birth", "place_of_birth": "place of birth", "sex": "sex", "document": "document",
		"category": "category", "encounter": "encounter", "vulnerabilities": "vulnerabilities",
		"relationship": "relationship", "languages": "languages", "interpreter": "interpreter",
		"information_notice": "information notice", "photo": "photo", "notes": "notes", "group": "family or group",
	}
)

// labelsOf returns the labels of codes in order.
func labelsOf(codes []string, labels map[string]string) []string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = label(c, labels)
	}
	return out
}

// label is the label of code, or the code itself if it has none.
func label(code string, labels map[string]string) string {
	if l, ok := labels[code]; ok {
		return l
	}
	return code
}

// codeOf is the code whose label is l, or "".
func codeOf(l string, codes []string, labels map[string]string) string {
	for _, c := range codes {
		if labels[c] == l {
			return c
		}
	}
	return ""
}

// countryNames formats country codes as "SYR Syria, IRQ Iraq".
func countryNames(codes []string) string { return codeNames(codes, assets.Countries()) }

// languageNames formats language codes as "ara Arabic, kur Kurdish".
func languageNames(codes []string) string { return codeNames(codes, assets.Languages()) }

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
func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
