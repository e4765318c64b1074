package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestForwardSecretRoundTrip, between real processes: a device's first
// bundle falls back to the hub's long-term key and says so; the hub's
// answer is sealed to one of the device's one-time keys, the device's next
// bundle to one of the hub's, and each output says so. A copy of each
// stick imported again is a repeat ("already imported") that changes
// nothing; a copy of the answer taken by another device opens for nobody.
func TestForwardSecretRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t, "BIH")
	a := newDevice(t, h, "tablet-fs", "BIH-FS-01")
	usb := stick(t)
	a.register(3, "Fwd")
	b1 := filepath.Join(usb, "b1.bundle")
	out := must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", b1)
	if !strings.Contains(out, "sealed to the long-term bundle key of the hub") {
		t.Fatalf("first export, want the fallback said: %s", out)
	}
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, b1)
	r1 := filepath.Join(usb, "r1.bundle")
	out = must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-fs", "--out", r1)
	if !strings.Contains(out, "sealed to a one-time key of the device") {
		t.Fatalf("hub answer: %s", out)
	}
	copyR1 := filepath.Join(usb, "r1-copy.bundle")
	raw, _ := os.ReadFile(r1)
	if err := os.WriteFile(copyR1, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "fieldreg", "bundle", "import", "--data", a.dir, "--passphrase-file", a.passFile, r1)
	dg, n, pending := a.state()
	if n != 3 || pending != 0 {
		t.Fatalf("after the answer: %d records, %d pending", n, pending)
	}
	if out := must(t, "fieldreg", "bundle", "import", "--data", a.dir, "--passphrase-file", a.passFile, copyR1); !strings.Contains(out, "already imported") {
		t.Fatalf("copy of the answer: %s", out)
	}
	if dg2, _, _ := a.state(); dg2 != dg {
		t.Fatal("the copy changed the records")
	}
	// Another device cannot open the copy either (it was never for it).
	other := newDevice(t, h, "tablet-other", "BIH-FS-02")
	if code, out := other.fieldreg("bundle", "import", copyR1); code == 0 || !strings.Contains(out, "nothing was applied") {
		t.Fatalf("another device imported the copy: %d %s", code, out)
	}
	a.register(1, "Fwd2")
	b2 := filepath.Join(usb, "b2.bundle")
	out = must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", b2)
	if !strings.Contains(out, "sealed to a one-time key of the hub") {
		t.Fatalf("second export: %s", out)
	}
	before := h.events()
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, b2)
	if got := h.events(); got != before+1 {
		t.Fatalf("hub holds %d events, want %d", got, before+1)
	}
	if out := must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, b2); !strings.Contains(out, "already imported") {
		t.Fatalf("second import at the hub: %s", out)
	}
	for _, f := range []string{b1, r1, b2} {
		b, _ := os.ReadFile(f)
		for _, m := range []string{"FakepersonFwd", "FAKEDOCFwd"} {
			if strings.Contains(string(b), m) {
				t.Fatalf("%s holds %q in clear", filepath.Base(f), m)
			}
		}
	}
}
