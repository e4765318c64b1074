package e2e

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// eraseMarkers are the erased person's names and document number.
var eraseMarkers = []string{"Fakeerasemé", "Testerasegiven", "ZZERASE0042", "Fakeeraseplace"}

const fakeErased = `{"family_name":"Fakeerasemé","given_names":"Testerasegiven","sex":"F","birth_date":"1991-02-03","nationalities":["XXA"],"category":"irregular_crossing","place_of_birth":"Fakeeraseplace","document":{"type":"passport","number":"ZZERASE0042","issuing_country":"XXA"}}`

// openedWithKey opens every event payload of the SQLite database in dir
// with the deployment's records key and returns what opened: what anyone
// holding every key of the deployment reads there.
func openedWithKey(t *testing.T, dir string, key []byte) []string {
	t.Helper()
	k, err := seal.KeyFromBytes(key)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName)+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out []string
	for _, table := range []string{"events", "quarantine"} {
		rows, err := db.Query("SELECT origin, epoch, seq, hlc, officer, record, op, payload, sig FROM " + table)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var e registry.Event
			var epoch, seq, hlc int64
			if err := rows.Scan(&e.Origin, &epoch, &seq, &hlc, &e.Officer, &e.Record, &e.Op, &e.Payload, &e.Sig); err != nil {
				t.Fatal(err)
			}
			e.Epoch, e.Seq, e.HLC = uint64(epoch), uint64(seq), registry.HLC(hlc)
			if c, err := e.OpenChange(k); err == nil {
				b, _ := json.Marshal(c)
				out = append(out, string(b))
			}
		}
		rows.Close()
	}
	return out
}

// hubOpened is openedWithKey for a hub, on either back end: every event
// and quarantined event it holds, opened with the records key.
func hubOpened(t *testing.T, h *hubProc, key []byte) []string {
	t.Helper()
	k, err := seal.KeyFromBytes(key)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := hub.Open(context.Background(), h.dir, []byte("hub passphrase for tests"), hub.Options{Params: &lowParams})
	if err != nil {
		t.Fatal(err)
	}
	defer hb.Close()
	var out []string
	open := func(e *registry.Event) {
		if c, err := e.OpenChange(k); err == nil {
			b, _ := json.Marshal(c)
			out = append(out, string(b))
		}
	}
	ctx := context.Background()
	if err := hb.Store().Events(ctx, func(e *registry.Event) error { open(e); return nil }); err != nil {
		t.Fatal(err)
	}
	q, err := hb.Store().Quarantined(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range q {
		open(e.Full)
	}
	return out
}

// checkHubGone is checkGone for a hub: its directory's bytes, and what the
// records key opens in its store (SQLite or PostgreSQL).
func checkHubGone(t *testing.T, h *hubProc, key []byte) {
	t.Helper()
	checkGone(t, "hub", h.dir, nil)
	for _, pt := range hubOpened(t, h, key) {
		for _, m := range eraseMarkers {
			if strings.Contains(strings.ToLower(pt), strings.ToLower(m)) {
				t.Errorf("hub: %q readable with the records key", m)
			}
		}
	}
}

// checkGone fails if a marker of the erased person is in any byte of dir
// or in anything the records key opens there.
func checkGone(t *testing.T, name, dir string, key []byte) {
	t.Helper()
	saved := markers
	markers = eraseMarkers
	defer func() { markers = saved }()
	for _, hit := range scanForMarkers(t, dir) {
		t.Errorf("%s: %s", name, hit)
	}
	if key == nil {
		return
	}
	for _, pt := range openedWithKey(t, dir, key) {
		for _, m := range eraseMarkers {
			if strings.Contains(strings.ToLower(pt), strings.ToLower(m)) {
				t.Errorf("%s: %q readable with the records key", name, m)
			}
		}
	}
}

// TestEraseEverywhere: a person registered on tablet A reaches the hub, the
// region and tablet B; A's supervisor erases the record; after sync and an
// upstream push the person's data is gone from every data directory (bytes
// and, with the records key, every payload), the region answers no hit, B
// (offline during the erasure) erases at its next sync, a bundle taken
// before the erasure brings nothing back, and the audit still verifies.
func TestEraseEverywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	f := newFederation(t)
	a := f.devA
	b := newDevice(t, f.a, "tablet-a2", "BIH-IZACIC")
	id := a.registerOne("erase", fakeErased)
	kept := a.registerOne("kept", fakeOther)
	if code, out := a.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	if code, out := b.sync(""); code != 0 {
		t.Fatalf("sync B: %d %s", code, out)
	}
	if out := must(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, id); !strings.Contains(out, "Fakeerasem") {
		t.Fatalf("B does not hold the record: %s", out)
	}
	if out := f.a.push(); !strings.Contains(out, "sent 2 records") {
		t.Fatalf("push: %s", out)
	}
	variant := `{"family_name":"Fakeeraseme","given_names":"Testerasegiven","sex":"F","birth_date":"1991-02-03","nationalities":["XXA"],"category":"irregular_crossing"}`
	asked := f.devB.registerOne("asker", variant)
	if out := f.devB.elsewhere(asked); !strings.Contains(out, "HIT") || !strings.Contains(out, id) {
		t.Fatalf("before erasure, want a hit on %s: %s", id, out)
	}
	// The check below can fail: before the erasure the hub's payloads open
	// to the markers with the records key.
	if pts := hubOpened(t, f.a, a.pkg.RecordsKey); !strings.Contains(strings.Join(pts, "\n"), "ZZERASE0042") {
		t.Fatal("the records key opens nothing of the person at the hub: the check would prove nothing")
	}
	// A bundle of A's taken before the erasure (a USB stick in a drawer).
	oldBundle := filepath.Join(t.TempDir(), "old.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", oldBundle)

	// Erase on A; bad input first: nothing changes.
	if code, _, errs := run(t, "fieldreg", "erase", "--data", a.dir, "--passphrase-file", a.passFile, "--reason", "test", "BIH-0000-0000-0001"); code != 1 || !strings.Contains(errs, "check character") {
		t.Fatalf("erase malformed ID: %d %s", code, errs)
	}
	must(t, "fieldreg", "erase", "--data", a.dir, "--passphrase-file", a.passFile, "--reason", "data subject request", id)
	if code, _, errs := run(t, "fieldreg", "show", "--data", a.dir, "--passphrase-file", a.passFile, id); code != 3 || !strings.Contains(errs, "erased on") || !strings.Contains(errs, "(data subject request)") {
		t.Fatalf("show erased on A: %d %s", code, errs)
	}
	if code, out := a.sync(""); code != 0 {
		t.Fatalf("sync A after erasure: %d %s", code, out)
	}
	if out := f.a.push(); !strings.Contains(out, "sent 1 records") {
		t.Fatalf("push after erasure: %s", out)
	}
	if out := f.devB.elsewhere(asked); strings.Contains(out, id) {
		t.Fatalf("the region still answers with the erased record: %s", out)
	}
	// B was offline during the erasure: its next sync erases.
	if code, out := b.sync(""); code != 0 {
		t.Fatalf("sync B after erasure: %d %s", code, out)
	}
	if code, _, errs := run(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, id); code != 3 || !strings.Contains(errs, "data subject request") {
		t.Fatalf("show erased on B: %d %s", code, errs)
	}
	must(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, kept)
	// The old bundle imported again brings nothing back.
	must(t, "reghub", "bundle", "import", "--data", f.a.dir, "--passphrase-file", f.a.passFile, oldBundle)
	if code, out := b.sync(""); code != 0 {
		t.Fatalf("sync B after the old bundle: %d %s", code, out)
	}
	if code, _, _ := run(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, id); code != 3 {
		t.Fatalf("the old bundle brought the record back on B: exit %d", code)
	}
	// Rectification: a corrected name replaces the record's tokens at the
	// region; the old spelling no longer finds it, the new one does.
	oldAsk := f.devB.registerOne("old-spelling", fakeOther)
	if out := f.devB.elsewhere(oldAsk); !strings.Contains(out, kept) {
		t.Fatalf("before rectification, want a hit on %s: %s", kept, out)
	}
	s, done := a.session()
	v, err := s.Get(kept)
	if err != nil {
		t.Fatal(err)
	}
	fixed := v.Person
	fixed.FamilyName, fixed.GivenNames, fixed.Document.Number = "Rectifiedname", "Corrected Sample", "RRFAKE1234"
	if err := s.Amend(kept, &fixed, "name spelt wrongly at registration"); err != nil {
		t.Fatal(err)
	}
	done()
	if code, out := a.sync(""); code != 0 {
		t.Fatalf("sync A after rectification: %d %s", code, out)
	}
	if out := f.a.push(); !strings.Contains(out, "sent 1 records") {
		t.Fatalf("push after rectification: %s", out)
	}
	if out := f.devB.elsewhere(oldAsk); strings.Contains(out, kept) {
		t.Fatalf("the old spelling still finds the rectified record: %s", out)
	}
	newAsk := f.devB.registerOne("new-spelling", strings.NewReplacer("Nobodyelse", "Rectifiedname", "Example Sample", "Corrected Sample", "QQFAKE7777", "RRFAKE1234").Replace(fakeOther))
	if out := f.devB.elsewhere(newAsk); !strings.Contains(out, kept) {
		t.Fatalf("the corrected spelling does not find the record: %s", out)
	}
	for _, d := range []*devProc{a, b} {
		must(t, "fieldreg", "audit", "verify", "--data", d.dir, "--passphrase-file", d.passFile)
	}
	f.a.stop()
	f.region.stop()
	checkGone(t, "tablet A", a.dir, a.pkg.RecordsKey)
	checkGone(t, "tablet B", b.dir, b.pkg.RecordsKey)
	checkHubGone(t, f.a, a.pkg.RecordsKey)
	checkGone(t, "region", f.region.dir, nil)
}

// eraseEvent is an erase event of record signed with key in a synthetic log.
func eraseEvent(t *testing.T, d *devProc, key ed25519.PrivateKey, epoch, seq uint64, hlc registry.HLC, record, role string) *registry.Event {
	t.Helper()
	e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: epoch, Seq: seq, HLC: hlc, Officer: "officer0", Record: record, Op: registry.OpErase}
	rk, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	if err := e.SealChange(rk, &registry.Change{Erase: &registry.Erasure{Reason: "forged", Role: role}}); err != nil {
		t.Fatal(err)
	}
	e.Sign(key)
	return e
}

// TestAttackForgedErase: with a device's stolen key an attacker pushes an
// erase event that no supervisor ordered, and relays one signed by a
// revoked device after its revocation: both are quarantined, the record
// stays whole at the hub and on another device.
func TestAttackForgedErase(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t)
	h.start("127.0.0.1:0")
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-IZACIC")
	c := newDevice(t, h, "tablet-c", "BIH-IZACIC")
	id := a.registerOne("victim", fakeErased)
	if code, out := a.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	must(t, "reghub", "revoke", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-c")
	now := registry.MakeHLC(time.Now().UnixMilli(), 0)
	notSupervisor := eraseEvent(t, a, a.signKey(), 91, 1, now, id, "officer")
	afterRevocation := eraseEvent(t, c, c.signKey(), 92, 1, now, id, registry.RoleSupervisor)
	status, body := post(t, rawClient(a), h.url()+wire.PathPush, chunk(notSupervisor, afterRevocation))
	var rep wire.PushReply
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil {
		t.Fatalf("push: %d %s", status, body)
	}
	if rep.Accepted != 0 || len(rep.Quarantined) != 2 || !strings.Contains(rep.Quarantined[0].Reason, "supervisor") ||
		!strings.Contains(rep.Quarantined[1].Reason, "revoked") {
		t.Fatalf("push reply: %+v", rep)
	}
	if code, out := b.sync(""); code != 0 {
		t.Fatalf("sync B: %d %s", code, out)
	}
	if out := must(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, id); !strings.Contains(out, "ZZERASE0042") {
		t.Fatalf("the record is not whole on B after the forged erasures: %s", out)
	}
	h.stop()
	if pts := hubOpened(t, h, a.pkg.RecordsKey); !strings.Contains(strings.Join(pts, "\n"), "ZZERASE0042") {
		t.Fatal("the hub dropped the record's payload on a forged erasure")
	}
}

// TestEraseByHQAndRules: HQ shortens a period (devices take the signed
// rules at their next sync) and erases a record itself (reghub erase: an
// event signed under HQ's origin, which devices verify from the trust
// list); the hub, on its own clock, erases a record past its period; bad
// settings change nothing.
func TestEraseByHQAndRules(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t)
	h.start("127.0.0.1:0")
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-IZACIC")
	expiring := a.registerOne("expiring", fakeErased) // irregular_crossing
	ordered := a.registerOne("ordered", fakeOther)    // international_protection
	if code, out := a.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	if code, _, errs := run(t, "reghub", "retention", "--data", h.dir, "--passphrase-file", h.passFile, "--set", "citizens=1y"); code != 1 || !strings.Contains(errs, "unknown category") {
		t.Fatalf("unknown category: %d %s", code, errs)
	}
	if code, _, errs := run(t, "reghub", "erase", "--data", h.dir, "--passphrase-file", h.passFile, "--reason", "x", "BIH-0000-0000-0000"); code != 1 || !strings.Contains(errs, "no record") {
		t.Fatalf("erase of an unknown record: %d %s", code, errs)
	}
	out := must(t, "reghub", "retention", "--data", h.dir, "--passphrase-file", h.passFile, "--set", "irregular_crossing=2y")
	if !strings.Contains(out, "irregular_crossing") || !strings.Contains(out, "2y") {
		t.Fatalf("retention: %s", out)
	}
	must(t, "reghub", "erase", "--data", h.dir, "--passphrase-file", h.passFile, "--reason", "court decision", ordered)
	if code, out := b.sync(""); code != 0 {
		t.Fatalf("sync B: %d %s", code, out)
	}
	if code, _, errs := run(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, ordered); code != 3 || !strings.Contains(errs, "(court decision)") {
		t.Fatalf("HQ's erasure on B: %d %s", code, errs)
	}
	rj := must(t, "fieldreg", "retention", "--data", b.dir, "--passphrase-file", b.passFile, "--json")
	if !strings.Contains(rj, `"irregular_crossing": "2y"`) || !strings.Contains(rj, "authority's rules") {
		t.Fatalf("B's rules: %s", rj)
	}
	if out := must(t, "fieldreg", "show", "--data", b.dir, "--passphrase-file", b.passFile, expiring); !strings.Contains(out, `"erasure_due": "`+time.Now().AddDate(2, 0, 0).Format("2006-")) {
		t.Fatalf("B's erasure date under the new rule: %s", out)
	}
	// A syncs after HQ's erasure: it erases too.
	if code, out := a.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	if code, _, _ := run(t, "fieldreg", "show", "--data", a.dir, "--passphrase-file", a.passFile, ordered); code != 3 {
		t.Fatalf("HQ's erasure on A: exit %d", code)
	}
	// Two years and a day later, on the hub's own clock: the sweep erases.
	h.stop()
	later := time.Now().AddDate(2, 0, 1)
	hb, err := hub.Open(context.Background(), h.dir, []byte("hub passphrase for tests"), hub.Options{Params: &lowParams, Now: func() time.Time { return later }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := hb.SweepExpired(context.Background())
	hb.Close()
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	checkHubGone(t, h, a.pkg.RecordsKey)
}
