package app

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/store"
)

// TestAttackOfficersScreenAltered: an officer entry changed in the database
// (a junior made supervisor) is shown to the supervisor as altered, with
// nothing to do but remove it, and its own unlock is refused in words.
func TestAttackOfficersScreenAltered(t *testing.T) {
	dir := t.TempDir()
	low := vault.LowParams
	d, _, err := device.InitStandalone(dir, device.StandaloneConfig{Country: "BIH", Station: "BIH-VK-01", DeviceName: "tablet", Officer: "Officer Example", Passphrase: []byte(pass)}, device.Options{Params: &low})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := d.DefaultOfficer()
	s, err := d.Unlock(o.ID, []byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddOfficer("Zeta Juniorofficer", []byte(pass), false); err != nil {
		t.Fatal(err)
	}
	s.Lock()
	d.Close()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE officers SET supervisor = 1 WHERE name = 'Zeta Juniorofficer'"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	h := newHarness(t, dir)
	h.tap("Zeta Juniorofficer")
	h.unlock(pass)
	h.waitFor("the refusal", func() bool { return h.shows("changed outside fieldreg") })
	if h.u.screen != "unlock" {
		t.Fatalf("an altered entry unlocked the device: screen %q", h.u.screen)
	}
	h.tap("Officer Example")
	h.unlock(pass)
	h.waitFor("the shell", func() bool { return h.u.screen == "shell" })
	h.u.sh.open(navOfficers)
	h.waitFor("the altered entry", func() bool { return h.shows("This entry was changed outside fieldreg") })
	if !h.shows("Zeta Juniorofficer  (altered)") || h.shows("Zeta Juniorofficer  (supervisor") {
		t.Errorf("the altered entry is shown as %v", h.texts())
	}
}

// TestAttackRevokedBanner: once a sync tells the device it is revoked, every
// screen says so in red, and registering and receipts are refused in words.
func TestAttackRevokedBanner(t *testing.T) {
	hb, url := syncTestHub(t, true)
	h := enrolledUI(t, hb, url, "tab1", nil)
	id, err := h.u.sess.Register(syncFakePerson("Fakeperson", "Example"))
	if err != nil {
		t.Fatal(err)
	}
	syncOrFail(t, h.u.sess)
	if _, err := hb.Revoke(context.Background(), "tab1"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.u.sess.Sync(context.Background(), device.SyncOptions{}); err == nil {
		t.Fatal("a revoked device synced")
	}
	b := h.u.sh.banner
	b.Refresh()
	h.waitFor("the revoked banner", func() bool { return b.shown() && strings.Contains(b.text.Text, "revoked") })
	if !strings.Contains(b.text.Text, "can no longer issue receipts or save registrations") || b.button.Visible() {
		t.Errorf("banner %q (sync button shown: %v)", b.text.Text, b.button.Visible())
	}
	if _, err := h.u.sess.IssueReceipt(id); !errors.Is(err, device.ErrDeviceRevoked) {
		t.Errorf("receipt on a revoked device: %v", err)
	}
	if _, err := h.u.sess.Register(syncFakePerson("Fakeperson", "Late")); !errors.Is(err, device.ErrDeviceRevoked) {
		t.Errorf("registration on a revoked device: %v", err)
	}
}
