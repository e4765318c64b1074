package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoticeContacts: the authority sets its notice contacts at the hub;
// a device receives them by sync, another by USB bundle, and both print
// them on the information notice; newer contacts replace older ones, and a
// bad contacts file changes nothing.
func TestNoticeContacts(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t)
	dir := filepath.Dir(h.dir)
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("c1.json", `{"controller":"Ministry of Testing","controller_contact":"info@example.ba","dpo":"dpo@example.ba","supervisor":"Test Agency","supervisor_contact":"agency@example.ba","legal_basis":"Test Law 1/26"}`)
	must(t, "reghub", "contacts", "--data", h.dir, "--passphrase-file", h.passFile, "--set", first)
	bad := write("bad.json", `{"controller":"Ministry of Testing","dpo":""}`)
	if code, _, _ := run(t, "reghub", "contacts", "--data", h.dir, "--passphrase-file", h.passFile, "--set", bad); code != 1 {
		t.Errorf("incomplete contacts: exit %d", code)
	}
	if out := must(t, "reghub", "contacts", "--data", h.dir, "--passphrase-file", h.passFile); !strings.Contains(out, "dpo@example.ba") {
		t.Errorf("the bad file changed the contacts:\n%s", out)
	}

	h.start("127.0.0.1:0")
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-SAMAC")
	if code, _, _ := run(t, "fieldreg", "contacts", "--data", a.dir); code != 1 {
		t.Error("contacts shown before any sync")
	}
	a.mustSync("sync")
	noticeSays := func(d *devProc, want string) {
		t.Helper()
		out := must(t, "fieldreg", "notice", "--lang", "ara", "--data", d.dir, "--text")
		if !strings.Contains(out, want) {
			t.Errorf("the notice does not say %q:\n%s", want, out)
		}
	}
	noticeSays(a, "Ministry of Testing")
	noticeSays(a, "dpo@example.ba")

	// Device B has no network: its bundle goes to the hub, and the hub's
	// answer bundle carries the contacts back.
	up := filepath.Join(dir, "from-b.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", b.dir, "--passphrase-file", b.passFile, "--out", up)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, up)
	bf := filepath.Join(dir, "to-b.bundle")
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-b", "--out", bf)
	must(t, "fieldreg", "bundle", "import", "--data", b.dir, "--passphrase-file", b.passFile, bf)
	noticeSays(b, "agency@example.ba")

	// A device cannot set the authority's contacts.
	if code, _, errs := run(t, "fieldreg", "contacts", "--data", a.dir, "--passphrase-file", a.passFile, "--set", first); code != 1 || !strings.Contains(errs, "hub") {
		t.Errorf("an enrolled device set the contacts: exit %d %s", code, errs)
	}

	second := write("c2.json", `{"controller":"Ministry of Testing","controller_contact":"info@example.ba","dpo":"new-dpo@example.ba","supervisor":"Test Agency","supervisor_contact":"agency@example.ba"}`)
	must(t, "reghub", "contacts", "--data", h.dir, "--passphrase-file", h.passFile, "--set", second)
	a.mustSync("sync")
	noticeSays(a, "new-dpo@example.ba")
}
