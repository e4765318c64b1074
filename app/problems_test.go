package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// Every problem registry.Validate reports and every warning it gives reach
// the officer as a catalogue message, in each language: none falls back to
// registry's English.
func TestRegistryProblemsTranslated(t *testing.T) {
	now := time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	long := strings.Repeat("x", 5000)
	bad := []registry.Person{
		{},
		{FamilyName: "\xff", Sex: "Q", OriginalScriptName: "x", OriginalScriptLang: "arabic", Nationalities: []string{"ZZZ"},
			BirthDate: registry.Date{Year: 2030}, Document: registry.Document{Number: "bad number!", Type: "scroll", IssuingCountry: "ZZZ", Expiry: "2030"},
			Category: "tourist", Encounter: registry.Encounter{Kind: "party", At: now.Add(time.Hour)}, Vulnerabilities: []string{"x"},
			Languages: []string{"arabic"}, Relationship: "cousin", Photo: make([]byte, registry.MaxPhotoBytes+1)},
		{FamilyName: "Sample", Document: registry.Document{Number: "bad number!"}},
		{FamilyName: "Sample", Document: registry.Document{Number: "X1", Type: "scroll"}},
		{FamilyName: "Sample", Document: registry.Document{Number: "X1", IssuingCountry: "ZZZ"}},
		{GivenNames: long, Notes: long, BirthDate: registry.Date{Year: 1800}, Document: registry.Document{Type: "passport"}},
	}
	warn := []registry.Person{
		{Document: registry.Document{Expiry: "2020-01-01"}, Sex: "M", Vulnerabilities: []string{registry.VulnPregnancy, registry.VulnUnaccompaniedChild},
			BirthDate: registry.Date{Year: 1980, Month: 1, Day: 1}},
		{},
	}
	seen := map[string]bool{}
	for _, tag := range []string{"sr-Cyrl", "de", "el"} {
		u := englishUI()
		u.useLanguage(tag)
		for i := range bad {
			err := registry.Validate(&bad[i], now)
			var fe registry.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("person %d: %v", i, err)
			}
			for field, msg := range fe {
				seen[msg] = true
				if got := u.problemText(field, msg); strings.Contains(got, msg) {
					t.Errorf("%s: %s %q shown in registry's words: %q", tag, field, msg, got)
				}
			}
		}
		for i := range warn {
			for _, w := range registry.Warnings(&warn[i], now) {
				seen[w] = true
				if got := u.warning(w); strings.Contains(got, w) {
					t.Errorf("%s: warning %q shown in registry's words", tag, w)
				}
			}
		}
	}
	// The test drives every problem the app knows of, so a change in
	// registry's words cannot slip past it.
	for msg := range problemLabels {
		if !seen[msg] {
			t.Errorf("problem %q not exercised", msg)
		}
	}
	for w := range warningLabels {
		if !seen[w] {
			t.Errorf("warning %q not exercised", w)
		}
	}
}
