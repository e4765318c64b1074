package registry

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/assets"
)

// FieldErrors maps a field's JSON name to a plain-language problem. It is the
// error Validate returns; messages never repeat the value (it may be personal).
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + fe[k]
	}
	return strings.Join(parts, "; ")
}

var (
	langRE = regexp.MustCompile(`^[a-z]{3}$`)
	docRE  = regexp.MustCompile(`^[A-Z0-9<\- ]{1,30}$`)
)

// The problems Validate reports (the values of FieldErrors) and the advice
// Warnings gives: plain English for the command line, and stable codes the
// app maps to the officer's language. Those with a verb are formats.
const (
	ProblemInvalidText    = "is not valid UTF-8 text (was the file saved in another encoding?)"
	ProblemTooLong        = "is too long (at most %d characters)"
	ProblemNoName         = "enter a family name or given names"
	ProblemScriptLang     = "use an ISO 639-3 code (three letters, like ara)"
	ProblemChooseSex      = "choose F, M, X or unknown"
	ProblemBadSex         = "must be F, M, X or U"
	ProblemCountry        = "unknown country code (use ISO 3166-1 alpha-3 or XXA, XXB, XXC, XXX)"
	ProblemFuture         = "is in the future"
	ProblemTooOld         = "is more than 120 years ago"
	ProblemDocNumber      = "enter the document number"
	ProblemDocNumberChars = "number may hold only letters A-Z, digits, spaces, hyphens and <"
	ProblemDocType        = "unknown document type"
	ProblemDocCountry     = "unknown issuing country code"
	ProblemDocExpiry      = "expiry must be a full date YYYY-MM-DD"
	ProblemCategory       = "choose a category"
	ProblemEncounterAt    = "enter the date and time of the encounter"
	ProblemEncounterKind  = "unknown kind of encounter"
	ProblemVulnerability  = "unknown vulnerability code"
	ProblemLanguages      = "use ISO 639-3 codes (three letters, like prs)"
	ProblemRelationship   = "unknown relationship"
	ProblemPhotoSize      = "is larger than %d MiB"

	WarningExpired      = "the document has expired"
	WarningNoBirthDate  = "no date of birth: enter an estimate from the stated age if possible"
	WarningPregnantMale = "pregnancy is marked for a person recorded as male: check both"
	WarningAdultChild   = "a child is marked as unaccompanied or separated, but the date of birth makes the person an adult: check both"
)

const maxText = 200

// Validate checks a person before it is saved. now is the current time (the
// device clock), used to refuse future dates. It returns FieldErrors or nil.
func Validate(p *Person, now time.Time) error {
	fe := FieldErrors{}
	text := func(field, v string, max int) {
		if !ValidText(v) {
			fe[field] = ProblemInvalidText
		} else if utf8.RuneCountInString(v) > max {
			fe[field] = fmt.Sprintf(ProblemTooLong, max)
		}
	}
	text("family_name", p.FamilyName, maxText)
	text("given_names", p.GivenNames, maxText)
	text("original_script_name", p.OriginalScriptName, maxText)
	text("place_of_birth", p.PlaceOfBirth, maxText)
	text("notes", p.Notes, 4000)
	if strings.TrimSpace(p.FamilyName) == "" && strings.TrimSpace(p.GivenNames) == "" {
		fe["family_name"] = ProblemNoName
	}
	if p.OriginalScriptName != "" && p.OriginalScriptLang != "" && !langRE.MatchString(p.OriginalScriptLang) {
		fe["original_script_lang"] = ProblemScriptLang
	}
	for _, a := range p.Aliases {
		text("aliases", a, maxText)
	}
	switch p.Sex {
	case SexFemale, SexMale, SexOther, SexUnknown:
	case "":
		fe["sex"] = ProblemChooseSex
	default:
		fe["sex"] = ProblemBadSex
	}
	for _, n := range p.Nationalities {
		if !assets.Countries().Valid(n) {
			fe["nationalities"] = ProblemCountry
		}
	}
	if !p.BirthDate.IsZero() {
		if p.BirthDate.Earliest().After(now) {
			fe["birth_date"] = ProblemFuture
		} else if now.Year()-p.BirthDate.Year > 120 {
			fe["birth_date"] = ProblemTooOld
		}
	}
	if d := p.Document; !d.IsZero() {
		if d.Number == "" {
			fe["document"] = ProblemDocNumber
		} else if !docRE.MatchString(d.Number) {
			fe["document"] = ProblemDocNumberChars
		}
		if d.Type != "" && !slices.Contains(DocumentTypes, d.Type) {
			fe["document"] = ProblemDocType
		}
		if d.IssuingCountry != "" && !assets.Countries().Valid(d.IssuingCountry) {
			fe["document"] = ProblemDocCountry
		}
		if d.Expiry != "" {
			exp, err := ParseDate(d.Expiry)
			if err != nil || exp.Precision() != "full" {
				fe["document"] = ProblemDocExpiry
			}
		}
	}
	if !slices.Contains(Categories, p.Category) {
		fe["category"] = ProblemCategory
	}
	if p.Encounter.At.IsZero() {
		fe["encounter"] = ProblemEncounterAt
	} else if p.Encounter.At.After(now.Add(10 * time.Minute)) {
		fe["encounter"] = ProblemFuture
	}
	if p.Encounter.Kind != "" && !slices.Contains(EncounterKinds, p.Encounter.Kind) {
		fe["encounter"] = ProblemEncounterKind
	}
	text("encounter", p.Encounter.Place, maxText)
	for _, v := range p.Vulnerabilities {
		if !slices.Contains(Vulnerabilities, v) {
			fe["vulnerabilities"] = ProblemVulnerability
		}
	}
	for _, l := range p.Languages {
		if !langRE.MatchString(l) {
			fe["languages"] = ProblemLanguages
		}
	}
	text("group", p.Group, maxText)
	if p.Relationship != "" && !slices.Contains(Relationships, p.Relationship) {
		fe["relationship"] = ProblemRelationship
	}
	if len(p.Photo) > MaxPhotoBytes {
		fe["photo"] = fmt.Sprintf(ProblemPhotoSize, MaxPhotoBytes>>20)
	}
	if len(fe) > 0 {
		return fe
	}
	return nil
}

// ValidText reports whether s is valid UTF-8 without U+FFFD, the
// replacement character decoders put where bytes were not UTF-8 (a Latin-1
// or cp1250 "M\xfcller" read as UTF-8 becomes "M\ufffdller"). Such a name
// is damaged for good: search cannot find it, the receipt cannot print it.
// Every free-text field of a person is checked with it; the coded fields
// are checked against their lists.
func ValidText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, utf8.RuneError)
}

// Warnings returns advice that does not block saving, such as an expired
// document (people do travel on expired passports; officers should notice).
func Warnings(p *Person, now time.Time) []string {
	var w []string
	if p.Document.Expiry != "" {
		if exp, err := ParseDate(p.Document.Expiry); err == nil && exp.Precision() == "full" && exp.Earliest().Before(now) {
			w = append(w, WarningExpired)
		}
	}
	if p.BirthDate.IsZero() {
		w = append(w, WarningNoBirthDate)
	}
	// Checks that ask the officer to look again, never refuse: the data
	// may be right (a trans man can be pregnant; a child may have been
	// given a wrong date).
	if p.Sex == "M" && slices.Contains(p.Vulnerabilities, VulnPregnancy) {
		w = append(w, WarningPregnantMale)
	}
	if (slices.Contains(p.Vulnerabilities, VulnUnaccompaniedChild) || slices.Contains(p.Vulnerabilities, VulnSeparatedChild)) &&
		!p.BirthDate.IsZero() && !p.BirthDate.Estimated && !latestBirth(p.BirthDate).AddDate(18, 0, 0).After(now) {
		w = append(w, WarningAdultChild)
	}
	return w
}

// latestBirth is the last day a date of birth can stand for (31 December
// of a year given alone).
func latestBirth(d Date) time.Time {
	switch {
	case d.Month == 0:
		return time.Date(d.Year, 12, 31, 0, 0, 0, 0, time.UTC)
	case d.Day == 0:
		return time.Date(d.Year, time.Month(d.Month)+1, 0, 0, 0, 0, 0, time.UTC)
	}
	return d.Earliest()
}

// Normalize tidies values before validation: trims spaces, upper-cases codes
// and the document number, and sorts and de-duplicates code lists.
func Normalize(p *Person) {
	p.FamilyName = strings.Join(strings.Fields(p.FamilyName), " ")
	p.GivenNames = strings.Join(strings.Fields(p.GivenNames), " ")
	p.OriginalScriptName = strings.TrimSpace(p.OriginalScriptName)
	p.OriginalScriptLang = strings.ToLower(strings.TrimSpace(p.OriginalScriptLang))
	p.PlaceOfBirth = strings.TrimSpace(p.PlaceOfBirth)
	p.Sex = strings.ToUpper(strings.TrimSpace(p.Sex))
	p.Document.Number = strings.ToUpper(strings.TrimSpace(p.Document.Number))
	p.Document.IssuingCountry = strings.ToUpper(strings.TrimSpace(p.Document.IssuingCountry))
	p.Nationalities = codes(p.Nationalities, strings.ToUpper)
	p.Languages = codes(p.Languages, strings.ToLower)
	p.Vulnerabilities = codes(p.Vulnerabilities, strings.ToLower)
	p.Notes = strings.TrimSpace(p.Notes)
	p.Encounter.Place = strings.TrimSpace(p.Encounter.Place)
	if !p.Encounter.At.IsZero() {
		p.Encounter.At = p.Encounter.At.UTC().Truncate(time.Second)
	}
	var aliases []string
	for _, a := range p.Aliases {
		if a = strings.TrimSpace(a); a != "" {
			aliases = append(aliases, a)
		}
	}
	p.Aliases = aliases
}

func codes(in []string, f func(string) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range in {
		c = f(strings.TrimSpace(c))
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}
