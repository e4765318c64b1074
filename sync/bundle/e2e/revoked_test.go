package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/device"
)

// TestAttackRevokedByBundle: a device that learns from its hub's bundle
// that it is revoked stops issuing receipts (`fieldreg receipt` exits 1 and
// writes nothing) and saving registrations, and says why.
func TestAttackRevokedByBundle(t *testing.T) {
	h := newHub(t, "BIH")
	a := newDevice(t, h, "tablet-a", "BIH-VK")
	usb := stick(t)
	a.register(2, "Alpha")
	fa := filepath.Join(usb, "a.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fa)
	s, done := a.session()
	ids, err := s.Search(device.Query{Text: "FakepersonAlpha"})
	done()
	if err != nil || len(ids) != 2 {
		t.Fatalf("records: %v %v", ids, err)
	}
	before := filepath.Join(usb, "before.png")
	if code, out := run(t, "fieldreg", "receipt", "--data", a.dir, "--passphrase-file", a.passFile, "--png", before, ids[0]); code != 0 {
		t.Fatalf("receipt before the revocation: %d %s", code, out)
	}

	must(t, "reghub", "revoke", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-a")
	rb := filepath.Join(usb, "to-a.bundle")
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-a", "--out", rb)
	must(t, "fieldreg", "bundle", "import", "--data", a.dir, "--passphrase-file", a.passFile, rb)

	png, pdf := filepath.Join(usb, "after.png"), filepath.Join(usb, "after.pdf")
	code, out := run(t, "fieldreg", "receipt", "--data", a.dir, "--passphrase-file", a.passFile, "--png", png, "--pdf", pdf, ids[1])
	if code != 1 || !strings.Contains(out, "revoked") {
		t.Errorf("receipt on a device that knows it is revoked: exit %d %q", code, out)
	}
	for _, f := range []string{png, pdf} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s written by a revoked device (%v)", filepath.Base(f), err)
		}
	}
	if out := must(t, "fieldreg", "status", "--data", a.dir); !strings.Contains(out, "REVOKED from") {
		t.Errorf("status of a revoked device:\n%s", out)
	}
	_, n, _ := a.state()
	people := filepath.Join(usb, "people.jsonl")
	if err := os.WriteFile(people, []byte(`{"family_name":"Fakepersonlate","given_names":"Testee","sex":"X","birth_date":"1990","nationalities":["XXA"],"category":"irregular_crossing"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := run(t, "fieldreg", "register", "--data", a.dir, "--passphrase-file", a.passFile, "--json", people); code != 1 || !strings.Contains(out, "revoked") {
		t.Errorf("registration on a revoked device: exit %d %q", code, out)
	}
	if _, after, _ := a.state(); after != n {
		t.Errorf("a revoked device saved a registration: %d records, had %d", after, n)
	}
}
