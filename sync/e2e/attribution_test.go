package e2e

import (
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// TestAttackOfficerBorrowedID: device B, with its own stolen credential,
// signs registrations naming device A's officer by their officer ID (once
// without a name, once calling itself by A's officer's name). Neither reads
// as A's officer's work: on A (`fieldreg show`) and in the hub's Eurodac
// export the officer is named as B reported them, attributed to B.
func TestAttackOfficerBorrowedID(t *testing.T) {
	h := serving(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-IZACIC")
	a.register(1, "A")
	a.mustSync("sync A")
	s, done := a.session()
	alpha := s.Officer()
	own, err := s.Search(device.Query{Text: "FakepersonA"})
	done()
	if err != nil || len(own) != 1 {
		t.Fatalf("A's own record: %v %v", own, err)
	}

	rk, _ := seal.KeyFromBytes(b.pkg.RecordsKey)
	now := registry.MakeHLC(time.Now().UnixMilli(), 0)
	forge := func(seq uint64, by string) (*registry.Event, string) {
		id, err := registry.NewRegID("BIH", rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		p := &registry.Person{FamilyName: "Fakeborrowed", GivenNames: "Testee", Sex: "X", BirthDate: registry.Date{Year: 1990},
			Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
			Encounter: registry.Encounter{Kind: "apprehension", Place: "Test crossing", At: time.Now().Add(-time.Hour).UTC().Truncate(time.Second)}}
		if err := registry.Validate(p, time.Now()); err != nil {
			t.Fatal(err)
		}
		e := &registry.Event{Origin: b.pkg.DeviceID, Epoch: 77, Seq: seq, HLC: now, Officer: alpha.ID, Record: id, Op: registry.OpRegister}
		if err := e.SealChange(rk, &registry.Change{Fields: registry.FieldsOf(p), By: by}); err != nil {
			t.Fatal(err)
		}
		e.Sign(b.signKey())
		return e, id
	}
	e1, noName := forge(1, "")
	e2, alphaName := forge(2, alpha.Name)
	if status, body := post(t, rawClient(b), h.url()+wire.PathPush, chunk(e1, e2)); status != 200 {
		t.Fatalf("push: %d %s", status, body)
	}
	a.mustSync("sync A")

	show := func(id string) string {
		t.Helper()
		var v struct {
			Versions []struct {
				OfficerName string `json:"officer_name"`
			} `json:"versions"`
		}
		out := must(t, "fieldreg", "show", "--data", a.dir, "--passphrase-file", a.passFile, id)
		if err := json.Unmarshal([]byte(out), &v); err != nil || len(v.Versions) != 1 {
			t.Fatalf("show %s: %v\n%s", id, err, out)
		}
		return v.Versions[0].OfficerName
	}
	want := map[string]string{
		own[0]:    alpha.Name,
		noName:    "officer " + alpha.ID + " (device tablet-b)",
		alphaName: alpha.Name + " (device tablet-b)",
	}
	for id, w := range want {
		if got := show(id); got != w {
			t.Errorf("show %s: officer %q, want %q", id, got, w)
		}
	}

	exp := filepath.Join(t.TempDir(), "eurodac.json")
	must(t, "reghub", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--format", "eurodac", "--out", exp)
	raw, err := os.ReadFile(exp)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Records []struct {
			Ref        string `json:"reference_number"`
			OperatorID string `json:"operator_user_id"`
			Operator   string `json:"operator"`
		} `json:"records"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, r := range doc.Records {
		var wantID string
		switch r.Ref {
		case own[0]:
			wantID = a.pkg.DeviceID + "/" + alpha.ID
			if r.Operator != alpha.Name+" (device tablet-a)" {
				t.Errorf("export of A's record: operator %q", r.Operator)
			}
		case noName, alphaName:
			wantID = b.pkg.DeviceID + "/" + alpha.ID
			if r.Operator != want[r.Ref] {
				t.Errorf("export of %s: operator %q, want %q", r.Ref, r.Operator, want[r.Ref])
			}
		default:
			continue
		}
		seen++
		if r.OperatorID != wantID {
			t.Errorf("export of %s: operator_user_id %q, want %q", r.Ref, r.OperatorID, wantID)
		}
	}
	if seen != 3 {
		t.Errorf("export holds %d of the 3 records:\n%s", seen, strings.TrimSpace(string(raw)))
	}
}
