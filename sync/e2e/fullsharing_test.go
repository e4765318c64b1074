package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// TestFederationFullSharing: the region admits BIH and MNE in full sharing
// and SRB index-only, all hubs and devices as processes. A person
// registered in BIH is a hit from both other countries; MNE's officer gets
// the hit record's identity details, SRB's only the index answer
// (reciprocity); a record of index-only SRB carries no details even to a
// full-sharing asker. The region's data directory holds no name, document
// or birth data in either mode (every byte scanned), nor do the logs.
// Re-admitting BIH index-only withdraws its details. Bad input (an unknown
// mode, details from an index-only country, details of another record or
// with a photo) is refused and changes nothing.
func TestFederationFullSharing(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	start := time.Now()
	f := &fedSetup{region: initHubAs(t, "--region", "WBR"), a: initHubAs(t, "--country", "BIH"), b: initHubAs(t, "--country", "SRB")}
	m := initHubAs(t, "--country", "MNE")
	f.region.start("127.0.0.1:0")

	// An unknown mode: a clear error, no package, nobody admitted.
	bad := filepath.Join(t.TempDir(), "bad.fed")
	if code, _, errs := run(t, "reghub", "enrol-country", "--data", f.region.dir, "--passphrase-file", f.region.passFile, "--kdf", "low",
		"--country", "BIH", "--out", bad, "--sharing", "everything"); code != 2 || !strings.Contains(errs, `--sharing must be "index"`) {
		t.Fatalf("unknown sharing mode: exit %d %s", code, errs)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatal("a package was written for an unknown mode")
	}

	pkgA := f.admit(t, f.a, "BIH", "--sharing", "full")
	f.pkgB = f.admit(t, f.b, "SRB") // default: index
	pkgM := f.admit(t, m, "MNE", "--sharing", "full")
	if pkgA.Sharing != federation.SharingFull || pkgA.DetailsRecipient == "" || f.pkgB.Sharing != federation.SharingIndex || f.pkgB.DetailsRecipient != "" {
		t.Fatalf("packages: BIH %q %q, SRB %q %q", pkgA.Sharing, pkgA.DetailsRecipient, f.pkgB.Sharing, f.pkgB.DetailsRecipient)
	}
	f.a.start("127.0.0.1:0")
	f.b.start("127.0.0.1:0")
	m.start("127.0.0.1:0")
	f.devA = newDevice(t, f.a, "tablet-a", "BIH-IZACIC")
	f.devB = newDevice(t, f.b, "tablet-b", "SRB-SID")
	devM := newDevice(t, m, "tablet-m", "MNE-BOZAJ")

	refA := f.devA.registerOne("a", fakeA)
	f.devA.register(5, "Full")
	if code, out := f.devA.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	if out := f.a.push(); !strings.Contains(out, "sent 6 records upstream (index and data sets encrypted to the region)") {
		t.Fatalf("push A: %s", out)
	}
	refO := f.devB.registerOne("other", fakeOther)
	if code, out := f.devB.sync(""); code != 0 {
		t.Fatalf("sync B: %d %s", code, out)
	}
	if out := f.b.push(); !strings.Contains(out, "sent 1 records upstream (index only)") {
		t.Fatalf("push B: %s", out)
	}

	// MNE (full) asks about the variant: a hit with BIH's details.
	refMV := devM.registerOne("variant", fakeVariant)
	rep := askOK(t, devM, fakeVariant, refMV)
	if len(rep.Hits) != 1 || rep.Hits[0].Ref != refA || rep.Hits[0].Details == nil {
		t.Fatalf("MNE (full) asking: want one hit on %s with details, got %s", refA, hitsJSON(rep))
	}
	d := rep.Hits[0].Details
	if d.Surnames != "Fakehassan" || d.Forenames != "Mohammed Testee" || d.DateOfBirth != "1990-03-04" || d.PlaceOfBirth != "Fakeplaceofbirth" ||
		d.Sex != "M" || len(d.Nationalities) != 1 || d.Nationalities[0] != "XXA" ||
		d.TravelDocument == nil || d.TravelDocument.Number != "ZZFAKE0001" || d.TravelDocument.IssuingCountry != "XXA" || d.TravelDocument.Expiry != "2031-05-06" {
		t.Errorf("details: %s", hitsJSON(rep))
	}
	// The officer's command shows them, and keeps them on the record.
	if out := devM.elsewhere(refMV); !strings.Contains(out, "as registered there: FAKEHASSAN, Mohammed Testee; born 1990-03-04 in Fakeplaceofbirth") {
		t.Errorf("fieldreg elsewhere in MNE does not show the details:\n%s", out)
	}
	if out := must(t, "fieldreg", "elsewhere", "--data", devM.dir, "--passphrase-file", devM.passFile, "--stored", refMV); !strings.Contains(out, "passport ZZFAKE0001 issued by XXA") {
		t.Errorf("stored answer without the details:\n%s", out)
	}
	// SRB (index-only) asks about the same person: the hit, no details.
	refBV := f.devB.registerOne("variant", fakeVariant)
	rep = askOK(t, f.devB, fakeVariant, refBV)
	if len(rep.Hits) != 1 || rep.Hits[0].Ref != refA || rep.Hits[0].Details != nil {
		t.Fatalf("SRB (index) asking: want one hit on %s without details, got %s", refA, hitsJSON(rep))
	}
	// MNE (full) asks about SRB's person: SRB shared no details.
	refMO := devM.registerOne("other", fakeOther)
	rep = askOK(t, devM, fakeOther, refMO)
	if len(rep.Hits) != 1 || rep.Hits[0].Ref != refO || rep.Hits[0].Details != nil {
		t.Fatalf("MNE asking about SRB's record: want one hit on %s without details, got %s", refO, hitsJSON(rep))
	}

	hostileDetails(t, f, pkgA, pkgM, refA)

	// Re-admitting BIH index-only withdraws its details at once, and BIH's
	// join sends every record again, without details.
	must(t, "reghub", "revoke", "--data", f.region.dir, "--passphrase-file", f.region.passFile, "--device", "hub BIH")
	f.admit(t, f.a, "BIH")
	if rep := askOK(t, devM, fakeVariant, refMV); len(rep.Hits) != 1 || rep.Hits[0].Details != nil {
		t.Fatalf("after BIH went index-only: %s", hitsJSON(rep))
	}
	f.a.stop()
	if out := f.a.push(); !strings.Contains(out, "sent 6 records upstream (index only)") {
		t.Fatalf("push A after the change of mode: %s", out)
	}

	// No person at the region, in either mode: every byte, and the logs of
	// the region and of the hubs that relayed details.
	f.region.stop()
	m.stop()
	for _, hit := range scanForMarkers(t, f.region.dir) {
		t.Errorf("region data: %s", hit)
	}
	for name, logs := range map[string]string{"region": f.region.logs.String(), "MNE": m.logs.String(), "SRB": f.b.logs.String()} {
		for _, mk := range markers {
			if strings.Contains(strings.ToLower(logs), strings.ToLower(mk)) {
				t.Errorf("%s's logs hold %q", name, mk)
			}
		}
	}
	t.Logf("full-sharing test took %v", time.Since(start).Round(time.Millisecond))
}

func askOK(t *testing.T, d *devProc, person, record string) *wire.ElsewhereReply {
	t.Helper()
	rep, err := d.ask(person, record)
	if err != nil {
		t.Fatalf("ask: %v", err)
	}
	return rep
}

// hitsJSON shows an answer in a failure message. The people are fake.
func hitsJSON(rep *wire.ElsewhereReply) string {
	b, _ := json.Marshal(rep)
	return string(b)
}

// hostileDetails sends the region details no honest country hub would: each
// push is refused with 4xx, nothing of it is applied, and the honest answer
// is unchanged.
func hostileDetails(t *testing.T, f *fedSetup, pkgA, pkgM *federation.Package, refA string) {
	t.Helper()
	tok := federation.Token{Kind: "d", Token: make([]byte, 16)}
	seal := func(country, ref, data string) []byte {
		b, err := federation.SealDetails(pkgA.DetailsRecipient, country, ref, []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := `{"reference_number":"BIH-HOSTILE","member_state_of_origin":"BIH","category":"irregular_crossing","date_of_registration":"2026-01-01","surnames":"Fakehassan","forenames":"X","fingerprints_taken":false,"operator_user_id":"o","device_id":"d","last_updated":"2026-01-01T00:00:00Z","information_notice_given":false}`
	push := func(e wire.FedEntry) string {
		b, _ := json.Marshal(wire.FedPush{Version: 1, Entries: []wire.FedEntry{e}})
		return string(b)
	}
	upA, upB := rawRegionClient(pkgA), rawRegionClient(f.pkgB)
	for name, c := range map[string]struct {
		up   *federation.Package
		body string
	}{
		"details from an index-only country": {f.pkgB, push(wire.FedEntry{Ref: "SRB-HOSTILE", Tokens: []federation.Token{tok},
			Details: seal("SRB", "SRB-HOSTILE", strings.Replace(strings.Replace(good, "BIH-HOSTILE", "SRB-HOSTILE", 1), `"BIH"`, `"SRB"`, 1))})},
		"details of another reference":      {pkgA, push(wire.FedEntry{Ref: refA, Tokens: []federation.Token{tok}, Details: seal("BIH", "BIH-HOSTILE", good)})},
		"details sealed as another country": {pkgM, push(wire.FedEntry{Ref: "BIH-HOSTILE", Tokens: []federation.Token{tok}, Details: seal("BIH", "BIH-HOSTILE", good)})},
		"details not a data set":            {pkgA, push(wire.FedEntry{Ref: "BIH-HOSTILE", Tokens: []federation.Token{tok}, Details: seal("BIH", "BIH-HOSTILE", `{"x":1}`)})},
		"details with a photo": {pkgA, push(wire.FedEntry{Ref: "BIH-HOSTILE", Tokens: []federation.Token{tok},
			Details: seal("BIH", "BIH-HOSTILE", strings.Replace(good, `"surnames"`, `"facial_image":"AAAA","surnames"`, 1))})},
		"details body mismatch": {pkgA, push(wire.FedEntry{Ref: "BIH-HOSTILE", Tokens: []federation.Token{tok},
			Details: seal("BIH", "BIH-HOSTILE", strings.Replace(good, `"reference_number":"BIH-HOSTILE"`, `"reference_number":"`+refA+`"`, 1))})},
		"details not age": {pkgA, push(wire.FedEntry{Ref: "BIH-HOSTILE", Tokens: []federation.Token{tok}, Details: []byte("Fakehassan in the clear")})},
	} {
		up := upA
		switch c.up {
		case f.pkgB:
			up = upB
		case pkgM:
			up = rawRegionClient(pkgM)
		}
		if code, body := post(t, up, f.region.url()+wire.PathFedPush, strings.NewReader(c.body)); code < 400 || code >= 500 || !strings.Contains(body, "nothing was applied") {
			t.Errorf("%s: HTTP %d %s", name, code, body)
		}
	}
	// The honest answer is unchanged: no hostile row became a hit.
	q, _ := json.Marshal(wire.FedQuery{Version: 1, Tokens: []federation.Token{tok}})
	if code, body := post(t, rawRegionClient(pkgM), f.region.url()+wire.PathFedQuery, strings.NewReader(string(q))); code != 200 || !strings.Contains(body, `"hits":[]`) {
		t.Errorf("query after hostile pushes: HTTP %d %s", code, body)
	}
}
