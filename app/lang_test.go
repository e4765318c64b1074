package app

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/i18n"
)

// pickLanguage chooses the language tag in the language picker on screen.
func pickLanguage(h *harness, tag string) {
	h.t.Helper()
	l, err := i18n.Lookup(tag)
	if err != nil {
		h.t.Fatal(err)
	}
	name := l.Name
	var picker *widget.Select
	h.walk(func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && picker == nil && contains(s.Options, name) {
			picker = s
		}
	})
	if picker == nil {
		h.t.Fatalf("no language picker offers %q", name)
	}
	picker.SetSelected(name)
	h.drain(100 * time.Millisecond)
}

// An officer switches language at once (no restart), keeps it as theirs
// across locks and restarts, and sees form problems in it; the device's
// default and --lang work as documented.
func TestOfficerLanguage(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.setUp()
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	officer := h.u.sess.Officer().ID

	pickLanguage(h, "sr-Cyrl")
	h.waitFor("the shell in Serbian", func() bool { return h.shows("Евидентирање") && h.shows("Евиденције") })
	if h.shows("Records") || h.shows("Register") {
		t.Errorf("English left on screen after the switch: %v", h.texts())
	}
	if got := h.u.dev.OfficerLanguage(officer); got != "sr-Cyrl" {
		t.Errorf("stored language %q", got)
	}
	// A problem from registry.Validate, in the officer's language.
	h.tap("Прегледај и сачувај")
	if !h.shows("Унесите презиме или име.") || !h.shows("Изаберите категорију.") {
		t.Fatalf("form problems not in Serbian: %v", h.texts())
	}

	// The supervisor sets German as the device's default; the officer's
	// own language still wins for them.
	if err := h.u.sess.SetDefaultLanguage("de"); err != nil {
		t.Fatal(err)
	}
	h.tap("Закључај")
	if h.u.screen != "unlock" || !h.shows("Откључај fieldreg") {
		t.Fatalf("the unlock screen is not in the officer's language: %v", h.texts())
	}

	// Restart: the device's default first, then the officer's own once
	// they are chosen (the only officer is chosen at once).
	h.u.close()
	h2 := newHarness(t, dir)
	if got := h2.u.startLanguage(); got != "de" {
		t.Errorf("start language %q, want de", got)
	}
	if !h2.shows("Откључај fieldreg") {
		t.Errorf("after a restart the officer's language is lost: %v", h2.texts())
	}
	// Picking a language on the unlock screen changes it at once and
	// becomes the officer's at unlock.
	pickLanguage(h2, "el")
	if !h2.shows("Ξεκλείδωμα fieldreg") {
		t.Fatalf("the unlock screen did not switch to Greek: %v", h2.texts())
	}
	h2.typeInto("φράση πρόσβασης", pass)
	h2.tap("Ξεκλείδωμα")
	h2.waitFor("the shell in Greek", func() bool { return h2.u.screen == "shell" && h2.shows("Καταγραφή") })
	if got := h2.u.dev.OfficerLanguage(officer); got != "el" {
		t.Errorf("language picked at unlock not stored: %q", got)
	}
	h2.u.close()

	// --lang overrides everything for the run.
	a := test.NewApp()
	t.Cleanup(func() { a.Quit() })
	u := newUI(a, dir, device.Options{Params: &vault.LowParams}, "mk")
	u.manualSync = true
	defer u.close()
	h3 := &harness{t: t, u: u, q: make(chan func(), 1024)}
	u.do = func(fn func()) { h3.q <- fn }
	if !h3.shows("Отклучи fieldreg") {
		t.Errorf("--lang mk: %v", h3.texts())
	}
}
