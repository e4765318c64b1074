package app

import (
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// firstMatch is the label of the picker's first match button, or "".
func firstMatch(p *codePicker) string {
	if len(p.matches.Objects) == 0 {
		return ""
	}
	if b, ok := p.matches.Objects[0].(*widget.Button); ok {
		return b.Text
	}
	return ""
}

// TestPickerLocalizedNames: the country picker of a Serbian (Cyrillic)
// officer shows Cyrillic names and finds them by the Serbian, the English
// name and the code; what it records is the code.
func TestPickerLocalizedNames(t *testing.T) {
	test.NewTempApp(t)
	u := &UI{loc: i18n.MustNew("sr-Cyrl")}
	p := u.newCodePicker(u.loc.Countries(), true, "")
	for _, q := range []string{"Сирија", "Syria", "SYR"} {
		p.entry.SetText(q)
		if got := firstMatch(p); got != "SYR – Сирија" {
			t.Errorf("typing %q: first match %q, want %q", q, got, "SYR – Сирија")
		}
	}
	p.entry.SetText("zzzz-none")
	if got := firstMatch(p); got != "" {
		t.Errorf("nonsense offers %q", got)
	}
	p.entry.SetText("Syria")
	p.pickFirst()
	if got := p.Selected(); len(got) != 1 || got[0] != "SYR" {
		t.Fatalf("picked %v, want [SYR]", got)
	}
}

// TestLanguageNamesOnRecord: the record screen names countries and languages
// in the officer's language, the ICAO codes CLDR does not know in English.
func TestLanguageNamesOnRecord(t *testing.T) {
	de := &UI{loc: i18n.MustNew("de")}
	want := "SYR Syrien, XXA " + assets.Countries().Name("XXA")
	if got := de.countryNames([]string{"SYR", "XXA"}); got != want {
		t.Errorf("countries %q, want %q", got, want)
	}
	if got := de.langNames([]string{"ara", "fas"}); got != "ara Arabisch, fas Persisch" {
		t.Errorf("languages %q", got)
	}
	sr := &UI{loc: i18n.MustNew("sr-Latn")}
	if got := sr.langNames([]string{"ara"}); got != "ara arapski" {
		t.Errorf("sr-Latn languages %q, want Latin script", got)
	}
}
