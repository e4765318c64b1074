package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/notice"
	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/registry"
)

// The officer picks the notice language (suggested from the languages the
// person speaks), can show the notice to hand the tablet over, and "notice
// given" records the language and the version of the text given. The name
// in Arabic script is drawn by textimg, not by a left-to-right label.
func TestNoticeLanguageRecorded(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.setUp()
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })

	h.typeInto("e.g. HADDAD", "Sample-Haddad")
	h.fillPerson("Example Omar", "Male", dobYear, "1985")
	h.typeInto("as the person writes it", "عمر حداد")
	h.radio(h.u.T(categoryLabels[registry.CategoryIrregular])).SetSelected(h.u.T(categoryLabels[registry.CategoryIrregular]))
	f := h.u.sh.reg.form
	h.pick("type a language, e.g. Arabic or Pashto", "ckb", "ckb")
	if got := f.noticeLang.Value(); got != "ckb" {
		t.Fatalf("notice language suggested %q, want ckb from the languages spoken", got)
	}
	h.pick("type a language, e.g. Arabic or Pashto", "arabic", "ara")
	if got := f.noticeLang.Value(); got != "ckb" {
		t.Errorf("the suggestion replaced the officer's choice: %q", got)
	}

	// "Given" without a language is refused next to the picker.
	f.noticeLang.Set("")
	test.Tap(h.checkBox("The information notice was given"))
	h.tap("Review and save")
	if !h.shows("Choose the language of the notice that was given.") {
		t.Fatalf("no error for a notice given in no language: %v", h.texts())
	}
	// The officer opens the list and the person points at their language.
	test.Tap(f.noticeLang.tap)
	if f.noticeLang.open == nil || f.noticeLang.rows["ara"] == nil {
		t.Fatal("the notice picker does not open its list")
	}
	test.Tap(f.noticeLang.rows["ara"])
	if f.noticeLang.open != nil || f.noticeLang.Value() != "ara" {
		t.Fatalf("picking Arabic: open %v, value %q", f.noticeLang.open != nil, f.noticeLang.Value())
	}
	if h.shows("Choose the language of the notice that was given.") {
		t.Error("the error stays after a language is picked")
	}

	// Show notice: the page, as an image, over the window.
	h.tap("Show notice")
	over := h.u.win.Canvas().Overlays().Top()
	if over == nil || !hasImage(over) {
		t.Fatal("Show notice shows no rendered notice")
	}
	h.u.win.Canvas().Overlays().Remove(over)

	h.tap("Review and save")
	want, _ := notice.Version("ara")
	h.waitFor("the review", func() bool { return h.shows("Check before saving") })
	if !h.shows("Yes, in ara – Arabic (version " + want + ")") {
		t.Errorf("the review does not say which notice was given: %v", h.texts())
	}
	if h.shows("عمر حداد") {
		t.Error("the Arabic name is handed to a Fyne label, which lays it out left to right")
	}
	h.tap("Save")
	h.waitFor("the saved screen", func() bool { return h.u.sh.reg.receipts != nil })
	ids := h.savedIDs()
	rv, err := h.u.sess.Get(ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if p := rv.Person; !p.InformationNotice || p.NoticeLang != "ara" || p.NoticeVersion != want {
		t.Errorf("stored notice %v %q %q, want ara %s", p.InformationNotice, p.NoticeLang, p.NoticeVersion, want)
	}
	// The receipt screen carries the lines in the person's language, drawn.
	if !hasImageWithin(h.u.win.Content(), 2) {
		t.Error("the receipt screen shows no lines in the person's language")
	}
}

func hasImage(o fyne.CanvasObject) bool { return hasImageWithin(o, 1) }

// hasImageWithin reports whether o holds at least n images.
func hasImageWithin(o fyne.CanvasObject, n int) bool {
	count := 0
	walkObj(o, func(c fyne.CanvasObject) {
		if _, ok := c.(*canvas.Image); ok {
			count++
		}
	})
	return count >= n
}

func TestShapedText(t *testing.T) {
	test.NewTempApp(t)
	if _, ok := shapedText("Ђорђе Šćekić", "srp").(*widget.Label); !ok {
		t.Error("Latin and Cyrillic go to a label")
	}
	for _, s := range []string{"محمد", "মোহাম্মদ", "ሰላም"} {
		o := shapedText(s, "")
		if _, ok := o.(*widget.Label); ok || !hasImage(o) {
			t.Errorf("%q is not drawn by textimg", s)
		}
		if o.MinSize().Width < 10 || o.MinSize().Height < 10 {
			t.Errorf("%q: size %v", s, o.MinSize())
		}
	}
	if suggestNoticeLang([]string{"deu", "hrv", "pus", "ara"}) != "pus" || suggestNoticeLang([]string{"deu"}) != "" {
		t.Error("suggestion")
	}
}

// The picker names each notice language in the officer's language and in
// its own, the own name in a run of its own: a label where Fyne draws the
// script, an image shaped by textimg where it does not (Arabic script,
// Bengali, Ge'ez), never a label that mixes Arabic with Cyrillic.
func TestNoticePickerNames(t *testing.T) {
	u := englishUI()
	u.useLanguage("sr-Cyrl")
	labels := func(objs []fyne.CanvasObject) (texts []string, images int) {
		for _, o := range objs {
			walkObj(o, func(c fyne.CanvasObject) {
				switch x := c.(type) {
				case *widget.Label:
					texts = append(texts, x.Text)
				case *canvas.Image:
					images++
				}
			})
		}
		return texts, images
	}
	for _, c := range []struct {
		lang   string
		texts  []string
		images int
	}{
		{"ara", []string{"арапски —"}, 1},
		{"fas", []string{"персијски —"}, 1},
		{"prs", []string{"дари —"}, 1},
		{"ckb", []string{"централни курдски —"}, 1},
		{"tir", []string{"тигриња —"}, 1},
		{"fra", []string{"француски —", "Français"}, 0},
		{"tur", []string{"турски —", "Türkçe"}, 0},
	} {
		texts, images := labels(u.noticeLanguageRow(c.lang))
		if strings.Join(texts, "|") != strings.Join(c.texts, "|") || images != c.images {
			t.Errorf("%s: labels %q and %d images, want %q and %d", c.lang, texts, images, c.texts, c.images)
		}
	}
	u.useLanguage("en")
	if texts, images := labels(u.noticeLanguageRow("eng")); len(texts) != 1 || texts[0] != "English" || images != 0 {
		t.Errorf("English to an English officer: %q, %d images", texts, images)
	}
	for _, l := range notice.Languages() {
		if notice.Name(l) == "" {
			t.Errorf("%s has no name of its own", l)
		}
	}
}

// What the notice work shows the officer is in the officer's language: the
// notice given with its language and version, every readable line of a
// receipt, and why a notice cannot be shown.
func TestNoticeInOfficersLanguage(t *testing.T) {
	u := englishUI()
	u.useLanguage("de")
	p := &registry.Person{InformationNotice: true, NoticeLang: "ara", NoticeVersion: "2026-01"}
	if got, want := u.noticeGiven(p), "Ja, auf ara – Arabisch (Version 2026-01)"; got != want {
		t.Errorf("notice given: %q, want %q", got, want)
	}
	if got := u.noticeGiven(&registry.Person{}); got != "Nein" {
		t.Errorf("notice not given: %q", got)
	}
	if got := u.noticeError(notice.ErrUnknownLanguage); !strings.Contains(got, "in dieser Sprache nicht") {
		t.Errorf("unknown notice language: %q", got)
	}
	fields := receipt.Fields{Birth: "1985-03-01"}
	for _, l := range fields.Lines() {
		if _, known := lineLabels[l.Key]; !known || u.lineLabel(l) == "" {
			t.Errorf("receipt line %s has no message", l.Key)
		}
	}
	fields.Birth = "1985"
	if got := []string{u.lineLabel(fields.Lines()[0]), u.lineLabel(fields.Lines()[2])}; got[0] != "Registrierungsnummer" || got[1] != "Geburtsjahr" {
		t.Errorf("ID and year of birth lines: %q", got)
	}
	// A line the app does not know yet keeps receipt's English.
	if got := u.lineLabel(receipt.Line{Label: "Something new", Key: "new"}); got != "Something new" {
		t.Errorf("unknown line: %q", got)
	}
}
