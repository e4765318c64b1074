// Package assets embeds the static data of fieldreg: the application icon and
// the tables of countries (ISO 3166-1 alpha-3 plus ICAO codes) and languages
// (ISO 639-3) the pickers offer, and the message catalogues of the officers'
// languages.
package assets

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:generate go run gen_tables.go

//go:embed countries.tsv
var countriesTSV string

//go:embed languages.tsv
var languagesTSV string

//go:embed icon.png
var icon []byte

// Code is an entry of a code table.
type Code struct {
	Code string
	Name string
}

// Label is "CODE  Name", the form pickers show.
func (c Code) Label() string { return c.Code + " – " + c.Name }

// Table is a code table with lookup by code.
type Table struct {
	entries []Code
	byCode  map[string]string
	// english holds the English names of a localized table (see
	// Localized), which Filter matches too; nil for the English table.
	english map[string]string
}

func parse(tsv string) *Table {
	t := &Table{byCode: map[string]string{}}
	for _, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		code, name, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		t.entries = append(t.entries, Code{code, name})
		t.byCode[code] = name
	}
	return t
}

// Entries returns the table in display order (a copy).
func (t *Table) Entries() []Code { return append([]Code(nil), t.entries...) }

// Valid reports whether code is in the table.
func (t *Table) Valid(code string) bool { _, ok := t.byCode[code]; return ok }

// Name returns the name of code, or "" if unknown.
func (t *Table) Name(code string) string { return t.byCode[code] }

// Localized returns a copy of t with each name replaced by name(code, English
// name); an empty result keeps the English name. Filter on the copy matches
// the code, the localized name and the English name, so an officer can type
// either.
func (t *Table) Localized(name func(code, english string) string) *Table {
	l := &Table{byCode: make(map[string]string, len(t.entries)), english: make(map[string]string, len(t.entries))}
	for _, e := range t.entries {
		n := name(e.Code, e.Name)
		if n == "" {
			n = e.Name
		}
		l.entries = append(l.entries, Code{e.Code, n})
		l.byCode[e.Code] = n
		l.english[e.Code] = e.Name
	}
	return l
}

// Filter returns the entries whose code or name (or English name, in a
// localized table) contains q (case-insensitive), codes that start with q
// first.
func (t *Table) Filter(q string) []Code {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return t.Entries()
	}
	var first, rest []Code
	for _, e := range t.entries {
		lc := strings.ToLower(e.Code)
		switch {
		case strings.HasPrefix(lc, q):
			first = append(first, e)
		case strings.Contains(strings.ToLower(e.Name), q),
			strings.Contains(strings.ToLower(t.english[e.Code]), q):
			rest = append(rest, e)
		}
	}
	sort.SliceStable(rest, func(i, j int) bool {
		return strings.HasPrefix(strings.ToLower(rest[i].Name), q) && !strings.HasPrefix(strings.ToLower(rest[j].Name), q)
	})
	return append(first, rest...)
}

var (
	countries = parse(countriesTSV)
	languages = parse(languagesTSV)
)

// Countries is the table of nationality and issuing-country codes.
func Countries() *Table { return countries }

// Languages is the table of ISO 639-3 language codes.
func Languages() *Table { return languages }

// Icon is the application icon (PNG).
func Icon() []byte { return icon }

//go:embed i18n/*.json
var messages embed.FS

// Messages holds the officer-language message catalogues: one go-i18n v2
// JSON file per language, named by its BCP 47 tag (i18n/en.json,
// i18n/sr-Cyrl.json, ...).
func Messages() fs.FS {
	sub, err := fs.Sub(messages, "i18n")
	if err != nil {
		panic(err) // the directory is embedded above
	}
	return sub
}
