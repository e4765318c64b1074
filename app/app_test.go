package app

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

const pass = "correct horse battery 42"

// harness drives the UI like an officer: it finds visible widgets by their
// text or placeholder and taps and types into them. Work the UI sends to
// the UI goroutine is queued and run on the test goroutine, so nothing races.
type harness struct {
	t *testing.T
	u *UI
	q chan func()
}

func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	a := test.NewApp()
	t.Cleanup(func() { a.Quit() })
	h := &harness{t: t, q: make(chan func(), 1024)}
	h.u = New(a, dir, device.Options{Params: &vault.LowParams})
	// Tests start syncs themselves, and a test device enrolled with a
	// made-up hub address must never try to reach it.
	h.u.manualSync = true
	h.u.do = func(fn func()) { h.q <- fn }
	h.u.win.Resize(fyne.NewSize(1280, 800))
	t.Cleanup(func() {
		h.u.win.Close()
		h.drain(50 * time.Millisecond)
	})
	return h
}

// drain runs queued UI work for up to d.
func (h *harness) drain(d time.Duration) {
	deadline := time.After(d)
	for {
		select {
		case fn := <-h.q:
			fn()
		case <-deadline:
			return
		}
	}
}

// waitFor runs queued UI work until cond holds (or fails after 20 s).
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; screen %q shows:\n%s", what, h.u.screen, strings.Join(h.texts(), " | "))
		}
		select {
		case fn := <-h.q:
			fn()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// walk visits every visible object of the window, depth first.
func (h *harness) walk(visit func(fyne.CanvasObject)) { walkObj(h.u.win.Content(), visit) }

// walkObj visits every visible object under root, depth first.
func walkObj(root fyne.CanvasObject, visit func(fyne.CanvasObject)) {
	var rec func(o fyne.CanvasObject)
	rec = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		visit(o)
		switch x := o.(type) {
		case *fyne.Container:
			for _, c := range x.Objects {
				rec(c)
			}
		case fyne.Widget:
			for _, c := range test.WidgetRenderer(x).Objects() {
				rec(c)
			}
		}
	}
	rec(root)
}

// texts is what labels and buttons show, for failure messages.
func (h *harness) texts() []string {
	var out []string
	h.walk(func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			if x.Text != "" {
				out = append(out, x.Text)
			}
		case *widget.Button:
			out = append(out, "["+x.Text+"]")
		}
	})
	return out
}

func (h *harness) shows(text string) bool {
	for _, t := range h.texts() {
		if strings.Contains(t, text) {
			return true
		}
	}
	return false
}

func (h *harness) button(prefix string) *widget.Button {
	h.t.Helper()
	var found *widget.Button
	h.walk(func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && found == nil && strings.HasPrefix(b.Text, prefix) {
			found = b
		}
	})
	if found == nil {
		h.t.Fatalf("no button %q on screen %q: %s", prefix, h.u.screen, strings.Join(h.texts(), " | "))
	}
	return found
}

func (h *harness) tap(prefix string) {
	h.t.Helper()
	b := h.button(prefix)
	if b.Disabled() {
		h.t.Fatalf("button %q is disabled", prefix)
	}
	test.Tap(b)
}

// entry finds an entry by its placeholder.
func (h *harness) entry(placeholder string) *entry {
	h.t.Helper()
	var found *entry
	h.walk(func(o fyne.CanvasObject) {
		if e, ok := o.(*entry); ok && found == nil && e.PlaceHolder == placeholder {
			found = e
		}
	})
	if found == nil {
		h.t.Fatalf("no entry %q on screen %q", placeholder, h.u.screen)
	}
	return found
}

func (h *harness) typeInto(placeholder, text string) {
	h.t.Helper()
	e := h.entry(placeholder)
	h.u.win.Canvas().Focus(e)
	test.Type(e, text)
}

// pick types into a code picker and taps the first match.
func (h *harness) pick(placeholder, query, code string) {
	h.t.Helper()
	h.typeInto(placeholder, query)
	h.tap(code + " – ")
}

func (h *harness) radio(option string) *widget.RadioGroup {
	h.t.Helper()
	var found *widget.RadioGroup
	h.walk(func(o fyne.CanvasObject) {
		if r, ok := o.(*widget.RadioGroup); ok && found == nil && contains(r.Options, option) {
			found = r
		}
	})
	if found == nil {
		h.t.Fatalf("no radio group with %q", option)
	}
	return found
}

func (h *harness) choose(option string) {
	h.t.Helper()
	var found *widget.Select
	h.walk(func(o fyne.CanvasObject) {
		if s, ok := o.(*widget.Select); ok && found == nil && contains(s.Options, option) {
			found = s
		}
	})
	if found == nil {
		h.t.Fatalf("no select with %q", option)
	}
	found.SetSelected(option)
}

func (h *harness) checkBox(text string) *widget.Check {
	h.t.Helper()
	var found *widget.Check
	h.walk(func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Check); ok && found == nil && strings.HasPrefix(c.Text, text) {
			found = c
		}
	})
	if found == nil {
		h.t.Fatalf("no check box %q", text)
	}
	return found
}

// setUp runs the first-run screens and returns at the unlock screen.
func (h *harness) setUp() {
	h.t.Helper()
	if h.u.screen != "setup" {
		h.t.Fatalf("a fresh directory shows %q, want the set-up screen", h.u.screen)
	}
	h.pick("Type the country name or code, e.g. Bosnia or BIH", "BIH", "BIH")
	h.typeInto("e.g. BIH-VELIKA-KLADUSA", "BIH-VK-01")
	h.typeInto("your name as colleagues know it", "Officer Example")
	h.typeInto("at least 10 characters", pass)
	h.typeInto("type it again", "not the same passphrase")
	h.tap("Create this device")
	if !h.shows("The two passphrases are not the same.") {
		h.t.Fatal("a mismatched confirmation is not reported")
	}
	h.entry("type it again").SetText("")
	h.typeInto("type it again", pass)
	h.tap("Create this device")
	h.waitFor("the recovery key", func() bool { return h.u.screen == "recovery" })
	if !h.shows("AGE-SECRET-KEY-1") {
		h.t.Fatal("the recovery key is not shown")
	}
	if !h.button("Continue to unlock").Disabled() {
		h.t.Fatal("can continue before confirming the recovery key is stored")
	}
	// Saving the key writes it, whole, to the file the officer chose.
	keyFile := filepath.Join(h.t.TempDir(), "key.txt")
	saveFile := h.u.saveFile
	defer func() { h.u.saveFile = saveFile }()
	h.u.saveFile = func(name string, done func(fyne.URIWriteCloser)) {
		w, err := storage.Writer(storage.NewFileURI(keyFile))
		if err != nil {
			h.t.Fatal(err)
		}
		done(w)
	}
	h.tap("Save to file")
	if b, err := os.ReadFile(keyFile); err != nil || !strings.HasPrefix(string(b), "AGE-SECRET-KEY-1") || !h.shows("Saved. Now move that file") {
		h.t.Fatalf("recovery key file: %q %v", b, err)
	}
	test.Tap(h.checkBox("I have stored the recovery key"))
	h.tap("Continue to unlock")
	if h.u.screen != "unlock" {
		h.t.Fatalf("after set-up the screen is %q, want unlock", h.u.screen)
	}
}

func (h *harness) unlock(passphrase string) {
	h.t.Helper()
	h.typeInto("passphrase", passphrase)
	h.tap("Unlock")
}

// fillPerson fills the fields every registration needs.
func (h *harness) fillPerson(given, sex, precision, dob string) {
	precision = h.u.T(precision)
	h.t.Helper()
	h.typeInto("e.g. Omar Khaled", given)
	h.radio(sex).SetSelected(sex)
	h.choose(precision)
	h.typeInto(h.u.sh.reg.form.dob.PlaceHolder, dob)
}

func TestFirstRunUnlockRegisterFindAmend(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.setUp()

	// Wrong passphrase: a clear message with the delay and attempts left.
	h.unlock("wrong passphrase 123")
	h.waitFor("the wrong passphrase message", func() bool { return h.shows("Wrong passphrase.") })
	if !h.shows("attempts left") {
		t.Errorf("no attempts count: %v", h.texts())
	}
	if h.u.sess != nil {
		t.Fatal("a wrong passphrase opened a session")
	}
	h.waitFor("the delay to pass", func() bool { return h.shows("You can try again now") })
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	if !h.shows("Officer Example") {
		t.Error("the top bar does not name the officer")
	}

	// An empty form is refused with inline errors.
	h.tap("Review and save")
	if !h.shows("Enter a family name or given names.") || !h.shows("Choose a category.") {
		t.Fatalf("missing inline errors: %v", h.texts())
	}

	// A corrected field stops showing its error at once; the others stay
	// until they are corrected too.
	h.typeInto("e.g. HADDAD", "Sample-Haddad")
	if h.shows("Enter a family name or given names.") || !h.shows("Choose a category.") || !h.shows("Please correct the") {
		t.Fatalf("errors after correcting the name: %v", h.texts())
	}

	// A family of two: the second form starts with what the family shares.
	h.fillPerson("Example Omar", "Male", dobYear, "1985")
	h.pick("type a country, e.g. Syria or SYR; XXA stateless", "SYR", "SYR")
	h.pick("type a language, e.g. Arabic or Pashto", "arabic", "ara")
	h.radio(h.u.T(categoryLabels[registry.CategoryIrregular])).SetSelected(h.u.T(categoryLabels[registry.CategoryIrregular]))
	test.Tap(h.checkBox("An interpreter was used"))
	h.tap("Add family member")
	if !h.shows("Family or group: person 2") {
		t.Fatalf("no second member form: %v", h.texts())
	}
	f := h.u.sh.reg.form
	if f.family.Text != "Sample-Haddad" || strings.Join(f.nats.Selected(), ",") != "SYR" || !f.interpreter.Checked ||
		f.category.Selected != h.u.T(categoryLabels[registry.CategoryIrregular]) || f.relationship.Selected != h.u.T(relationshipLabels["child"]) {
		t.Fatalf("shared data not copied to the new member: family %q nat %v cat %q rel %q",
			f.family.Text, f.nats.Selected(), f.category.Selected, f.relationship.Selected)
	}
	h.fillPerson("Example Lina", "Female", dobEstimate, "7")
	h.typeInto("as printed", "n0123456")
	h.tap("Review and save")
	h.waitFor("the review", func() bool { return h.shows("Check before saving: 2 people") })
	if !h.shows("about ") || !h.shows("Head of family") {
		t.Errorf("review misses the estimated date or the relationship: %v", h.texts())
	}
	h.tap("Save 2 people")
	h.waitFor("the saved screen", func() bool { return h.shows("Saved 2 people") })
	ids := h.savedIDs()
	if len(ids) != 2 {
		t.Fatalf("saved screen shows %d IDs, want 2", len(ids))
	}
	for _, id := range ids {
		if _, err := registry.ParseRegID(id); err != nil {
			t.Errorf("saved ID %q: %v", id, err)
		}
	}

	// Find a member by name (accents and case do not matter), ID and document.
	h.tap("Records")
	r := h.u.sh.records
	h.waitFor("all records", func() bool { return len(r.ids) == 2 })
	for _, q := range []struct {
		text string
		want string
	}{{"LÍNA", ids[1]}, {ids[1], ids[1]}, {"N0123456", ids[1]}} {
		r.query.SetText("")
		h.typeInto("Search by name, registration ID or document number", q.text)
		h.waitFor("search "+q.text, func() bool { return len(r.ids) == 1 && r.ids[0] == q.want })
	}
	// A registration ID with one character mistyped: no record, and the
	// officer is told the ID itself is wrong.
	typo := []byte(ids[1])
	typo[len(typo)-1] = map[bool]byte{true: '3', false: '2'}[typo[len(typo)-1] == '2']
	r.query.SetText("")
	h.typeInto("Search by name, registration ID or document number", string(typo))
	h.waitFor("the typing-mistake hint", func() bool { return len(r.ids) == 0 && h.shows("typing mistake") })
	// Dates that are wrong or impossible: a clear message, and no list that
	// does not match the filters.
	r.query.SetText("")
	h.waitFor("all records again", func() bool { return len(r.ids) == 2 })
	r.from.SetText("2026-02-30")
	r.search()
	if len(r.ids) != 0 || !h.shows("2026-02-30 does not exist.") || !h.shows("Correct the dates to see records.") {
		t.Fatalf("impossible date: %d records listed, screen %v", len(r.ids), h.texts())
	}
	r.from.SetText("yesterday")
	r.search()
	if len(r.ids) != 0 || !h.shows("Type dates as YYYY-MM-DD, e.g. 2025-03-14.") {
		t.Fatalf("bad date: %d records listed, screen %v", len(r.ids), h.texts())
	}
	r.from.SetText("")
	r.query.SetText(ids[1])
	r.search()
	h.waitFor("the member again", func() bool { return len(r.ids) == 1 })
	h.waitFor("the row to be decrypted", func() bool { return h.shows("Example Lina") })
	r.list.Select(0)
	h.waitFor("the record", func() bool { return h.shows("Version 1") && h.shows("Registered on") })
	if !h.shows("Example Omar") {
		t.Error("the detail does not show the other family member")
	}

	// Amend: a reason is required; the history then holds two versions.
	h.tap("Amend")
	givenNames := h.entry("e.g. Omar Khaled")
	if givenNames.Text != "Example Lina" {
		t.Fatalf("the amend form shows given names %q, want Example Lina", givenNames.Text)
	}
	h.u.win.Canvas().Focus(givenNames)
	givenNames.TypedKey(&fyne.KeyEvent{Name: fyne.KeyEnd})
	test.Type(givenNames, " Maria")
	h.tap("Review changes")
	if !h.shows("Say why the record is changed.") {
		t.Fatalf("amending without a reason is not refused: %v", h.texts())
	}
	h.typeInto("why the record is changed, e.g. name spelled from passport", "second given name from her mother")
	h.tap("Review changes")
	h.waitFor("the amend review", func() bool { return h.shows("given names") })
	h.tap("Save new version")
	h.waitFor("the new version", func() bool { return h.shows("Version 2") })
	if !h.shows("Reason: second given name from her mother") || !h.shows("Changed: given names") {
		t.Errorf("history incomplete: %v", h.texts())
	}

	// Lock drops the session and every screen with personal data.
	h.tap("Lock")
	if h.u.sess != nil || h.u.sh != nil || h.u.screen != "unlock" {
		t.Fatal("Lock did not drop the session")
	}
	if h.shows("Example Lina") {
		t.Error("personal data still on screen after lock")
	}
}

// savedIDs reads the registration IDs of the receipts shown after saving,
// going through them one by one as an officer would.
func (h *harness) savedIDs() []string {
	h.t.Helper()
	rs := h.u.sh.reg.receipts
	if rs == nil {
		h.t.Fatal("no receipt screen after saving")
	}
	var ids []string
	for i := range rs.people {
		if i > 0 {
			h.tap(fmt.Sprintf("%d. ", i+1))
		}
		h.waitFor("receipt "+rs.people[i].id, func() bool { return h.shownID() == rs.people[i].id })
		ids = append(ids, h.shownID())
	}
	return ids
}

// shownID is the registration ID shown in large type, or "".
func (h *harness) shownID() string {
	id := ""
	h.walk(func(o fyne.CanvasObject) {
		if c, ok := o.(*canvas.Text); ok && id == "" {
			if _, err := registry.ParseRegID(c.Text); err == nil {
				id = c.Text
			}
		}
	})
	return id
}

func TestAutoLockAndSupervisor(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.setUp()
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })

	// Officers: add one; the list shows them.
	h.tap("Officers")
	h.typeInto("name as colleagues know it", "Officer Testovic")
	h.typeInto("at least 10 characters", "another good passphrase 7")
	h.typeInto("type it again", "another good passphrase 7")
	h.tap("Add officer")
	h.waitFor("the new officer", func() bool { return h.shows("Officer Testovic was added") })

	// Settings: the audit log verifies.
	h.tap("Settings")
	if !h.shows("fieldreg devel, commit unknown, sync protocol ") {
		t.Error("the settings do not name the release")
	}
	h.tap("Verify audit log")
	h.waitFor("the audit result", func() bool { return h.shows("The audit log is intact") })

	// Auto-lock after idle time.
	h.u.idle.start(100 * time.Millisecond)
	h.waitFor("auto-lock", func() bool { return h.u.screen == "unlock" })
	if h.u.sess != nil {
		t.Fatal("auto-lock left the session open")
	}
	if !h.shows("Locked after a period without use") {
		t.Error("no note why the app locked")
	}
	// Both officers can be chosen now.
	h.tap("Officer Testovic")
	h.unlock("another good passphrase 7")
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	if h.u.sh.nav[navOfficers] != nil {
		t.Error("a non-supervisor sees the officers screen")
	}
}
