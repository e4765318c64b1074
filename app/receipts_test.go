package app

import (
	"bytes"
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

	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/registry"
)

// unlocked sets up a device and unlocks it as its supervisor. Files the UI
// saves go to the returned directory; none is opened unless a test sets
// h.open.
func unlocked(t *testing.T) (*harness, string) {
	t.Helper()
	h := newHarness(t, t.TempDir())
	out := t.TempDir()
	h.u.saveFile = func(name string, done func(fyne.URIWriteCloser)) {
		w, err := storage.Writer(storage.NewFileURI(filepath.Join(out, name)))
		if err != nil {
			t.Fatal(err)
		}
		done(w)
	}
	h.u.openFile = func([]string, func(fyne.URIReadCloser)) { t.Fatal("unexpected file dialog") }
	h.u.printer = nil
	h.setUp()
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	return h, out
}

// openFrom makes the next "Open…" dialog choose path.
func (h *harness) openFrom(path string) {
	h.u.openFile = func(_ []string, done func(fyne.URIReadCloser)) {
		r, err := storage.Reader(storage.NewFileURI(path))
		if err != nil {
			h.t.Fatal(err)
		}
		done(r)
	}
}

// qrShown reports whether a QR code image is on screen.
func (h *harness) qrShown() bool {
	found := false
	h.walk(func(o fyne.CanvasObject) {
		if img, ok := o.(*canvas.Image); ok && img.Image != nil && img.ScaleMode == canvas.ImageScalePixels {
			found = true
		}
	})
	return found
}

// registerOne fills the form for one person and saves them.
func (h *harness) registerOne(family, given, sex, dob string) {
	h.t.Helper()
	h.typeInto("e.g. HADDAD", family)
	h.fillPerson(given, sex, dobFull, dob)
	h.radio(h.u.T(categoryLabels[registry.CategoryIrregular])).SetSelected(h.u.T(categoryLabels[registry.CategoryIrregular]))
	h.tap("Review and save")
	h.waitFor("the review", func() bool { return h.shows("Check before saving") })
	h.tap("Save")
	h.waitFor("the receipt", func() bool { return h.u.sh.reg.receipts != nil && h.qrShown() })
}

func TestReceiptSaveAndVerify(t *testing.T) {
	h, out := unlocked(t)
	h.registerOne("Sample-Haddad", "Example Lina", "Female", "1990-04-12")
	id := h.u.sh.reg.receipts.people[0].id
	for _, want := range []string{"Registration ID", "Year of birth", "1990", "Registered on", "BIH-VK-01", "BIH"} {
		if !h.shows(want) {
			t.Errorf("the receipt screen does not show %q: %v", want, h.texts())
		}
	}
	if h.shownID() != id {
		t.Errorf("the receipt shows ID %q, want %q", h.shownID(), id)
	}
	if h.shows("Print") && h.u.printer == nil {
		t.Error("Print is offered without a printer")
	}

	// Save PNG: the file is named after the ID only and decodes to a valid receipt.
	h.tap("Save PNG")
	h.waitFor("the PNG to be saved", func() bool { return h.shows("Saved as " + id + ".png") })
	f, err := os.Open(filepath.Join(out, id+".png"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := receipt.ScanImage(f)
	f.Close()
	if err != nil {
		t.Fatalf("the saved PNG does not scan: %v", err)
	}
	v, err := h.u.dev.VerifyReceipt(text)
	if err != nil || !v.Valid || v.RegistrationID != id {
		t.Fatalf("the saved PNG's receipt: %+v, %v", v, err)
	}
	h.tap("Save PDF")
	h.waitFor("the PDF to be saved", func() bool { return h.shows("Saved as " + id + ".pdf") })
	if b, err := os.ReadFile(filepath.Join(out, id+".pdf")); err != nil || !bytes.HasPrefix(b, []byte("%PDF")) {
		t.Fatalf("the saved PDF: %v", err)
	}

	// Print hands the PDF to the print system, and says what happened.
	var printed []byte
	h.u.printer = func(pdf []byte) (string, error) { printed = pdf; return "request id is office-7", nil }
	h.tap("Register next person") // a fresh screen picks up the printer
	h.u.sh.open(navRecords)
	h.waitFor("the record in the list", func() bool { return len(h.u.sh.records.ids) == 1 })
	h.u.sh.records.list.Select(0)
	h.waitFor("the record", func() bool { return h.shows("Version 1") })
	h.tap("Receipt")
	h.waitFor("the reissued receipt", func() bool { return h.qrShown() && h.shows("earlier receipts") })
	h.tap("Print")
	h.waitFor("the print result", func() bool { return h.shows("Sent to the printer") })
	if !bytes.HasPrefix(printed, []byte("%PDF")) {
		t.Error("the printer was not given the PDF")
	}
	h.tap("Back to the record")
	h.waitFor("the record again", func() bool { return h.shows("Version 1") })

	// Verify: typed as a keyboard-wedge scanner types, then Enter.
	test.Tap(h.u.sh.nav[navVerify])
	vs := h.u.sh.verify
	if h.u.win.Canvas().Focused() != vs.input {
		t.Error("the scan field is not focused when the screen opens")
	}
	test.Type(vs.input, text)
	vs.input.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	h.waitFor("the verdict", func() bool { return vs.last != nil })
	if !vs.last.Valid || !h.shows("VALID") || h.shows("NOT VALID") || !h.shows("EXAMPLE LINA") {
		t.Fatalf("a genuine receipt is not shown VALID: %v", h.texts())
	}
	if vs.input.Text != "" || h.u.win.Canvas().Focused() != vs.input {
		t.Error("the field is not cleared and focused for the next scan")
	}
	if h.shows("after this receipt was issued") {
		t.Error("a receipt of an unchanged record is said to be outdated")
	}
	h.tap("Open record")
	h.waitFor("the record from the verdict", func() bool { return h.shows("Version 1") })
	h.tap("Back to verify")

	// Altered: one character changed.
	vs = h.u.sh.verify
	altered := []rune(text)
	i := len(altered) / 2
	if altered[i] == 'A' {
		altered[i] = 'B'
	} else {
		altered[i] = 'A'
	}
	test.Type(vs.input, string(altered))
	h.tap("Check receipt")
	h.waitFor("the verdict", func() bool { return vs.last != nil })
	if vs.last.Valid || !h.shows("NOT VALID") || !h.shows("Reason:") {
		t.Fatalf("an altered receipt is not shown NOT VALID: %v", h.texts())
	}
	h.tap("Clear for the next scan")
	if vs.last != nil || h.shows("NOT VALID") {
		t.Error("Clear leaves the verdict")
	}

	// Paste: a trailing line break must not become a space.
	cb := h.u.app.Clipboard()
	cb.SetContent(text + "\r\n")
	h.u.win.Canvas().Focus(vs.input)
	vs.input.TypedShortcut(&fyne.ShortcutPaste{Clipboard: cb})
	if cb.Content() != text+"\r\n" {
		t.Error("pasting changed the clipboard")
	}
	if vs.input.Text != text {
		t.Fatalf("pasted %d characters, want the %d of the code", len(vs.input.Text), len(text))
	}
	h.tap("Check receipt")
	h.waitFor("the verdict", func() bool { return vs.last != nil })
	if !vs.last.Valid {
		t.Errorf("a pasted receipt is not valid: %s", vs.last.Message)
	}

	// Open image: the saved PNG, and a file that is no picture.
	h.openFrom(filepath.Join(out, id+".png"))
	h.tap("Open image")
	h.waitFor("the verdict", func() bool { return vs.last != nil && vs.last.Valid })
	notImage := filepath.Join(out, "notes.png")
	if err := os.WriteFile(notImage, []byte("not a picture"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.openFrom(notImage)
	h.tap("Open image")
	h.waitFor("the error", func() bool { return h.shows("not a PNG or JPEG picture") })

	// The record's name amended after the receipt: still VALID (the
	// receipt is genuine), with a note that what it prints has changed.
	rv, err := h.u.sess.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	amended := rv.Person
	amended.GivenNames = "Example Lina Maria"
	if err := h.u.sess.Amend(id, &amended, "second given name"); err != nil {
		t.Fatal(err)
	}
	test.Type(vs.input, text)
	h.tap("Check receipt")
	h.waitFor("the note on the changed record", func() bool { return vs.last != nil && h.shows("after this receipt was issued") })
	if !vs.last.Valid {
		t.Error("a genuine receipt of an amended record is not valid")
	}
}

func TestCandidatesSamePersonLinksAfterSave(t *testing.T) {
	h, _ := unlocked(t)
	earlier, err := h.u.sess.Register(&registry.Person{FamilyName: "Sample-Haddad", GivenNames: "Example Mohammed",
		Sex: "M", BirthDate: registry.Date{Year: 1984, Month: 2, Day: 29}, Nationalities: []string{"SYR"},
		Category: registry.CategoryIrregular, Encounter: registry.Encounter{Place: "BIH-VK-01", At: h.u.dev.Now().Add(-48 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	// A transliteration variant of the same person.
	h.typeInto("e.g. HADDAD", "Sample Hadad")
	h.fillPerson("Example Muhammad", "Male", dobFull, "1984-02-29")
	panel := h.u.sh.reg.panel
	h.waitFor("the candidates panel", func() bool { return panel.root.Visible() && len(panel.found) > 0 })
	if panel.found[0].ID != earlier || !h.shows("Possible earlier registration") || !h.shows("✓ ") {
		t.Fatalf("the panel does not propose %s with reasons: %v", earlier, h.texts())
	}
	h.tap("Open and decide")
	h.waitFor("the earlier record", func() bool { return h.shows("Is this the same person?") && h.shows("Example Mohammed") })
	h.tap("Same person")
	h.waitFor("the decision on the panel", func() bool { return h.shows("Decided: the same person as") })
	if len(h.u.sh.reg.formDecisions) != 1 {
		t.Fatal("the decision is not kept")
	}
	h.radio(h.u.T(categoryLabels[registry.CategoryIrregular])).SetSelected(h.u.T(categoryLabels[registry.CategoryIrregular]))
	h.tap("Review and save")
	h.waitFor("the review", func() bool { return h.shows("Check before saving") })
	if !h.shows("Decided: the same person as") {
		t.Errorf("the review does not show the decision: %v", h.texts())
	}
	h.tap("Save")
	h.waitFor("the receipt", func() bool { return h.u.sh.reg.receipts != nil })
	newID := h.u.sh.reg.receipts.people[0].id
	rv, err := h.u.sess.Get(newID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rv.Links) != 1 || rv.Links[0].Other != earlier || !rv.Links[0].Same {
		t.Fatalf("links of the new record: %+v, want same as %s", rv.Links, earlier)
	}
	// The decided pair is no longer proposed to supervisors.
	pairs, err := h.u.sess.LikelyDuplicates(0, nil)
	if err != nil || len(pairs) != 0 {
		t.Errorf("likely duplicates after deciding: %d, %v", len(pairs), err)
	}
}

func TestSupervisorDuplicatesReview(t *testing.T) {
	h, _ := unlocked(t)
	enc := registry.Encounter{Place: "BIH-VK-01", At: h.u.dev.Now().Add(-time.Hour)}
	var ids []string
	for _, p := range []registry.Person{
		{FamilyName: "Testovic", GivenNames: "Example Hussein", Sex: "M", BirthDate: registry.Date{Year: 1991, Month: 6, Day: 3}, Nationalities: []string{"IRQ"}},
		{FamilyName: "Testović", GivenNames: "Example Hossein", Sex: "M", BirthDate: registry.Date{Year: 1991, Month: 6, Day: 3}, Nationalities: []string{"IRQ"}},
		{FamilyName: "Placeholder", GivenNames: "Example Amina", Sex: "F", BirthDate: registry.Date{Year: 2001}, Nationalities: []string{"SOM"}},
	} {
		p := p
		p.Category = registry.CategoryIrregular
		p.Encounter = enc
		id, err := h.u.sess.Register(&p)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	h.tap("Duplicates")
	d := h.u.sh.dups
	h.waitFor("the pairs", func() bool { return !d.running && len(d.pairs) > 0 })
	if len(d.pairs) != 1 || !h.shows("1 pair to decide") || !h.shows("Example Hossein") || !h.shows("Example Hussein") {
		t.Fatalf("want the one pair: %d pairs; %v", len(d.pairs), h.texts())
	}
	h.tap("Open")
	h.waitFor("a record of the pair", func() bool { return h.shows("Version 1") })
	h.tap("Back to duplicates")
	h.tap("Same person")
	h.tap("Same person") // a second tap while the first is saved saves nothing
	h.waitFor("the pair to leave", func() bool { return len(d.pairs) == 0 })
	if !h.shows("No likely duplicates left") {
		t.Errorf("the list does not say it is done: %v", h.texts())
	}
	var links []registry.LinkState
	versions := 0
	for i, id := range ids[:2] {
		rv, err := h.u.sess.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		versions += len(rv.Versions)
		for _, l := range rv.Links {
			if l.Other == ids[1-i] && l.Same {
				links = append(links, l)
			}
		}
	}
	if len(links) != 1 || versions != 3 {
		t.Fatalf("the decision is not one link event between the pair: %+v, %d versions", links, versions)
	}
	// Looking again finds nothing new.
	h.tap("Look again")
	h.waitFor("the second run", func() bool { return !d.running })
	if len(d.pairs) != 0 {
		t.Errorf("a decided pair comes back: %d", len(d.pairs))
	}
}

func TestTrustSettings(t *testing.T) {
	h, out := unlocked(t)
	h.tap("Settings")
	h.tap("Export trust file")
	h.waitFor("the export", func() bool { return h.shows("Saved as fieldreg-trust-bih.json") })
	path := filepath.Join(out, "fieldreg-trust-bih.json")
	h.openFrom(path)
	h.tap("Import trust or revocation file")
	h.waitFor("the import", func() bool { return h.shows("held nothing new") })

	// Revoke another device, then the exported file carries the revocation.
	h.typeInto("device ID, as shown on its receipts", "dev-example-0001")
	h.tap("Revoke device")
	confirm := false
	for _, o := range h.u.win.Canvas().Overlays().List() {
		if strings.Contains(strings.Join(textsOf(o), " "), "Revoke device dev-example-0001?") {
			confirm = true
		}
	}
	if !confirm {
		t.Fatal("revoking asks for no confirmation")
	}
	h.tapOverlay("Yes")
	h.waitFor("the revocation", func() bool { return h.shows("is revoked from") })
	tf, err := h.u.dev.TrustFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := tf.RevokedAt("BIH", "dev-example-0001"); !ok {
		t.Error("the device is not in the revocation list")
	}

	// Receipts: full date of birth.
	test.Tap(h.checkBox("Print the full date of birth"))
	h.waitFor("the setting to be saved", func() bool { return h.shows("full date of birth when it is known") })
	if !h.u.dev.ReceiptFullBirthDate() || !h.shows("full date of birth when it is known") {
		t.Error("the receipt birth date setting is not saved")
	}
}

// textsOf is what labels and buttons under o show.
func textsOf(o fyne.CanvasObject) []string {
	var out []string
	walkObj(o, func(o fyne.CanvasObject) {
		switch x := o.(type) {
		case *widget.Label:
			out = append(out, x.Text)
		case *widget.Button:
			out = append(out, x.Text)
		}
	})
	return out
}

// tapOverlay taps the button labelled text in the top dialog.
func (h *harness) tapOverlay(text string) {
	h.t.Helper()
	top := h.u.win.Canvas().Overlays().Top()
	var found *widget.Button
	walkObj(top, func(o fyne.CanvasObject) {
		if b, ok := o.(*widget.Button); ok && found == nil && b.Text == text {
			found = b
		}
	})
	if found == nil {
		h.t.Fatalf("no %q in the dialog", text)
	}
	test.Tap(found)
}

// TestOwnerOnly: a file the app saves is made readable by its owner only
// before anything is written to it.
func TestOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "receipt.png")
	w, err := storage.Writer(storage.NewFileURI(path))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ownerOnly(w); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v, want 0600", fi.Mode().Perm(), err)
	}
}
