package i18n

import (
	"testing"

	"github.com/fieldreg/fieldreg/assets"
)

func TestLanguageLocalizedNames(t *testing.T) {
	cases := []struct {
		tag, country, countryName, lang, langName string
	}{
		{"de", "SYR", "Syrien", "ara", "Arabisch"},
		{"el", "SYR", "Συρία", "ara", "Αραβικά"},
		{"sr-Cyrl", "SYR", "Сирија", "ara", "арапски"},
		{"sr-Latn", "SYR", "Sirija", "ara", "arapski"},
		{"sq", "AFG", "Afganistan", "sqi", "shqip"},
		{"en", "SYR", "Syria", "ara", "Arabic"},
		{"sr-Cyrl", "AFG", "Авганистан", "prs", "дари"},
		{"de", "AFG", "Afghanistan", "prs", "Dari"},
	}
	for _, c := range cases {
		l := MustNew(c.tag)
		if got := l.Countries().Name(c.country); got != c.countryName {
			t.Errorf("%s: country %s = %q, want %q", c.tag, c.country, got, c.countryName)
		}
		if got := l.Languages().Name(c.lang); got != c.langName {
			t.Errorf("%s: language %s = %q, want %q", c.tag, c.lang, got, c.langName)
		}
	}
}

// Dari, which CLDR names only in English, has a name in every officer's
// language.
func TestDariNamedEverywhere(t *testing.T) {
	for _, l := range Languages() {
		if l.Tag != Default && LanguageName(l.Tag, "prs") == "" {
			t.Errorf("%s: no name for Dari", l.Tag)
		}
	}
}

func TestLanguageNamesFallBackToEnglish(t *testing.T) {
	l := MustNew("de")
	for _, code := range []string{"XXA", "XXB", "XXC", "XXX", "XKX"} {
		want := assets.Countries().Name(code)
		if want == "" {
			t.Fatalf("%s: no English name in assets", code)
		}
		if got := l.Countries().Name(code); got != want {
			t.Errorf("%s = %q, want the English %q", code, got, want)
		}
	}
	if got := CountryName("de", "nonsense"); got != "" {
		t.Errorf("CountryName of a bad code = %q, want empty", got)
	}
	if got := LanguageName("xx-bad-tag!", "ara"); got != "" {
		t.Errorf("LanguageName in a bad tag = %q, want empty", got)
	}
}

func TestLanguageLocalizedFilterMatchesBothNames(t *testing.T) {
	l := MustNew("sr-Cyrl")
	for _, q := range []string{"Сирија", "syria", "SYR"} {
		found := l.Countries().Filter(q)
		if len(found) == 0 || found[0].Code != "SYR" {
			t.Errorf("Filter(%q) = %v, want SYR first", q, found)
		}
	}
	if found := l.Countries().Filter("zzzz-none"); len(found) != 0 {
		t.Errorf("Filter of nonsense = %v, want none", found)
	}
}
