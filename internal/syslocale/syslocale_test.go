package syslocale

import (
	"strings"
	"testing"

	"golang.org/x/text/language"
)

func TestTidy(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string // LANGUAGE afterwards ("" = not set)
	}{
		{map[string]string{}, ""},
		{map[string]string{"LANG": "C"}, ""},
		{map[string]string{"LANG": "POSIX", "LANGUAGE": "C.UTF-8"}, "C.UTF-8"}, // go-locale ignores LANGUAGE under C
		{map[string]string{"LANG": "C.UTF-8"}, "en"},
		{map[string]string{"LC_ALL": "C.UTF-8", "LANG": "de_DE.UTF-8"}, "en"},
		{map[string]string{"LANG": "sr_RS@latin"}, "en"},
		{map[string]string{"LANG": "sr_RS.UTF-8@latin"}, ""}, // the encoding cut drops the modifier
		{map[string]string{"LANG": "de_DE.UTF-8"}, ""},
		{map[string]string{"LANG": "de_DE.UTF-8", "LANGUAGE": "sr@latin:de:en"}, "de:en"},
		{map[string]string{"LANG": "el_GR.UTF-8", "LANGUAGE": "el"}, "el"},
	} {
		env := map[string]string{}
		for k, v := range c.env {
			env[k] = v
		}
		Tidy(func(k string) string { return env[k] }, func(k, v string) error { env[k] = v; return nil })
		want := c.want
		if want == "" {
			want = c.env["LANGUAGE"]
		}
		if env["LANGUAGE"] != want {
			t.Errorf("%v: LANGUAGE = %q, want %q", c.env, env["LANGUAGE"], want)
		}
	}
}

// WellFormed agrees with the parser Fyne uses on what go-locale makes of a
// locale value.
func TestWellFormedAgreesWithParse(t *testing.T) {
	for _, v := range []string{"en", "en_US", "de_DE.UTF-8", "sr_RS", "sr_RS@latin", "C", "C.UTF-8", "POSIX", "es_419",
		"e", "english", "de_DEU", "zh-Hant", "x", "en_US.ISO-8859-1", "_US", "de_", "ab_1"} {
		s, _, _ := cut(v)
		_, err := language.Parse(s)
		if got := WellFormed(v); got && err != nil {
			t.Errorf("%q: WellFormed says yes, language.Parse(%q): %v", v, s, err)
		}
	}
}

// cut is go-locale's conversion of a locale value to a tag (splitLocale,
// then language-territory).
func cut(v string) (string, string, bool) {
	v, _, _ = strings.Cut(v, ".")
	v = strings.ReplaceAll(v, "-", "_")
	lang, territory, _ := strings.Cut(v, "_")
	if territory != "" {
		return lang + "-" + territory, "", true
	}
	return lang, "", true
}
