package i18n

import (
	"errors"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

func catalogues(t *testing.T) map[string]map[string]Message {
	t.Helper()
	out := map[string]map[string]Message{}
	for _, l := range Languages() {
		c, err := Catalogue(l.Tag)
		if err != nil {
			t.Fatal(err)
		}
		out[l.Tag] = c
	}
	return out
}

// Every English message exists, not empty, in every language, in every
// plural form the language needs; no language has a message English lacks.
func TestCataloguesComplete(t *testing.T) {
	cats := catalogues(t)
	en := cats[Default]
	if len(en) < 100 {
		t.Fatalf("the English catalogue has only %d messages", len(en))
	}
	for tag, c := range cats {
		for id, m := range en {
			tr, ok := c[id]
			if !ok {
				t.Errorf("%s: %s is missing", tag, id)
				continue
			}
			for form, text := range tr {
				if strings.TrimSpace(text) == "" {
					t.Errorf("%s: %s (%s) is empty", tag, id, form)
				}
			}
			if len(m) == 1 && len(tr) != 1 {
				t.Errorf("%s: %s has plural forms, English has none", tag, id)
			}
		}
		for id := range c {
			if _, ok := en[id]; !ok {
				t.Errorf("%s: %s is not in English (stale?)", tag, id)
			}
		}
	}
}

var placeholder = regexp.MustCompile(`\{\{\s*\.([A-Za-z]+)\s*\}\}`)

// placeholders are the names a message's forms use, sorted, once each.
func placeholders(m Message) []string {
	set := map[string]bool{}
	for _, text := range m {
		for _, p := range placeholder.FindAllStringSubmatch(text, -1) {
			set[p[1]] = true
		}
	}
	var out []string
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// A translation fills the same placeholders as English: one lost means a
// number or a name missing from the sentence, one added shows "<no value>".
// Only a "one" form may leave out {{.Count}} ("one day" for "1 day").
func TestPlaceholdersMatch(t *testing.T) {
	cats := catalogues(t)
	for id, m := range cats[Default] {
		want := strings.Join(placeholders(m), ",")
		for tag, c := range cats {
			tr, ok := c[id]
			if !ok {
				continue // TestCataloguesComplete says so
			}
			if got := strings.Join(placeholders(tr), ","); got != want {
				t.Errorf("%s: %s has placeholders {%s}, English {%s}", tag, id, got, want)
			}
			for form, text := range tr {
				if strings.Count(text, "{{") != strings.Count(text, "}}") {
					t.Errorf("%s: %s (%s): unbalanced braces", tag, id, form)
				}
			}
		}
	}
}

// Counted messages have every CLDR plural form of their language, as the
// Unicode data in golang.org/x/text (not go-i18n's own tables) says: the
// Slavic languages one, few and other (Slovenian also two), the others one
// and other. And the forms come out for the right numbers.
func TestPluralForms(t *testing.T) {
	forms := map[plural.Form]string{plural.Zero: "zero", plural.One: "one", plural.Two: "two", plural.Few: "few", plural.Many: "many", plural.Other: "other"}
	cats := catalogues(t)
	for _, l := range Languages() {
		tag := language.MustParse(l.Tag)
		need := map[string]bool{}
		for n := 0; n <= 1000; n++ {
			need[forms[plural.Cardinal.MatchPlural(tag, n, 0, 0, 0, 0)]] = true
		}
		for id, m := range cats[Default] {
			if len(m) == 1 {
				continue
			}
			tr := cats[l.Tag][id]
			for f := range need {
				if _, ok := tr[f]; !ok {
					t.Errorf("%s: %s lacks the %q form", l.Tag, id, f)
				}
			}
			for f := range tr {
				if !need[f] {
					t.Errorf("%s: %s has a %q form the language does not use", l.Tag, id, f)
				}
			}
		}
	}
	// The forms chosen for numbers, through the localizer.
	for _, c := range []struct {
		tag  string
		n    int
		want string
	}{
		{"en", 1, "1 minute"}, {"en", 5, "5 minutes"},
		{"sr-Cyrl", 1, "1 минут"}, {"sr-Cyrl", 3, "3 минута"}, {"sr-Cyrl", 5, "5 минута"}, {"sr-Cyrl", 21, "21 минут"},
		{"hr", 22, "22 minute"}, {"hr", 25, "25 minuta"},
		{"sl", 2, "2 minuti"}, {"sl", 3, "3 minute"}, {"sl", 5, "5 minut"}, {"sl", 101, "101 minuta"},
		{"de", 1, "1 Minute"}, {"de", 2, "2 Minuten"}, {"el", 2, "2 λεπτά"},
	} {
		if got := MustNew(c.tag).Tn("settings.minutes", c.n, nil); got != c.want {
			t.Errorf("%s %d: %q, want %q", c.tag, c.n, got, c.want)
		}
	}
}

// A published count may be suppressed: Tc writes the text given ("<5")
// in the plural form of the number it is chosen for.
func TestSuppressedCount(t *testing.T) {
	for _, c := range []struct {
		tag, text string
		n         int
		want      string
	}{
		{"en", "1", 1, "1 possible duplicate decided"},
		{"en", "<5", 5, "<5 possible duplicates decided"},
		{"hr", "3", 3, "3 odlučena moguća duplikata"},
		{"hr", "<5", 5, "<5 odlučenih mogućih duplikata"},
		{"sl", "2", 2, "2 odločena možna dvojnika"},
	} {
		if got := MustNew(c.tag).Tc("stats.duplicates_found", c.n, c.text, nil); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.tag, c.text, got, c.want)
		}
	}
}

// Numbers are grouped per language; dates are ISO everywhere.
func TestNumbersAndDates(t *testing.T) {
	at := time.Date(2026, 3, 4, 16, 5, 0, 0, time.UTC)
	for _, c := range []struct{ tag, n string }{{"en", "1,234,567"}, {"de", "1.234.567"}, {"sr-Cyrl", "1.234.567"}, {"el", "1.234.567"}} {
		l := MustNew(c.tag)
		if got := l.Number(1234567); got != c.n {
			t.Errorf("%s: %q, want %q", c.tag, got, c.n)
		}
		if got := l.Date(at); got != "2026-03-04" {
			t.Errorf("%s date %q", c.tag, got)
		}
		if got := l.DateTime(at); got != "2026-03-04 16:05" {
			t.Errorf("%s date-time %q", c.tag, got)
		}
	}
	if got := MustNew("de").Tn("records.all", 12000, nil); !strings.Contains(got, "12.000") {
		t.Errorf("German count %q", got)
	}
}

func TestLookup(t *testing.T) {
	for in, want := range map[string]string{"sr-Cyrl": "sr-Cyrl", "SR_cyrl": "sr-Cyrl", " de ": "de", "EN": "en"} {
		if l, err := Lookup(in); err != nil || l.Tag != want {
			t.Errorf("Lookup(%q) = %v, %v", in, l.Tag, err)
		}
	}
	for _, bad := range []string{"", "sr", "xx", "en-US", "de;"} {
		if _, err := Lookup(bad); !errors.Is(err, ErrUnknownLanguage) {
			t.Errorf("Lookup(%q): %v", bad, err)
		} else if !strings.Contains(err.Error(), "sr-Latn") {
			t.Errorf("Lookup(%q) does not list the languages: %v", bad, err)
		}
	}
	if _, err := New("xx"); !errors.Is(err, ErrUnknownLanguage) {
		t.Errorf("New(xx): %v", err)
	}
}

// A message a catalogue lacks comes from English; an unknown ID comes out
// as itself (never an empty label).
func TestFallback(t *testing.T) {
	fsys := fstest.MapFS{
		"en.json": &fstest.MapFile{Data: []byte(`{"a.b": "Hello {{.Name}}"}`)},
		"de.json": &fstest.MapFile{Data: []byte(`{}`)},
	}
	en, err := LoadBundle(fsys, "en")
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadBundle(fsys, "de")
	if err != nil {
		t.Fatal(err)
	}
	de, _ := Lookup("de")
	if got := newLocalizer(b, en, de).Tf("a.b", Args{"Name": "Testa"}); got != "Hello Testa" {
		t.Errorf("fallback to English: %q", got)
	}
	if got := MustNew("de").T("no.such.message"); got != "no.such.message" {
		t.Errorf("unknown ID: %q", got)
	}
	if _, err := LoadBundle(fsys, "el"); err == nil {
		t.Error("a missing catalogue was not an error")
	}
	fsys["el.json"] = &fstest.MapFile{Data: []byte(`{"a": `)}
	if _, err := LoadBundle(fsys, "el"); err == nil {
		t.Error("a malformed catalogue was not an error")
	}
}

// Every language's catalogue parses and gives its own words; only English
// and the language last asked for stay parsed, and a localizer made before
// a switch keeps working after it.
func TestCataloguesLoadOnDemand(t *testing.T) {
	en := MustNew(Default).T("app.title")
	var before *Localizer
	for _, l := range Languages() {
		loc, err := New(l.Tag)
		if err != nil {
			t.Fatalf("%s: %v", l.Tag, err)
		}
		if got := loc.T("nav.records"); got == "nav.records" || got == "" {
			t.Errorf("%s: nav.records is %q", l.Tag, got)
		}
		bundles.Lock()
		held, tag := bundles.en != nil, bundles.otherTag
		bundles.Unlock()
		if !held || (l.Tag != Default && tag != l.Tag) {
			t.Errorf("after %s: English held %v, other %q", l.Tag, held, tag)
		}
		if l.Tag == "de" {
			before = loc
		}
	}
	if before == nil || before.T("nav.records") != MustNew("de").T("nav.records") {
		t.Error("a German localizer changed after other languages were loaded")
	}
	if got := MustNew(Default).T("app.title"); got != en {
		t.Errorf("English app.title %q, then %q", en, got)
	}
}

// docs/languages.md marks as not reviewed exactly the languages the code
// (and so the settings screen) marks.
func TestDocsMarkReview(t *testing.T) {
	b, err := os.ReadFile("../../docs/languages.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, l := range Languages() {
		line := ""
		for _, ln := range strings.Split(doc, "\n") {
			if strings.HasPrefix(ln, "| `"+l.Tag+"`") {
				line = ln
			}
		}
		if line == "" {
			t.Errorf("docs/languages.md has no row for %s", l.Tag)
			continue
		}
		if notReviewed := strings.Contains(line, "not reviewed"); notReviewed == l.Reviewed {
			t.Errorf("docs/languages.md: %s row says %q, code says reviewed=%v", l.Tag, line, l.Reviewed)
		}
	}
}

func TestPercent(t *testing.T) {
	for tag, want := range map[string]string{"en": "97.2 %", "de": "97,2 %"} {
		l, err := New(tag)
		if err != nil {
			t.Fatal(err)
		}
		if got := l.Percent(97.24); got != want {
			t.Errorf("%s: %q, want %q", tag, got, want)
		}
	}
}
