package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/device"
)

// TestAttackRevokedBySync: once a sync answers "this device was revoked",
// the device refuses to issue receipts (`fieldreg receipt` exits 1 and
// writes nothing) or save registrations, and says why; the refusal holds
// without the hub (it is remembered) and the audit log records it.
func TestAttackRevokedBySync(t *testing.T) {
	h := serving(t)
	b := newDevice(t, h, "tablet-b", "BIH-IZACIC")
	b.register(2, "B")
	b.mustSync("sync")
	s, done := b.session()
	ids, err := s.Search(device.Query{Text: "FakepersonB"})
	done()
	if err != nil || len(ids) != 2 {
		t.Fatalf("records: %v %v", ids, err)
	}
	dir := t.TempDir()
	receipt := func(id, png string) (int, string) {
		code, out, errs := run(t, "fieldreg", "receipt", "--data", b.dir, "--passphrase-file", b.passFile, "--png", png, id)
		return code, out + errs
	}
	if code, out := receipt(ids[0], filepath.Join(dir, "before.png")); code != 0 {
		t.Fatalf("receipt before the revocation: %s", out)
	}

	must(t, "reghub", "revoke", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-b")
	if code, out := b.sync(""); code != 1 || !strings.Contains(out, "this device was revoked") {
		t.Fatalf("sync of a revoked device: exit %d\n%s", code, out)
	}
	h.stop() // what the device learnt, it keeps

	png := filepath.Join(dir, "after.png")
	if code, out := receipt(ids[1], png); code != 1 || !strings.Contains(out, "revoked") {
		t.Errorf("receipt on a device that knows it is revoked: exit %d %q", code, out)
	}
	if _, err := os.Stat(png); !os.IsNotExist(err) {
		t.Errorf("a revoked device wrote a receipt (%v)", err)
	}
	people := filepath.Join(dir, "people.jsonl")
	if err := os.WriteFile(people, []byte(`{"family_name":"Fakepersonlate","given_names":"Testee","sex":"X","birth_date":"1990","nationalities":["XXA"],"category":"irregular_crossing"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := run(t, "fieldreg", "register", "--data", b.dir, "--passphrase-file", b.passFile, "--json", people); code != 1 || !strings.Contains(out+errs, "revoked") {
		t.Errorf("registration on a revoked device: exit %d %q", code, out+errs)
	}
	if out := must(t, "fieldreg", "status", "--data", b.dir); !strings.Contains(out, "REVOKED from") {
		t.Errorf("status of a revoked device:\n%s", out)
	}
	s, done = b.session()
	defer done()
	if n, _ := s.Count(); n != 2 {
		t.Errorf("a revoked device saved a registration: %d records", n)
	}
	r, err := s.Device().OwnRevocation()
	if err != nil || r == nil || !r.ByHub {
		t.Errorf("own revocation: %+v %v", r, err)
	}
}
