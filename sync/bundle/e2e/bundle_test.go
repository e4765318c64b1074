package e2e

import (
	"bytes"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// stick is a directory standing for a USB stick.
func stick(t *testing.T) string { return t.TempDir() }

// TestRoundTrip: two devices that never see a network and one hub, all
// separate processes, exchange work only through bundle files; both end
// with the same records, nothing pending, and replays change nothing.
func TestRoundTrip(t *testing.T) {
	h := newHub(t, "BIH")
	a := newDevice(t, h, "tablet-a", "BIH-VK")
	b := newDevice(t, h, "tablet-b", "BIH-IZ")
	usb := stick(t)
	a.register(40, "Alpha")
	b.register(25, "Bravo")
	if _, _, p := a.state(); p != 40 {
		t.Fatalf("device a: %d pending before any bundle, want 40", p)
	}

	// Device -> hub.
	fa, fb := filepath.Join(usb, "a1.bundle"), filepath.Join(usb, "b1.bundle")
	out := must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa)
	if !strings.Contains(out, "40 events") {
		t.Fatalf("export a: %s", out)
	}
	must(t, "fieldreg", "bundle", "export", "--data", b.dir, "--passphrase-file", b.passFile, "--out", fb)
	for _, f := range []string{fa, fb} {
		if code, out := h.reghub("bundle", "import", f); code != 0 {
			t.Fatalf("hub import: %d %s", code, out)
		}
	}
	if n := h.events(); n != 65 {
		t.Fatalf("hub holds %d events, want 65", n)
	}
	// Importing the same bundle twice changes nothing.
	code, out := h.reghub("bundle", "import", fa)
	if code != 0 || !strings.Contains(out, "already imported") || h.events() != 65 {
		t.Fatalf("second import: %d %s", code, out)
	}

	// Hub -> devices: acknowledgement, trust, each other's events.
	ra, rb := filepath.Join(usb, "a-back.bundle"), filepath.Join(usb, "b-back.bundle")
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-a", "--out", ra)
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-b", "--out", rb)

	// Store and forward: the courier's laptop (or another tablet) cannot
	// open a bundle meant for someone else; nothing changes on it.
	dgB0, nB0, _ := b.state()
	code, out = b.fieldreg("bundle", "import", ra)
	if code == 0 || !strings.Contains(out, "addressed to another") {
		t.Fatalf("device b opened device a's bundle: %d %s", code, out)
	}
	if dg, n, _ := b.state(); dg != dgB0 || n != nB0 {
		t.Fatal("a refused bundle changed device b")
	}

	must(t, "fieldreg", "bundle", "import", "--data", a.dir, "--passphrase-file", a.passFile, ra)
	must(t, "fieldreg", "bundle", "import", "--data", b.dir, "--passphrase-file", b.passFile, rb)
	dgA, nA, pA := a.state()
	dgB, nB, pB := b.state()
	if nA != 65 || nB != 65 || dgA != dgB {
		t.Fatalf("device a %d records (%s), device b %d (%s); want the same 65", nA, dgA[:8], nB, dgB[:8])
	}
	if pA != 0 || pB != 0 {
		t.Fatalf("pending after the hub's acknowledgement: a %d, b %d", pA, pB)
	}
	// A bundle-only device is as current as one that syncs: its status
	// shows a complete exchange with the hub.
	s, done := a.session()
	st, err := s.Device().SyncStatus()
	done()
	if err != nil || st.LastSync.IsZero() || st.Waiting != 0 {
		t.Fatalf("sync status after bundles: %+v %v", st, err)
	}
	// The way back imported twice changes nothing.
	out = must(t, "fieldreg", "bundle", "import", "--data", a.dir, "--passphrase-file", a.passFile, ra)
	if !strings.Contains(out, "already imported") {
		t.Fatalf("second device import: %s", out)
	}
	if dg, n, _ := a.state(); dg != dgA || n != nA {
		t.Fatal("second device import changed the records")
	}

	// An older bundle after a newer one changes nothing: a2 (10 events) is
	// exported before a3 (those 10 and 5 more) but carried to the hub after.
	a.register(10, "Charlie")
	fa2, fa3 := filepath.Join(usb, "a2.bundle"), filepath.Join(usb, "a3.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa2)
	a.register(5, "Echo")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa3)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fa3)
	if n := h.events(); n != 80 {
		t.Fatalf("hub holds %d events, want 80", n)
	}
	out = must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fa2)
	if !strings.Contains(out, "0 new, 10 already held") || h.events() != 80 {
		t.Fatalf("older bundle after newer: %s", out)
	}
	// The hub still answers from the newer bundle's vector: nothing to send
	// back to device a but the acknowledgement.
	ra2 := filepath.Join(usb, "a-back2.bundle")
	out = must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-a", "--out", ra2)
	if !strings.Contains(out, ": 0 events") {
		t.Fatalf("answer after an older bundle: %s", out)
	}
	must(t, "fieldreg", "bundle", "import", "--data", a.dir, "--passphrase-file", a.passFile, ra2)
	if _, n, p := a.state(); n != 80 || p != 0 {
		t.Fatalf("device a: %d records, %d pending; want 80, 0", n, p)
	}

	// No personal data in any bundle file: they are ciphertext.
	files, _ := filepath.Glob(filepath.Join(usb, "*.bundle"))
	for _, f := range files {
		raw, _ := os.ReadFile(f)
		for _, marker := range []string{"Fakeperson", "Testee", "FAKEDOC", "Alpha", "Bravo", "Officer tablet"} {
			if bytes.Contains(bytes.ToLower(raw), bytes.ToLower([]byte(marker))) {
				t.Fatalf("%s holds %q in plaintext", filepath.Base(f), marker)
			}
		}
	}
}

// TestRefused: every bad bundle is refused whole with a clear message and
// the hub holds exactly what it held before.
func TestRefused(t *testing.T) {
	h := newHub(t, "BIH")
	other := newHub(t, "BIH")
	a := newDevice(t, h, "tablet-a", "BIH-VK")
	c := newDevice(t, h, "tablet-c", "BIH-VK")
	x := newDevice(t, other, "tablet-x", "BIH-VK")
	usb := stick(t)
	a.register(30, "Alpha")
	c.register(5, "Delta")
	x.register(5, "Xray")
	fa, fc, fx := filepath.Join(usb, "a.bundle"), filepath.Join(usb, "c.bundle"), filepath.Join(usb, "x.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa)
	must(t, "fieldreg", "bundle", "export", "--data", c.dir, "--passphrase-file", c.passFile, "--out", fc)
	must(t, "fieldreg", "bundle", "export", "--data", x.dir, "--passphrase-file", x.passFile, "--out", fx)
	good, _ := os.ReadFile(fa)

	random := make([]byte, 10_000)
	rand.Read(random)
	flipped := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x08; return b }
	cases := []struct {
		name, want string
		data       []byte
		path       string
	}{
		{name: "empty file", want: "not a fieldreg bundle", data: []byte{}},
		{name: "random file", want: "not a fieldreg bundle", data: random},
		{name: "truncated at 100", want: "damaged", data: good[:100]},
		{name: "truncated at half", want: "damaged", data: good[:len(good)/2]},
		{name: "truncated by one byte", want: "damaged", data: good[:len(good)-1]},
		{name: "flipped in the payload", want: "damaged", data: flipped(len(good) / 2)},
		{name: "flipped near the end", want: "damaged", data: flipped(len(good) - 5)},
		{name: "meant for another hub", want: "addressed to another", path: fx},
	}
	for _, tc := range cases {
		p := tc.path
		if p == "" {
			p = filepath.Join(usb, "bad.bundle")
			if err := os.WriteFile(p, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		code, out := h.reghub("bundle", "import", p)
		if code != 1 || !strings.Contains(out, tc.want) || !strings.Contains(out, "nothing was applied") {
			t.Errorf("%s: exit %d, %q; want exit 1 and %q", tc.name, code, out, tc.want)
		}
		if strings.Contains(out, "Fakeperson") {
			t.Errorf("%s: personal data in the message", tc.name)
		}
	}
	if n := h.events(); n != 0 {
		t.Fatalf("hub holds %d events after refused bundles", n)
	}

	// A revoked device's bundle is refused; another device's still goes in.
	must(t, "reghub", "revoke", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-a")
	code, out := h.reghub("bundle", "import", fa)
	if code != 1 || !strings.Contains(out, "revoked") {
		t.Fatalf("revoked exporter: exit %d %q", code, out)
	}
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fc)
	if n := h.events(); n != 5 {
		t.Fatalf("hub holds %d events, want 5 (device c only)", n)
	}
	// And the hub sends a revoked device nothing.
	if code, out := h.reghub("bundle", "export", "--device", "tablet-a", "--out", filepath.Join(usb, "r.bundle")); code == 0 {
		t.Fatalf("export to a revoked device: %s", out)
	}
	// The operator can accept what the revoked tablet registered before its
	// revocation (its stick left the post before the tablet was lost), but
	// never a bundle it exported afterwards.
	a.register(3, "Golf")
	late := filepath.Join(usb, "a-late.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", late)
	if code, out := h.reghub("bundle", "import", "--before-revocation", late); code != 1 || !strings.Contains(out, "exported after its device was revoked") {
		t.Fatalf("bundle exported after the revocation: exit %d %q", code, out)
	}
	if n := h.events(); n != 5 {
		t.Fatalf("hub holds %d events after a refused late bundle, want 5", n)
	}
	out = must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, "--before-revocation", fa)
	if !strings.Contains(out, "was revoked at") || !strings.Contains(out, "--before-revocation") {
		t.Errorf("the import of a revoked device's bundle is not marked: %s", out)
	}
	if n := h.events(); n != 35 {
		t.Fatalf("hub holds %d events, want 35 (device a's 30 from before its revocation, and c's 5)", n)
	}
	// A device refuses a bundle that is not from its hub: one for device c
	// imported by device c of... the other deployment's device x.
	rc := filepath.Join(usb, "c-back.bundle")
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-c", "--out", rc)
	if code, out := x.fieldreg("bundle", "import", rc); code != 1 || !strings.Contains(out, "addressed to another") {
		t.Fatalf("device of another hub: exit %d %q", code, out)
	}
}
