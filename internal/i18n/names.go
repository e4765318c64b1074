package i18n

import (
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/fieldreg/fieldreg/assets"
)

// nameTables are the localized country and language tables of one
// officer language, built once from CLDR (golang.org/x/text).
type nameTables struct {
	countries, languages *assets.Table
}

var (
	namesMu sync.Mutex
	names   = map[string]*nameTables{}
)

// tables returns the localized tables of l's language, building them the
// first time.
func (l *Localizer) tables() *nameTables {
	namesMu.Lock()
	defer namesMu.Unlock()
	if t, ok := names[l.lang.Tag]; ok {
		return t
	}
	t := &nameTables{
		countries: assets.Countries().Localized(func(code, _ string) string { return CountryName(l.lang.Tag, code) }),
		languages: assets.Languages().Localized(func(code, _ string) string { return LanguageName(l.lang.Tag, code) }),
	}
	names[l.lang.Tag] = t
	return t
}

// Countries is the table of countries (assets.Countries) with the names in
// the localizer's language; codes CLDR does not name (the ICAO codes XXA,
// XXB, XXC, XXX, XKX) keep their English name. Its Filter matches the
// localized and the English names.
func (l *Localizer) Countries() *assets.Table { return l.tables().countries }

// Languages is the table of languages (assets.Languages) with the names in
// the localizer's language, as Countries is.
func (l *Localizer) Languages() *assets.Table { return l.tables().languages }

// CountryName returns the CLDR name of the ISO 3166-1 alpha-3 code in the
// officer language tag, or "" if either is unknown to CLDR.
func CountryName(tag, code string) string {
	in, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	r, err := language.ParseRegion(code)
	if err != nil || !r.IsCountry() {
		return ""
	}
	n := display.Regions(in).Name(r)
	if n == "" || n == display.Regions(in).Name(language.MustParseRegion("ZZ")) {
		return "" // CLDR's "Unknown Region"
	}
	return n
}

// LanguageName returns the CLDR name of the ISO 639 code in the officer
// language tag, or "" if either is unknown to CLDR. A few languages of the
// people registered that CLDR names only in English are named from
// missingLanguageNames.
func LanguageName(tag, code string) string {
	in, err := language.Parse(tag)
	if err != nil {
		return ""
	}
	b, err := language.ParseBase(code)
	if err != nil {
		return ""
	}
	if n := display.Languages(in).Name(b); n != "" {
		return n
	}
	return missingLanguageNames[b.ISO3()][tag]
}

// missingLanguageNames are names CLDR (as golang.org/x/text carries it)
// lacks in the officers' languages, by ISO 639-3 code and officer language:
// Dari, the language of many Afghans on the route, which CLDR names only
// as "Persian (Afghanistan)".
var missingLanguageNames = map[string]map[string]string{
	"prs": {"bs": "dari", "hr": "dari", "sr-Latn": "dari", "sr-Cyrl": "дари", "sq": "darisht", "mk": "дари",
		"el": "Νταρί", "sl": "darijščina", "de": "Dari"},
}
