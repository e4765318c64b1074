package app

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/storage"
)

func TestUSBExportImport(t *testing.T) {
	hb, url := syncTestHub(t, true)
	h := enrolledUI(t, hb, url, "tab1", nil)
	if _, err := h.u.sess.Register(syncFakePerson("Fakeperson", "Usbgiven")); err != nil {
		t.Fatal(err)
	}
	s := h.showSync()
	c := s.usb // the sync screen's own USB card
	h.waitFor("the waiting registration", func() bool { return len(s.pending.items) == 1 })

	files := t.TempDir()
	var saved string
	h.u.saveFile = func(name string, done func(fyne.URIWriteCloser)) {
		saved = filepath.Join(files, name)
		w, err := storage.Writer(storage.NewFileURI(saved))
		if err != nil {
			t.Fatal(err)
		}
		done(w)
	}

	// Export: a file named after the device and the time, holding no name.
	h.tap("Export to USB")
	if !c.exportBtn.Disabled() || !c.progress.Visible() {
		t.Error("no progress (or the buttons stay enabled) while exporting")
	}
	h.waitFor("the export result", func() bool { return h.shows("Bundle written:") || c.errMsg.Text() != "" })
	// While it ran, the bar counted the events (after the indeterminate
	// bar while the amount was unknown).
	if c.bar.Max != 1 || c.bar.Value != 1 {
		t.Errorf("progress bar %v of %v, want 1 of 1", c.bar.Value, c.bar.Max)
	}
	if c.errMsg.Text() != "" {
		t.Fatalf("export failed: %s", c.errMsg.Text())
	}
	devID := h.u.dev.Info().DeviceID
	if !regexp.MustCompile(`^` + regexp.QuoteMeta(devID) + `-\d{8}T\d{6}Z\.bundle$`).MatchString(filepath.Base(saved)) {
		t.Errorf("suggested name %q", filepath.Base(saved))
	}
	if !strings.Contains(c.result.Text(), "Take it to the district office; the hub's answer comes back as another bundle.") {
		t.Errorf("result %q", c.result.Text())
	}
	// The tablet's first bundle: no one-time key of the hub yet, and it says so.
	if !strings.Contains(c.result.Text(), "sealed to the hub's long-term key") {
		t.Errorf("result does not say the bundle fell back to the long-term key: %q", c.result.Text())
	}
	t.Logf("export: %s", c.result.Text())
	if c.progress.Visible() || c.exportBtn.Disabled() {
		t.Error("progress still shown (or buttons disabled) after the export")
	}
	b, err := os.ReadFile(saved)
	if err != nil || len(b) == 0 {
		t.Fatalf("bundle file: %d bytes, %v", len(b), err)
	}
	for _, plain := range []string{"Fakeperson", "Usbgiven", "FAKEPERSON"} {
		if bytes.Contains(b, []byte(plain)) {
			t.Errorf("the bundle holds %q in plaintext", plain)
		}
	}

	// Garbage: refused, nothing changed.
	garbage := filepath.Join(files, "garbage.bundle")
	if err := os.WriteFile(garbage, []byte("this is not a bundle at all, just some text on a stick\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var exts []string
	openPath := func(path string) {
		h.u.openFile = func(e []string, done func(fyne.URIReadCloser)) {
			exts = e
			r, err := storage.Reader(storage.NewFileURI(path))
			if err != nil {
				t.Fatal(err)
			}
			done(r)
		}
	}
	openPath(garbage)
	h.tap("Import from USB")
	h.waitFor("the refusal", func() bool { return c.errMsg.Text() != "" || c.result.Text() != "" })
	if c.errMsg.Text() != h.u.T(bundleRefused) || !h.shows(h.u.T(bundleRefused)) {
		t.Errorf("garbage: error %q, result %q", c.errMsg.Text(), c.result.Text())
	}
	if len(exts) != 1 || exts[0] != ".bundle" {
		t.Errorf("open dialog filter %v", exts)
	}
	s.reload()
	h.drain(100 * time.Millisecond)
	if len(s.pending.items) != 1 {
		t.Errorf("after the garbage import %d registrations wait, want 1", len(s.pending.items))
	}

	// The device's own bundle is not one for it: refused too.
	openPath(saved)
	h.tap("Import from USB")
	h.waitFor("the refusal", func() bool { return c.errMsg.Text() != "" || c.result.Text() != "" })
	if c.errMsg.Text() != h.u.T(bundleRefused) {
		t.Errorf("own bundle: error %q, result %q", c.errMsg.Text(), c.result.Text())
	}

	// The hub takes the bundle and answers: the waiting list empties.
	ctx := context.Background()
	if _, err := hb.ImportBundle(ctx, saved); err != nil {
		t.Fatalf("hub import: %v", err)
	}
	answer := filepath.Join(files, "answer.bundle")
	var ab bytes.Buffer
	if _, err := hb.ExportBundle(ctx, devID, &ab); err != nil {
		t.Fatalf("hub export: %v", err)
	}
	if err := os.WriteFile(answer, ab.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	openPath(answer)
	h.tap("Import from USB")
	h.waitFor("the import result", func() bool { return c.errMsg.Text() != "" || c.result.Text() != "" })
	if c.errMsg.Text() != "" {
		t.Fatalf("import failed: %s", c.errMsg.Text())
	}
	if !strings.HasPrefix(c.result.Text(), "Bundle imported:") || !strings.Contains(c.result.Text(), "The hub has acknowledged every registration made here.") {
		t.Errorf("result %q", c.result.Text())
	}
	t.Logf("import: %s", c.result.Text())
	h.waitFor("the list to empty", func() bool {
		return len(s.pending.items) == 0 && h.shows("Nothing waiting: every registration made here has reached the hub.")
	})

	// The same answer again: a replay changes nothing.
	h.tap("Import from USB")
	h.waitFor("the replay result", func() bool { return c.errMsg.Text() != "" || c.result.Text() != "" })
	if c.result.Text() != "This bundle was already imported: nothing changed." {
		t.Errorf("replay: result %q, error %q", c.result.Text(), c.errMsg.Text())
	}
}

func TestUSBCardStandalone(t *testing.T) {
	h, _ := unlocked(t)
	c := newUSBCard(h.u)
	if c.root == nil || c.exportBtn != nil {
		t.Fatal("a standalone device offers USB bundles")
	}
}

func TestUSBBundleReader(t *testing.T) {
	// A reader that cannot seek is copied to an owner-only temporary file
	// in the data directory, removed when the import is done.
	dir := t.TempDir()
	// A copy left by an import cut short is removed by the next import.
	if err := os.WriteFile(filepath.Join(dir, ".bundle-import-stale"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, done, err := bundleReader(io.LimitReader(strings.NewReader("ciphertext"), 100), dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r)
	if string(b) != "ciphertext" {
		t.Errorf("read %q", b)
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Error(err)
	}
	copies, _ := filepath.Glob(filepath.Join(dir, ".bundle-import-*"))
	if len(copies) != 1 {
		t.Fatalf("%d copies", len(copies))
	}
	if fi, err := os.Stat(copies[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("copy mode %v %v", fi.Mode(), err)
	}
	done()
	if copies, _ := filepath.Glob(filepath.Join(dir, ".bundle-import-*")); len(copies) != 0 {
		t.Error("the copy is left behind")
	}
	// One that can is used as it is.
	f := bytes.NewReader([]byte("x"))
	if got, done, _ := bundleReader(f, dir); got != io.ReadSeeker(f) {
		t.Error("a seekable reader was copied")
	} else {
		done()
	}
	if got := englishUI().importErrorText(errBundleTooBig); got != "This file is too large to be a bundle: nothing was applied." {
		t.Error(got)
	}
}
