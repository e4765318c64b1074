package app

import (
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/match"
)

// Every kind of match reason, and every count of a name comparison, has
// its words in every officer's language: no message ID, no English
// fallback, no empty placeholder on screen.
func TestReasonRendersInEveryLanguage(t *testing.T) {
	names := match.NameCounts{Total: 5, Exact: 1, Variant: 1, Similar: 1, Differ: 1, Extra: 1, Swapped: true}
	ids := []string{"reason.names_agree", "reason.spelling_variants", "reason.similar_names", "reason.names_differ",
		"reason.extra_names", "reason.names_swapped", "reason.names_identical"}
	for _, k := range match.Kinds() {
		if k == match.NamesCompared {
			continue
		}
		id, ok := reasonKinds[k]
		if !ok {
			t.Errorf("match kind %q has no message", k)
			continue
		}
		ids = append(ids, id)
	}
	for _, l := range i18n.Languages() {
		cat, err := i18n.Catalogue(l.Tag)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if _, ok := cat[id]; !ok {
				t.Errorf("%s: %s is missing", l.Tag, id)
			}
		}
		loc := i18n.MustNew(l.Tag)
		for _, r := range []match.Reason{
			{Field: match.FieldName, Kind: match.NamesCompared, Names: names},
			{Field: match.FieldName, Kind: match.NamesCompared, Names: match.NameCounts{Total: 3, Exact: 3}},
		} {
			got := reasonText(loc, r)
			if strings.Contains(got, "reason.") || strings.Contains(got, "<no value>") || strings.Count(got, ", ") < len(strings.Split(r.Detail(), ", "))-1 {
				t.Errorf("%s: %q", l.Tag, got)
			}
		}
		for _, k := range match.Kinds() {
			r := match.Reason{Field: match.FieldDocument, Kind: k}
			if k == match.NamesCompared {
				r = match.Reason{Field: match.FieldName, Kind: k, Names: names}
			}
			got := reasonText(loc, r)
			field, detail, ok := strings.Cut(got, ": ")
			if !ok || field == "" || detail == "" || strings.Contains(got, "reason.") || strings.Contains(got, "{{") {
				t.Errorf("%s %s: %q", l.Tag, k, got)
			}
			if l.Tag != i18n.Default && detail == r.Detail() && !strings.Contains(detail, "OCR") {
				t.Errorf("%s %s: %q is the English", l.Tag, k, detail)
			}
		}
	}
}

// The counts take the plural form of the number in each language: the
// Slavic one/few/other (and Slovenian two), English as match words it.
func TestReasonPluralForms(t *testing.T) {
	names := func(variant, differ int) match.Reason {
		return match.Reason{Field: match.FieldName, Kind: match.NamesCompared,
			Names: match.NameCounts{Total: 1 + variant + differ, Exact: 1, Variant: variant, Differ: differ}}
	}
	for _, c := range []struct {
		tag  string
		r    match.Reason
		want string
	}{
		{"en", names(1, 1), "name: 2 of 3 names agree, 1 spelling variant, 1 name differs"},
		{"en", names(2, 5), "name: 3 of 8 names agree, 2 spelling variants, 5 names differ"},
		{"sr-Cyrl", names(1, 1), "име: 2 од 3 имена се слажу, 1 варијанта писања, 1 име се разликује"},
		{"sr-Cyrl", names(3, 2), "име: 4 од 6 имена се слажу, 3 варијанте писања, 2 имена се разликују"},
		{"sr-Cyrl", names(4, 5), "име: 5 од 10 имена се слаже, 4 варијанте писања, 5 имена се разликује"},
		{"sr-Latn", names(5, 21), "ime: 6 od 27 imena se slaže, 5 varijanti pisanja, 21 ime se razlikuje"},
		{"hr", names(2, 1), "ime: 3 od 4 imena se slažu, 2 inačice pisanja, 1 ime se razlikuje"},
		{"bs", names(11, 1), "ime: 12 od 13 imena se slaže, 11 varijanti pisanja, 1 ime se razlikuje"},
		{"sl", names(1, 2), "ime: 2 od 4 imen se ujemata, 1 različica zapisa, 2 imeni se razlikujeta"},
		{"sl", names(2, 3), "ime: 3 od 6 imen se ujemajo, 2 različici zapisa, 3 imena se razlikujejo"},
		{"sl", names(4, 5), "ime: 5 od 10 imen se ujema, 4 različice zapisa, 5 imen se razlikuje"},
		{"mk", names(1, 11), "име: 2 од 13 имиња се совпаѓаат, 1 варијанта на пишување, 11 имиња се разликуваат"},
		{"de", names(1, 2), "Name: 2 von 4 Namen stimmen überein, 1 Schreibvariante, 2 Namen verschieden"},
		{"el", names(2, 1), "όνομα: 3 από 4 ονόματα συμφωνούν, 2 παραλλαγές γραφής, 1 όνομα διαφέρει"},
		{"sq", names(1, 2), "emri: 2 nga 4 emra përputhen, 1 variant shkrimi, 2 emra ndryshojnë"},
		{"sr-Cyrl", match.Reason{Field: match.FieldName, Kind: match.NamesCompared, Names: match.NameCounts{Total: 2, Exact: 1, Similar: 1, Extra: 2, Swapped: true}},
			"име: 2 од 2 имена се слажу, 1 слично име, 2 додатна имена, презиме и име замењени"},
		{"sr-Cyrl", match.Reason{Field: match.FieldSex, Kind: match.SexDifferent}, "пол: различит"},
		{"de", match.Reason{Field: match.FieldBirthDate, Kind: match.DateSwapped, Agree: true}, "Geburtsdatum: Tag und Monat vertauscht"},
	} {
		if got := reasonText(i18n.MustNew(c.tag), c.r); got != c.want {
			t.Errorf("%s %v:\n got %q\nwant %q", c.tag, c.r, got, c.want)
		}
	}
}
