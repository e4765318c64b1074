package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/device"
)

// An enrolled tablet whose only officer forgot the passphrase, or is locked
// out, is not lost: HQ writes the authority's recovery key with reghub, and
// fieldreg recover on the tablet gives the officer a new passphrase (and
// unlocks them). The records are intact.
func TestRecoverEnrolledDevice(t *testing.T) {
	h := newHub(t)
	d := newDevice(t, h, "tablet-r", "BIH-VK")
	d.register(3, "Recover")
	dgBefore, n := d.digest()

	key := filepath.Join(t.TempDir(), "recovery.key")
	out := must(t, "reghub", "recovery-key", "--data", h.dir, "--passphrase-file", h.passFile, "--out", key)
	if !strings.Contains(out, "opens every device") {
		t.Errorf("no warning with the key: %s", out)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
	if code, _, errs := run(t, "reghub", "recovery-key", "--data", h.dir, "--passphrase-file", h.passFile, "--out", key); code == 0 || !strings.Contains(errs, "already exists") {
		t.Fatalf("recovery-key wrote over a file: exit %d %s", code, errs)
	}

	newPass := filepath.Join(t.TempDir(), "new")
	if err := os.WriteFile(newPass, []byte("a brand new passphrase 9\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "fieldreg", "recover", "--data", d.dir, "--recovery-key", key, "--officer", "Officer tablet-r", "--passphrase-file", newPass)
	if code, out, errs := run(t, "fieldreg", "search", "--data", d.dir, "--passphrase-file", newPass, "nobody"); code != 0 {
		t.Fatalf("the new passphrase does not unlock: exit %d %s%s", code, out, errs)
	}
	if code, _, _ := run(t, "fieldreg", "search", "--data", d.dir, "--passphrase-file", d.passFile, "nobody"); code == 0 {
		t.Fatal("the old passphrase still unlocks")
	}
	dv, err := device.Open(d.dir, devOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer dv.Close()
	o, err := dv.DefaultOfficer()
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the delay after the old passphrase was tried
	s, err := dv.Unlock(o.ID, []byte("a brand new passphrase 9"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	if dg, m, err := s.Digest(); err != nil || dg != dgBefore || m != n {
		t.Fatalf("records changed by the recovery: %d -> %d (%v)", n, m, err)
	}
}
