// Package notice builds the information notice a registered person is given
// in their language (Eurodac recast, Regulation (EU) 2024/1358, Art. 42):
// who holds their data, what is recorded and why, who can see it, how long
// it is kept, their rights and whom to ask or complain to. It also gives the
// receipt's labels in the person's language.
//
// The texts are go-i18n v2 message files embedded in assets/notice, one per
// language, named by ISO 639-3 code. A notice is filled with the
// deployment's contacts (trust.Contacts, signed by the authority) and the
// person's registration ID, date and place, or left blank for hand filling.
// It renders as plain text (logical order), as PNG pages and as an A4 PDF
// through internal/textimg, which shapes Arabic script and orders mixed
// right-to-left and left-to-right text.
package notice

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/trust"
)

// Languages are the notice's languages (ISO 639-3), in the order pickers
// show them.
var languages = []string{"eng", "fra", "spa", "tur", "ara", "fas", "prs", "pus", "urd", "ben", "ckb", "tir"}

// Languages returns the ISO 639-3 codes of the languages the notice is
// written in (a copy).
func Languages() []string { return slices.Clone(languages) }

// Known reports whether lang is one of Languages.
func Known(lang string) bool { return slices.Contains(languages, lang) }

// rtl are the languages written right to left (Arabic script).
var rtl = map[string]bool{"ara": true, "fas": true, "prs": true, "pus": true, "urd": true, "ckb": true}

// RTL reports whether lang is written right to left.
func RTL(lang string) bool { return rtl[lang] }

// Reviewed lists the languages whose text a native speaker has reviewed.
// The others were written by the developers and wait for review
// (docs/notice.md).
var reviewed = map[string]bool{}

// Reviewed reports whether a native speaker has reviewed lang's text.
func Reviewed(lang string) bool { return reviewed[lang] }

// ErrUnknownLanguage refuses a language the notice is not written in.
var ErrUnknownLanguage = errors.New("the information notice is not written in that language")

// messageIDs are the messages every language file must hold.
var messageIDs = []string{"Language", "Title", "Intro", "IntroBlank", "WhoHeading", "Who", "WhatHeading", "What",
	"WhyHeading", "Why", "ShareHeading", "Share", "KeepHeading", "Keep", "RightsHeading", "Rights", "Complain",
	"Child", "Footer", "ReceiptTitle", "ReceiptID", "ReceiptName", "ReceiptBirthYear", "ReceiptBirthDate",
	"ReceiptDate", "ReceiptPlace", "ReceiptCountry", "ReceiptCentre", "ReceiptKeep"}

// catalogue is one language's parsed messages.
type catalogue struct {
	loc     *i18n.Localizer
	version string
}

var (
	loadOnce   sync.Once
	catalogues map[string]*catalogue
	loadErr    error
)

func load() (map[string]*catalogue, error) {
	loadOnce.Do(func() {
		catalogues = map[string]*catalogue{}
		for _, lang := range languages {
			c, err := loadCatalogue(assets.NoticeMessages(), lang)
			if err != nil {
				loadErr = err
				return
			}
			catalogues[lang] = c
		}
	})
	return catalogues, loadErr
}

// loadCatalogue reads lang's message file into a bundle of its own, so a
// missing message is an error rather than English in its place.
func loadCatalogue(fsys fs.FS, lang string) (*catalogue, error) {
	// The bundle's tag selects CLDR plural rules; Dari's are Persian's
	// (go-i18n has none under prs).
	tag, err := language.Parse(bcp47[lang])
	if err != nil {
		return nil, fmt.Errorf("notice: %s: %w", lang, err)
	}
	b, err := fs.ReadFile(fsys, "notice/"+lang+".json")
	if err != nil {
		return nil, fmt.Errorf("notice: %w", err)
	}
	bundle := i18n.NewBundle(tag)
	bundle.RegisterUnmarshalFunc("json", json.Unmarshal)
	mf, err := bundle.ParseMessageFileBytes(b, tag.String()+".json")
	if err != nil {
		return nil, fmt.Errorf("notice: %s.json: %w", lang, err)
	}
	have := map[string]bool{}
	for _, m := range mf.Messages {
		have[m.ID] = strings.TrimSpace(m.Other) != ""
	}
	for _, id := range messageIDs {
		if !have[id] {
			return nil, fmt.Errorf("notice: %s.json: message %s is missing or empty", lang, id)
		}
	}
	sum := sha256.Sum256(b)
	return &catalogue{loc: i18n.NewLocalizer(bundle, tag.String()), version: "1." + hex.EncodeToString(sum[:4])}, nil
}

func catalogueOf(lang string) (*catalogue, error) {
	if !Known(lang) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownLanguage, lang)
	}
	cs, err := load()
	if err != nil {
		return nil, err
	}
	return cs[lang], nil
}

func (c *catalogue) msg(id string, data map[string]string) string {
	s, err := c.loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		// loadCatalogue checked every message is there, and the tests that
		// their placeholders match English's: a failure here is a bug.
		panic(fmt.Sprintf("notice: message %s: %v", id, err))
	}
	return s
}

// Version returns the version of lang's notice text: "1." and the start of
// the SHA-256 of its message file, so any change of wording changes the
// version recorded with a registration.
func Version(lang string) (string, error) {
	c, err := catalogueOf(lang)
	if err != nil {
		return "", err
	}
	return c.version, nil
}

// Name returns lang's name in lang itself ("العربية" for ara), or "" for
// an unknown language.
func Name(lang string) string {
	c, err := catalogueOf(lang)
	if err != nil {
		return ""
	}
	return c.msg("Language", nil)
}

// Person is what a notice says about one registration. The zero Person
// makes a blank notice (the receipt carries the details).
type Person struct {
	ID    string // registration ID
	Date  string // registration date, ISO (2026-12-03)
	Place string // station or place of registration
}

// Section is a heading and its text.
type Section struct {
	Heading string
	Body    []string // paragraphs
}

// Notice is a filled information notice in one language.
type Notice struct {
	Lang     string
	Version  string
	Title    string
	Intro    string
	Sections []Section
	Footer   string
}

// blank stands for a detail to be written in by hand.
const blank = "________________"

// isolate wraps a value placed inside a sentence in Unicode first-strong
// isolates (U+2068 ... U+2069), so that an ID, a date or an e-mail address
// inside Arabic text keeps its own left-to-right order and does not pull
// the neighbouring punctuation around.
func isolate(v string) string {
	if v == "" {
		v = blank
	}
	return "\u2068" + v + "\u2069"
}

// New fills the notice in lang with the deployment's contacts (nil leaves
// them blank, for a generic notice) and the person's details (the zero
// Person gives a blank notice). It fails with ErrUnknownLanguage for a
// language the notice is not written in.
func New(lang string, c *trust.Contacts, p Person) (*Notice, error) {
	cat, err := catalogueOf(lang)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = &trust.Contacts{}
	}
	data := map[string]string{
		"ID": isolate(p.ID), "Date": isolate(p.Date), "Place": isolate(p.Place),
		"Controller": isolate(c.Controller), "ControllerContact": isolate(c.ControllerContact),
		"DPO": isolate(c.DPO), "Supervisor": isolate(c.Supervisor), "SupervisorContact": isolate(c.SupervisorContact),
		"LegalBasis": isolate(c.LegalBasis), "Version": isolate(cat.version + " " + lang),
	}
	n := &Notice{Lang: lang, Version: cat.version, Title: cat.msg("Title", nil), Footer: cat.msg("Footer", data)}
	if p.ID == "" {
		n.Intro = cat.msg("IntroBlank", nil)
	} else {
		n.Intro = cat.msg("Intro", data)
	}
	sec := func(h string, bodies ...string) {
		s := Section{Heading: cat.msg(h, nil)}
		for _, b := range bodies {
			s.Body = append(s.Body, cat.msg(b, data))
		}
		n.Sections = append(n.Sections, s)
	}
	sec("WhoHeading", "Who")
	sec("WhatHeading", "What")
	sec("WhyHeading", "Why")
	sec("ShareHeading", "Share")
	sec("KeepHeading", "Keep")
	sec("RightsHeading", "Rights", "Complain", "Child")
	return n, nil
}

// stripIsolates removes the bidi isolate marks, which plain text does not
// need.
var stripIsolates = strings.NewReplacer("\u2068", "", "\u2069", "")

// Text returns the notice as UTF-8 text in logical order (the order it is
// read and typed, not the order it is drawn), one paragraph a line.
func (n *Notice) Text() string {
	var b strings.Builder
	b.WriteString(n.Title + "\n\n" + n.Intro + "\n")
	for _, s := range n.Sections {
		b.WriteString("\n" + s.Heading + "\n")
		for _, p := range s.Body {
			b.WriteString(p + "\n")
		}
	}
	b.WriteString("\n" + n.Footer + "\n")
	return stripIsolates.Replace(b.String())
}

// Labels are the receipt's readable lines' labels in one language.
type Labels struct {
	Title, ID, Name, BirthYear, BirthDate, Date, Place, Country, Centre, Keep string
}

// ReceiptLabels returns the receipt's labels in lang.
func ReceiptLabels(lang string) (Labels, error) {
	c, err := catalogueOf(lang)
	if err != nil {
		return Labels{}, err
	}
	return Labels{Title: c.msg("ReceiptTitle", nil), ID: c.msg("ReceiptID", nil), Name: c.msg("ReceiptName", nil),
		BirthYear: c.msg("ReceiptBirthYear", nil), BirthDate: c.msg("ReceiptBirthDate", nil),
		Date: c.msg("ReceiptDate", nil), Place: c.msg("ReceiptPlace", nil), Country: c.msg("ReceiptCountry", nil),
		Centre: c.msg("ReceiptCentre", nil), Keep: c.msg("ReceiptKeep", nil)}, nil
}

// ReceiptTranslation returns the receipt's wording in lang, for
// receipt.PDFIn and the receipt screen.
func ReceiptTranslation(lang string) (*receipt.Translation, error) {
	l, err := ReceiptLabels(lang)
	if err != nil {
		return nil, err
	}
	return &receipt.Translation{Lang: bcp47[lang], RTL: RTL(lang), Title: l.Title, Keep: l.Keep,
		Labels: map[string]string{receipt.LineID: l.ID, receipt.LineName: l.Name, receipt.LineBirthYear: l.BirthYear,
			receipt.LineBirthDate: l.BirthDate, receipt.LineDate: l.Date, receipt.LinePlace: l.Place,
			receipt.LineCountry: l.Country, receipt.LineCentre: l.Centre}}, nil
}
