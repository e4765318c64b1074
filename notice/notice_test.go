package notice

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/fieldreg/fieldreg/assets"
	"github.com/fieldreg/fieldreg/trust"
)

var placeholderRE = regexp.MustCompile(`\{\{\s*\.([A-Za-z]+)\s*\}\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return out
}

func readMessages(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(assets.NoticeMessages(), "notice/"+lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// Every language holds exactly the messages English holds, none empty,
// each with the same placeholders: a translation cannot drop the DPO's
// contact or the registration ID.
func TestCataloguesComplete(t *testing.T) {
	eng := readMessages(t, "eng")
	if got, want := slices.Sorted(maps.Keys(eng)), slices.Sorted(slices.Values(messageIDs)); !slices.Equal(got, want) {
		t.Fatalf("eng.json holds %v, the code uses %v", got, want)
	}
	files, err := fs.Glob(assets.NoticeMessages(), "notice/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Languages()) {
		t.Errorf("%d message files for %d languages", len(files), len(Languages()))
	}
	for _, lang := range Languages() {
		m := readMessages(t, lang)
		for id, en := range eng {
			v, ok := m[id]
			switch {
			case !ok:
				t.Errorf("%s: message %s is missing", lang, id)
			case strings.TrimSpace(v) == "":
				t.Errorf("%s: message %s is empty", lang, id)
			case !slices.Equal(placeholders(v), placeholders(en)):
				t.Errorf("%s: message %s has placeholders %v, English has %v", lang, id, placeholders(v), placeholders(en))
			}
		}
		for id := range m {
			if _, ok := eng[id]; !ok {
				t.Errorf("%s: message %s is not in English (a typo?)", lang, id)
			}
		}
	}
}

// A message file missing a message, or not JSON, is refused when loaded.
// (The embedded ones load: TestNewFillsEveryLanguage.)
func TestLoadCatalogueRefusesBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":   `{"Title": `,
		"not a text": `{"Title": 3}`,
		"incomplete": `{"Title": "Only a title"}`,
	} {
		fsys := fstest.MapFS{"notice/ara.json": {Data: []byte(body)}}
		if _, err := loadCatalogue(fsys, "ara"); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if _, err := loadCatalogue(fstest.MapFS{}, "ara"); err == nil {
		t.Error("a missing file loaded")
	}
}

func testContacts() *trust.Contacts {
	return &trust.Contacts{Controller: "Ministry of Testing", ControllerContact: "info@example.ba", DPO: "dpo@example.ba",
		Supervisor: "Test Protection Agency", SupervisorContact: "agency@example.ba", LegalBasis: "Test Law 1/26"}
}

func TestNewFillsEveryLanguage(t *testing.T) {
	p := Person{ID: "BIH-7KQ4-M2XD-9TRC", Date: "2026-12-03", Place: "BIH-VK-01"}
	c := testContacts()
	for _, lang := range Languages() {
		n, err := New(lang, c, p)
		if err != nil {
			t.Fatal(err)
		}
		text := n.Text()
		for _, want := range []string{p.ID, p.Date, p.Place, c.Controller, c.ControllerContact, c.DPO, c.Supervisor,
			c.SupervisorContact, c.LegalBasis, n.Version} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the notice does not say %q", lang, want)
			}
		}
		if strings.Contains(text, "{{") || strings.Contains(text, "<no value>") || strings.ContainsAny(text, "\u2068\u2069") {
			t.Errorf("%s: the text holds a template or isolate mark:\n%s", lang, text)
		}
		if len(n.Sections) != 6 {
			t.Errorf("%s: %d sections", lang, len(n.Sections))
		}
		if Name(lang) == "" {
			t.Errorf("%s: no name", lang)
		}
	}
}

// Without contacts or a person, the notice keeps blanks to fill in by hand
// and says the details are on the receipt.
func TestBlankNotice(t *testing.T) {
	n, err := New("eng", nil, Person{})
	if err != nil {
		t.Fatal(err)
	}
	text := n.Text()
	if !strings.Contains(text, "are on your receipt") || strings.Contains(text, "Registration number:") {
		t.Errorf("blank notice intro: %s", n.Intro)
	}
	if strings.Count(text, blank) < 5 {
		t.Errorf("the generic notice should leave the contacts blank:\n%s", text)
	}
}

// Values inside sentences are isolated for the bidi algorithm, so an ID or
// a date keeps its order inside Arabic text.
func TestValuesIsolated(t *testing.T) {
	n, err := New("ara", testContacts(), Person{ID: "BIH-7KQ4-M2XD-9TRC", Date: "2026-12-03", Place: "BIH-VK-01"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(n.Intro, "\u2068BIH-7KQ4-M2XD-9TRC\u2069") || !strings.Contains(n.Intro, "\u20682026-12-03\u2069") {
		t.Errorf("values not isolated: %q", n.Intro)
	}
}

func TestUnknownLanguage(t *testing.T) {
	for _, lang := range []string{"", "xyz", "ARA", "ar", "deu", "ara "} {
		if _, err := New(lang, nil, Person{}); !errors.Is(err, ErrUnknownLanguage) {
			t.Errorf("New(%q): %v, want ErrUnknownLanguage", lang, err)
		}
		if _, err := ReceiptLabels(lang); !errors.Is(err, ErrUnknownLanguage) {
			t.Errorf("ReceiptLabels(%q): %v", lang, err)
		}
		if _, err := Version(lang); !errors.Is(err, ErrUnknownLanguage) {
			t.Errorf("Version(%q): %v", lang, err)
		}
	}
}

// The version follows the text: each language's differs, and a changed
// file gives another.
func TestVersionFollowsText(t *testing.T) {
	seen := map[string]string{}
	for _, lang := range Languages() {
		v, err := Version(lang)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^1\.[0-9a-f]{8}$`).MatchString(v) {
			t.Errorf("%s: version %q", lang, v)
		}
		if other, ok := seen[v]; ok {
			t.Errorf("%s and %s have the same version", lang, other)
		}
		seen[v] = lang
	}
	b, _ := fs.ReadFile(assets.NoticeMessages(), "notice/eng.json")
	changed := bytes.Replace(b, []byte("Ten years"), []byte("Ten (10) years"), 1)
	c, err := loadCatalogue(fstest.MapFS{"notice/eng.json": {Data: changed}}, "eng")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := Version("eng"); c.version == v {
		t.Error("a changed text keeps its version")
	}
}

func TestReceiptLabels(t *testing.T) {
	for _, lang := range Languages() {
		l, err := ReceiptLabels(lang)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{l.Title, l.ID, l.Name, l.BirthYear, l.BirthDate, l.Date, l.Place, l.Country, l.Keep} {
			if v == "" {
				t.Errorf("%s: an empty label", lang)
			}
		}
	}
}

func TestRTL(t *testing.T) {
	for _, lang := range Languages() {
		want := slices.Contains([]string{"ara", "fas", "prs", "pus", "urd", "ckb"}, lang)
		if RTL(lang) != want {
			t.Errorf("RTL(%s) = %v", lang, !want)
		}
	}
}

// Every language's notice fits one A4 page; one language of each script
// renders as a PNG of at least 150 dpi and a PDF (all twelve would take a
// minute under the race detector).
func TestRenderEveryLanguage(t *testing.T) {
	for _, lang := range Languages() {
		n, err := New(lang, testContacts(), Person{ID: "BIH-7KQ4-M2XD-9TRC", Date: "2026-12-03", Place: "BIH-VK-01"})
		if err != nil {
			t.Fatal(err)
		}
		pages, err := n.Pages()
		if err != nil {
			t.Fatal(err)
		}
		if len(pages) != 1 {
			t.Errorf("%s: %d pages", lang, len(pages))
		}
		if !slices.Contains([]string{"eng", "urd", "ben", "tir"}, lang) {
			continue
		}
		var buf bytes.Buffer
		if err := n.PNG(&buf, 150); err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if w := img.Bounds().Dx(); w < 1240 { // 210 mm at 150 dpi
			t.Errorf("%s: PNG %d pixels wide", lang, w)
		}
		buf.Reset()
		if err := n.PDF(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) || buf.Len() > 1<<20 {
			t.Errorf("%s: PDF of %d bytes", lang, buf.Len())
		}
	}
	n, _ := New("eng", nil, Person{})
	if _, err := n.PageImage(1, 150); err == nil {
		t.Error("page 2 of a one-page notice rendered")
	}
}

func BenchmarkNoticePage(b *testing.B) {
	n, err := New("ara", testContacts(), Person{ID: "BIH-7KQ4-M2XD-9TRC", Date: "2026-12-03", Place: "BIH-VK-01"})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := n.PageImage(0, 150); err != nil {
			b.Fatal(err)
		}
	}
}
