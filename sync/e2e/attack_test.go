package e2e

import (
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// TestAttackMalformedRecordID: with a device's stolen credential (its
// signing key and client certificate), an attacker pushes signed events
// whose content no honest device writes: a record ID of another country
// with a wrong check character (the reported attack), and a registration
// without a category. The hub quarantines each with its reason, takes the
// good event beside them, and the Eurodac export holds only the good one.
func TestAttackMalformedRecordID(t *testing.T) {
	h := serving(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	hc := rawClient(a)
	now := registry.MakeHLC(time.Now().UnixMilli(), 0)
	key := a.signKey()

	foreign := fakeEventFor(t, a, key, 88, 1, now, "SRB-XXXX-XXXX-XXXX", "Fakeforeign")
	noCategory := fakeEvent(t, a, key, 88, 2, now, "Fakenocat")
	rk, _ := seal.KeyFromBytes(a.pkg.RecordsKey)
	c, _ := noCategory.OpenChange(rk)
	delete(c.Fields, "category")
	if err := noCategory.SealChange(rk, c); err != nil {
		t.Fatal(err)
	}
	noCategory.Sign(key)
	good := fakeEvent(t, a, key, 88, 3, now, "Fakegood")
	status, body := post(t, hc, h.url()+wire.PathPush, chunk(foreign, noCategory, good))
	var rep wire.PushReply
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("push: %d %s", status, body)
	}
	if rep.Accepted != 1 || len(rep.Quarantined) != 2 ||
		!strings.Contains(rep.Quarantined[0].Reason, "check character") || !strings.Contains(rep.Quarantined[1].Reason, "category") {
		t.Fatalf("push reply: %+v", rep)
	}
	if strings.Contains(body, "Fake") {
		t.Fatalf("the reply repeats personal data: %s", body)
	}
	// Both bad slots were signed by their origin: the log is acknowledged
	// past them, so the good event behind them counts as held.
	if heads, _ := wire.ToVector(rep.Heads); heads[vector.Key{Origin: a.pkg.DeviceID, Epoch: 88}] != 3 {
		t.Fatalf("heads %v, want 3 for the attacked log", rep.Heads)
	}
	st := h.status()
	if !strings.Contains(st, "quarantined 2") || !strings.Contains(st, "SRB-XXXX-XXXX-XXXX") || !strings.Contains(st, "category") {
		t.Fatalf("reghub status does not list the quarantined events:\n%s", st)
	}
	out := filepath.Join(t.TempDir(), "eurodac.json")
	must(t, "reghub", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--format", "eurodac", "--out", out)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "SRB-") || strings.Contains(string(b), noCategory.Record) || !strings.Contains(string(b), good.Record) {
		t.Fatalf("Eurodac export holds the refused events or lacks the good one:\n%s", b)
	}
}

// TestAttackDamagedEventDoesNotStopSync: one event damaged on the device
// (its payload) and one edited after it was synced (its record ID swapped)
// are found by `fieldreg audit verify`, which names their records and no
// personal data; the damaged one does not stop the sync: the hub takes the
// good registrations behind it, quarantines the bad one, and another device
// receives every good registration and learns the lost slot, so it does not
// ask for it again.
func TestAttackDamagedEventDoesNotStopSync(t *testing.T) {
	h := serving(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-IZACIC")
	a.register(5, "S")
	a.mustSync("first sync")
	const n = 600
	a.register(n, "D")

	db, err := sql.Open("sqlite3", filepath.Join(a.dir, store.FileName))
	if err != nil {
		t.Fatal(err)
	}
	rec := func(seq int) string {
		var id string
		if err := db.QueryRow("SELECT record FROM events WHERE origin = ? AND seq = ?", a.pkg.DeviceID, seq).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	damaged, edited := rec(6), rec(2) // the first of the 600, and one already at the hub
	if _, err := db.Exec("UPDATE events SET payload = substr(payload, 1, 40) || zeroblob(8) || substr(payload, 49) WHERE origin = ? AND seq = 6", a.pkg.DeviceID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE events SET officer = 'officer-x' WHERE origin = ? AND seq = 2", a.pkg.DeviceID); err != nil {
		t.Fatal(err)
	}
	db.Close()

	code, stdout, stderr := run(t, "fieldreg", "audit", "verify", "--data", a.dir, "--passphrase-file", a.passFile)
	if code == 0 || !strings.Contains(stdout, damaged) || !strings.Contains(stdout, edited) || !strings.Contains(stdout, "RECORDS DAMAGED: 2 of 605") {
		t.Fatalf("audit verify: exit %d\n%s%s", code, stdout, stderr)
	}
	if regexp.MustCompile(`Fakeperson|Testee`).MatchString(stdout + stderr) {
		t.Fatalf("audit verify shows personal data:\n%s", stdout)
	}

	// The sync goes through: exit 3 (finished, something quarantined).
	code, out := a.sync("")
	if code != 3 || !strings.Contains(out, "quarantined 1") {
		t.Fatalf("sync with a damaged event: exit %d\n%s", code, out)
	}
	st := h.status()
	if !strings.Contains(st, "records     604") || !strings.Contains(st, damaged) || !strings.Contains(st, "bad signature") {
		t.Fatalf("hub after the sync:\n%s", st)
	}
	// Nothing is sent again; the device names the record on its sync status.
	if code, out := a.sync(""); code != 0 || !strings.Contains(out, "sent 0") {
		t.Fatalf("second sync: exit %d\n%s", code, out)
	}
	s, done := a.session()
	sst, err := s.Device().SyncStatus()
	done()
	if err != nil || sst.Waiting != 0 || len(sst.NotTaken) != 1 || sst.NotTaken[0].Record != damaged {
		t.Fatalf("device sync status: %+v %v", sst, err)
	}

	// Another device receives the 604 good records and passes the lost slot.
	if code, out := b.sync(""); code != 0 {
		t.Fatalf("device b: exit %d\n%s", code, out)
	}
	if _, got := b.digest(); got != 604 {
		t.Fatalf("device b holds %d records, want 604", got)
	}
	if code, out := b.sync(""); code != 0 || !strings.Contains(out, "received 0") {
		t.Fatalf("device b again: exit %d\n%s", code, out)
	}
	s, done = a.session()
	k := vector.Key{Origin: a.pkg.DeviceID, Epoch: s.Device().Info().Epoch}
	done()
	s, done = b.session()
	heads, err := s.Device().Store().Heads()
	done()
	if err != nil || heads[k] != n+5 {
		t.Fatalf("device b's vector of a's log: %d, want %d (%v)", heads[k], n+5, err)
	}
}
