package app

import (
	"os"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/internal/i18n"
)

// visibleTexts are the labels' and buttons' texts in the window's overlays.
func overlayTexts(w fyne.Window) []string {
	var out []string
	for _, o := range w.Canvas().Overlays().List() {
		walkObj(o, func(c fyne.CanvasObject) {
			switch x := c.(type) {
			case *widget.Label:
				out = append(out, x.Text)
			case *widget.Button:
				out = append(out, x.Text)
			}
		})
	}
	return out
}

// Fyne's own dialogs (file open and save, confirm) speak the officer's
// language and switch with it: Fyne's translations where Fyne has the
// language, ours where it does not, whatever the system locale.
func TestFyneDialogsFollowOfficer(t *testing.T) {
	a := test.NewTempApp(t)
	w := a.NewWindow("")
	w.Resize(fyne.NewSize(1000, 700))
	u := &UI{win: w}
	defer useFyneLanguage(i18n.MustNew(i18n.Default))

	for _, c := range []struct{ tag, open, cancel, yes string }{
		{"sr-Cyrl", "Отвори датотеку", "Откажи", "Да"},
		{"de", "Öffnen Datei", "Abbrechen", "Ja"}, // Fyne's own German
		{"sl", "Odpri datoteko", "Prekliči", "Da"},
		{"el", "Άνοιγμα Αρχείο", "Ακύρωση", "Ναι"}, // Fyne's own Greek
		{"en", "Open File", "Cancel", "Yes"},
	} {
		u.useLanguage(c.tag)
		d := dialog.NewFileOpen(func(fyne.URIReadCloser, error) {}, w)
		d.Show()
		texts := strings.Join(overlayTexts(w), "|")
		if !strings.Contains(texts, c.open) || !strings.Contains(texts, c.cancel) {
			t.Errorf("%s: the file dialog shows %q, want %q and %q", c.tag, texts, c.open, c.cancel)
		}
		d.Hide()
		cd := dialog.NewConfirm("", "", func(bool) {}, w)
		cd.Show()
		if texts := overlayTexts(w); !contains(texts, c.yes) {
			t.Errorf("%s: the confirm dialog shows %q, want %q", c.tag, texts, c.yes)
		}
		cd.Hide()
	}

	// A system locale Fyne has its own words for (French) does not win
	// over the officer's language.
	t.Setenv("LC_ALL", "fr_FR.UTF-8")
	t.Setenv("LANGUAGE", "fr")
	u.useLanguage("hr")
	if got := lang.L("Cancel"); got != "Odustani" {
		t.Errorf("French system, Croatian officer: %q", got)
	}
	u.useLanguage("el")
	if got := lang.L("Cancel"); got != "Ακύρωση" {
		t.Errorf("French system, Greek officer: %q", got)
	}
}

// The German and Greek words the app gives Fyne are Fyne's own, copied
// into the catalogue: read through Fyne with the system locale set to the
// language, before the app has given Fyne anything for it.
func TestFyneWordsAreFynes(t *testing.T) {
	for _, tag := range []string{"de", "el"} {
		if strings.HasPrefix(string(lang.SystemLocale()), tag) {
			t.Skipf("the system locale is %s: the app has replaced Fyne's own words for it", lang.SystemLocale())
		}
	}
	defer func() {
		// Back to the test's locale.
		_ = lang.AddTranslationsForLocale([]byte("{}"), "en")
	}()
	for _, tag := range []string{"de", "el"} {
		func() {
			defer os.Setenv("LC_ALL", os.Getenv("LC_ALL"))
			defer os.Setenv("LANGUAGE", os.Getenv("LANGUAGE"))
			os.Setenv("LC_ALL", tag+".UTF-8")
			os.Setenv("LANGUAGE", tag)
			// Adding no messages makes Fyne pick its language again.
			if err := lang.AddTranslationsForLocale([]byte("{}"), fyne.Locale(tag)); err != nil {
				t.Fatal(err)
			}
			cat, err := i18n.Catalogue(tag)
			if err != nil {
				t.Fatal(err)
			}
			for id, key := range fyneWords {
				if got, ours := lang.X(id, "?"), cat[key]["other"]; got != ours {
					t.Errorf("%s %s: Fyne says %q, the catalogue %q", tag, id, got, ours)
				}
			}
		}()
	}
}
