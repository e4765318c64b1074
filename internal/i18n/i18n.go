// Package i18n is the officers' language: it looks up the app's messages in
// the embedded go-i18n v2 catalogues (assets/i18n, one JSON file per
// language), picks the CLDR plural form of counted messages, and formats
// dates (always ISO 8601, unambiguous in every language) and numbers
// (grouped as the language groups them).
//
// A Localizer is immutable: switching language means making a new one, so a
// screen can hold one without locks. The package never imports Fyne; Fyne's
// own lang package picks a language from the system locale and has no
// runtime switch, so the app uses this one, and gives Fyne the officer's
// words for Fyne's own messages at each switch (app/fynelang.go).
package i18n

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"time"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/fieldreg/fieldreg/assets"
)

// Default is the language of the catalogue every other one is checked
// against, and the fallback for a message a catalogue lacks.
const Default = "en"

// Language is one of the officers' languages.
type Language struct {
	// Tag is the BCP 47 tag, also the name of the catalogue file.
	Tag string
	// Name is the language's name in itself (as the picker shows it).
	Name string
	// English is its name in English (for the command line and logs).
	English string
	// Reviewed says whether a native speaker has checked the translation;
	// docs/languages.md and the settings screen show the same mark.
	Reviewed bool
}

// languages are the officers' languages in the order the pickers show them.
var languages = []Language{
	{Tag: "en", Name: "English", English: "English", Reviewed: true},
	{Tag: "bs", Name: "Bosanski", English: "Bosnian"},
	{Tag: "hr", Name: "Hrvatski", English: "Croatian"},
	{Tag: "sr-Latn", Name: "Srpski (latinica)", English: "Serbian (Latin)"},
	{Tag: "sr-Cyrl", Name: "Српски (ћирилица)", English: "Serbian (Cyrillic)"},
	{Tag: "sq", Name: "Shqip", English: "Albanian"},
	{Tag: "mk", Name: "Македонски", English: "Macedonian"},
	{Tag: "el", Name: "Ελληνικά", English: "Greek"},
	{Tag: "sl", Name: "Slovenščina", English: "Slovenian"},
	{Tag: "de", Name: "Deutsch", English: "German"},
}

// ErrUnknownLanguage is returned for a tag that is not one of Languages.
var ErrUnknownLanguage = errors.New("unknown language")

// Languages returns the officers' languages in display order (a copy).
func Languages() []Language { return append([]Language(nil), languages...) }

// Tags returns the tags of Languages, for messages that list them.
func Tags() []string {
	out := make([]string, len(languages))
	for i, l := range languages {
		out[i] = l.Tag
	}
	return out
}

// Lookup returns the language with tag (letter case and "_" for "-" do not
// matter), or ErrUnknownLanguage naming the known tags.
func Lookup(tag string) (Language, error) {
	t := strings.ReplaceAll(strings.TrimSpace(tag), "_", "-")
	for _, l := range languages {
		if strings.EqualFold(l.Tag, t) {
			return l, nil
		}
	}
	return Language{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownLanguage, tag, strings.Join(Tags(), ", "))
}

// Args are the named values a message's placeholders ({{.Name}}) take.
type Args map[string]any

// Localizer gives the messages of one language.
type Localizer struct {
	lang     Language
	loc      *goi18n.Localizer
	fallback *goi18n.Localizer
	printer  *message.Printer
}

// bundles holds the parsed catalogues: English's, which every other
// language falls back to, and the last other language asked for. A switch
// of language parses the new one and lets the old one go, once no
// Localizer holds it: go-i18n keeps a template per message, about 0.7 MB a
// language, and all ten would be 7.6 MB of the app's memory.
var bundles struct {
	sync.Mutex
	en       *goi18n.Bundle
	other    *goi18n.Bundle
	otherTag string
}

// bundleOf returns the parsed catalogue of the language tag (one of
// Languages), parsing it unless it is held.
func bundleOf(tag string) (*goi18n.Bundle, error) {
	bundles.Lock()
	defer bundles.Unlock()
	switch {
	case tag == Default && bundles.en != nil:
		return bundles.en, nil
	case tag != Default && bundles.other != nil && bundles.otherTag == tag:
		return bundles.other, nil
	}
	b, err := LoadBundle(assets.Messages(), tag)
	if err != nil {
		return nil, err
	}
	if tag == Default {
		bundles.en = b
	} else {
		bundles.other, bundles.otherTag = b, tag
	}
	return b, nil
}

// LoadBundle parses the catalogue of the language tag from fsys (the file
// TAG.json). A missing or malformed file is an error.
func LoadBundle(fsys fs.FS, tag string) (*goi18n.Bundle, error) {
	b := goi18n.NewBundle(language.English)
	name := tag + ".json"
	buf, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("i18n: catalogue %s: %w", name, err)
	}
	if _, err := b.ParseMessageFileBytes(buf, name); err != nil {
		return nil, fmt.Errorf("i18n: catalogue %s: %w", name, err)
	}
	return b, nil
}

// New returns the localizer of the language with tag (see Lookup).
func New(tag string) (*Localizer, error) {
	l, err := Lookup(tag)
	if err != nil {
		return nil, err
	}
	en, err := bundleOf(Default)
	if err != nil {
		return nil, err
	}
	b := en
	if l.Tag != Default {
		if b, err = bundleOf(l.Tag); err != nil {
			return nil, err
		}
	}
	return newLocalizer(b, en, l), nil
}

// newLocalizer gives the messages of l from b, and those b lacks from en.
func newLocalizer(b, en *goi18n.Bundle, l Language) *Localizer {
	return &Localizer{
		lang:     l,
		loc:      goi18n.NewLocalizer(b, l.Tag),
		fallback: goi18n.NewLocalizer(en, Default),
		printer:  message.NewPrinter(language.MustParse(l.Tag)),
	}
}

// MustNew is New for tags known to be valid (Default, or one from
// Languages); it panics otherwise.
func MustNew(tag string) *Localizer {
	l, err := New(tag)
	if err != nil {
		panic(err)
	}
	return l
}

// Language returns the localizer's language.
func (l *Localizer) Language() Language { return l.lang }

// Tag returns the localizer's language tag.
func (l *Localizer) Tag() string { return l.lang.Tag }

// T returns the message id.
func (l *Localizer) T(id string) string { return l.localize(id, nil, nil) }

// Tf returns the message id with its placeholders filled from args.
func (l *Localizer) Tf(id string, args Args) string { return l.localize(id, args, nil) }

// Tn returns the plural form of message id for count, with {{.Count}} set to
// count grouped as the language groups numbers, and the other placeholders
// from args (which may be nil).
func (l *Localizer) Tn(id string, count int, args Args) string {
	data := Args{}
	for k, v := range args {
		data[k] = v
	}
	data["Count"] = l.Number(count)
	return l.localize(id, data, count)
}

// Tc is Tn for a count as published, which may be suppressed: {{.Count}}
// is the text given ("<5", "x"), and the plural form is that of the
// number the text stands for (plural: any of "<5" takes the form of 5).
func (l *Localizer) Tc(id string, plural int, text string, args Args) string {
	data := Args{}
	for k, v := range args {
		data[k] = v
	}
	data["Count"] = text
	return l.localize(id, data, plural)
}

// localize looks id up in the language, then in English; a message neither
// has comes out as its ID, which the catalogue tests never let through.
func (l *Localizer) localize(id string, data Args, count any) string {
	cfg := &goi18n.LocalizeConfig{MessageID: id, PluralCount: count}
	if data != nil {
		cfg.TemplateData = map[string]any(data)
	}
	if s, err := l.loc.Localize(cfg); err == nil {
		return s
	}
	if s, err := l.fallback.Localize(cfg); err == nil {
		return s
	}
	return id
}

// Number formats n with the language's digit grouping (1,234 in English,
// 1.234 in German).
func (l *Localizer) Number(n int) string { return l.printer.Sprintf("%d", n) }

// Percent writes a percentage with one decimal in the language's
// separators: "97.2 %" in English, "97,2 %" in German.
func (l *Localizer) Percent(p float64) string { return l.printer.Sprintf("%.1f %%", p) }

// Date formats the day of t as ISO 8601 (2006-01-02) in every language: a
// day written 03/04 is read differently on both sides of a border.
func (l *Localizer) Date(t time.Time) string { return t.Format("2006-01-02") }

// DateTime formats t as ISO 8601 date and 24-hour time to the minute.
func (l *Localizer) DateTime(t time.Time) string { return t.Format("2006-01-02 15:04") }

// Message is a catalogue entry: its text by CLDR plural form ("other" for
// a message without plural forms).
type Message map[string]string

// Catalogue returns the raw messages of the language with tag, by ID, as
// the embedded file holds them (for checks of the catalogues).
func Catalogue(tag string) (map[string]Message, error) {
	l, err := Lookup(tag)
	if err != nil {
		return nil, err
	}
	return readCatalogue(assets.Messages(), l.Tag)
}

func readCatalogue(fsys fs.FS, tag string) (map[string]Message, error) {
	b, err := fs.ReadFile(fsys, tag+".json")
	if err != nil {
		return nil, fmt.Errorf("i18n: catalogue %s: %w", tag, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("i18n: catalogue %s: %w", tag, err)
	}
	out := make(map[string]Message, len(raw))
	for id, r := range raw {
		var s string
		if json.Unmarshal(r, &s) == nil {
			out[id] = Message{"other": s}
			continue
		}
		var m Message
		if err := json.Unmarshal(r, &m); err != nil {
			return nil, fmt.Errorf("i18n: catalogue %s: message %s: %w", tag, id, err)
		}
		out[id] = m
	}
	return out, nil
}
