package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/reception"
)

// TestReceptionCentres: HQ lists two centres at the hub; a crossing tablet
// refers a family of four and an unaccompanied child; after a sync the
// centre's laptop checks the family in by the text of one receipt and the
// child by ID; after both sync, `reghub centre list`, the tablet and the
// laptop agree on residents and free places. Refusals change nothing.
func TestReceptionCentres(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t)
	hubArgs := func(args ...string) []string { return append(args, "--data", h.dir, "--passphrase-file", h.passFile) }
	must(t, "reghub", hubArgs("centre", "add", "--code", "BIH-TEST-FAM", "--name", "Test Family Centre", "--place", "Testgrad",
		"--address", "1 Test Street, Testgrad", "--kind", "temporary_reception", "--capacity", "families=10,unaccompanied_children=2,vulnerable=4")...)
	must(t, "reghub", hubArgs("centre", "add", "--code", "BIH-TEST-MEN", "--name", "Test Men Centre", "--place", "Testvik",
		"--kind", "transit", "--capacity", "single_men=300")...)
	for _, bad := range [][]string{
		{"centre", "add", "--code", "BIH-TEST-X", "--name", "X", "--place", "Y", "--kind", "transit", "--capacity", "single_men=-1"},
		{"centre", "add", "--code", "BIH-TEST-X", "--name", "X", "--place", "Y", "--kind", "transit", "--capacity", "single_men=99999"},
		{"centre", "add", "--code", "BIH-TEST-X", "--name", "X", "--place", "Y", "--kind", "transit", "--capacity", "ballroom=3"},
		{"centre", "add", "--code", "bih test", "--name", "X", "--place", "Y", "--kind", "transit", "--capacity", "single_men=3"},
		{"centre", "set", "--code", "BIH-NOWHERE", "--status", "closed"},
		{"centre", "set", "--code", "BIH-TEST-MEN", "--status", "half-open"},
	} {
		if code, _, _ := run(t, "reghub", hubArgs(bad...)...); code != 1 {
			t.Errorf("%v: exit %d", bad, code)
		}
	}
	hubList := func() []reception.View {
		t.Helper()
		var v []reception.View
		if err := json.Unmarshal([]byte(must(t, "reghub", hubArgs("centre", "list", "--json")...)), &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := hubList(); len(v) != 2 || v[1].Sections["single_men"].Capacity != 300 {
		t.Fatalf("the refused changes changed the list: %+v", v)
	}

	h.start("127.0.0.1:0")
	tablet := newDevice(t, h, "crossing-tablet", "BIH-TEST-POST")
	laptop := newDevice(t, h, "centre-laptop", "BIH-TEST-FAM")
	for _, d := range []*devProc{tablet, laptop} {
		if code, out := d.sync(""); code != 0 {
			t.Fatalf("sync: %s", out)
		}
	}
	// The flags first: the IDs come last.
	dev := func(d *devProc, args ...string) []string {
		return append([]string{args[0], "--data", d.dir, "--passphrase-file", d.passFile}, args[1:]...)
	}

	// Only the authority lists centres: an enrolled device is told to ask the hub.
	code, _, errs := run(t, "fieldreg", "centre", "add", "--data", laptop.dir, "--passphrase-file", laptop.passFile, "--code", "BIH-MINE",
		"--name", "Mine", "--place", "Here", "--kind", "transit", "--capacity", "families=9")
	if code != 1 || !strings.Contains(errs, "reghub centre add") {
		t.Errorf("an enrolled device listed a centre: exit %d %s", code, errs)
	}

	people := filepath.Join(filepath.Dir(tablet.dir), "family.jsonl")
	lines := `{"family_name":"Fakefamily","given_names":"Father","sex":"M","birth_date":"1985","category":"irregular_crossing","group":"f"}
{"family_name":"Fakefamily","given_names":"Mother","sex":"F","birth_date":"1988","category":"irregular_crossing","group":"f"}
{"family_name":"Fakefamily","given_names":"Kid One","sex":"F","birth_date":"2016","category":"irregular_crossing","group":"f"}
{"family_name":"Fakefamily","given_names":"Kid Two","sex":"M","birth_date":"2019","category":"irregular_crossing","group":"f"}
{"family_name":"Fakechild","given_names":"Alone","sex":"M","birth_date":"2011","category":"irregular_crossing","vulnerabilities":["unaccompanied_child"]}
`
	if err := os.WriteFile(people, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	ids := strings.Fields(must(t, "fieldreg", dev(tablet, "register", "--json", people)...))
	if len(ids) != 5 {
		t.Fatalf("registered %v", ids)
	}
	family, child := ids[:4], ids[4]

	// Refused, in words, with nothing recorded.
	code, _, errs = run(t, "fieldreg", dev(tablet, "refer", "--centre", "BIH-TEST-MEN", "--section", "single_men", child)...)
	if code != 1 || !strings.Contains(errs, "unaccompanied child goes only to unaccompanied_children or vulnerable") {
		t.Errorf("child to single_men: exit %d %s", code, errs)
	}
	code, _, errs = run(t, "fieldreg", dev(tablet, append([]string{"refer", "--centre", "BIH-TEST-MEN"}, family...)...)...)
	if code != 1 || !strings.Contains(errs, "does not fit") {
		t.Errorf("family to the men's centre: exit %d %s", code, errs)
	}
	for _, bad := range [][]string{
		{"refer", "--centre", "BIH-NOWHERE", child},
		{"refer", "--centre", "BIH-TEST-FAM", "--section", "attic", child},
		{"refer", "--centre", "BIH-TEST-FAM", "BIH-0000-0000-0000"},
		{"checkout", "--reason", "left", child},
	} {
		if code, _, _ := run(t, "fieldreg", dev(tablet, bad...)...); code != 1 {
			t.Errorf("%v: exit %d", bad, code)
		}
	}

	var ref struct {
		IDs     []string `json:"ids"`
		Section string   `json:"section"`
		Address string   `json:"address"`
	}
	out := must(t, "fieldreg", dev(tablet, append([]string{"refer", "--centre", "BIH-TEST-FAM", "--transport", "bus at 14:00"}, family...)...)...)
	if err := json.Unmarshal([]byte(out), &ref); err != nil || ref.Section != "families" || len(ref.IDs) != 4 || ref.Address != "1 Test Street, Testgrad" {
		t.Fatalf("family referral: %s %v", out, err)
	}
	out = must(t, "fieldreg", dev(tablet, "refer", "--centre", "BIH-TEST-FAM", child)...)
	if err := json.Unmarshal([]byte(out), &ref); err != nil || ref.Section != "unaccompanied_children" {
		t.Fatalf("child referral: %s %v", out, err)
	}
	receipt := strings.TrimSpace(must(t, "fieldreg", dev(tablet, "receipt", "--png", filepath.Join(filepath.Dir(tablet.dir), "r.png"), "--print-text", family[1])...))
	if !strings.HasPrefix(receipt, "FR1:") {
		t.Fatalf("receipt text: %q", receipt)
	}
	if code, out := tablet.sync(""); code != 0 {
		t.Fatalf("sync: %s", out)
	}
	if code, out := laptop.sync(""); code != 0 {
		t.Fatalf("sync: %s", out)
	}

	// At the centre: the family by the mother's receipt, all four together; the child by ID.
	var residents []struct {
		ID, State    string
		DidNotArrive bool `json:"did_not_arrive"`
	}
	if err := json.Unmarshal([]byte(must(t, "fieldreg", dev(laptop, "residents", "--centre", "BIH-TEST-FAM", "--json")...)), &residents); err != nil || len(residents) != 5 {
		t.Fatalf("arrivals expected at the centre: %+v %v", residents, err)
	}
	if code, _, errs := run(t, "fieldreg", dev(laptop, "checkin", "--centre", "BIH-TEST-FAM", "--receipt", receipt[:len(receipt)-3]+"AAA")...); code != 1 || errs == "" {
		t.Errorf("a damaged receipt: exit %d %s", code, errs)
	}
	var in struct {
		IDs    []string `json:"ids"`
		WalkIn bool     `json:"walk_in"`
	}
	out = must(t, "fieldreg", dev(laptop, "checkin", "--centre", "BIH-TEST-FAM", "--receipt", receipt)...)
	if err := json.Unmarshal([]byte(out), &in); err != nil || len(in.IDs) != 4 || in.WalkIn {
		t.Fatalf("family check-in by receipt: %s %v", out, err)
	}
	must(t, "fieldreg", dev(laptop, "checkin", "--centre", "BIH-TEST-FAM", child)...)
	for _, d := range []*devProc{laptop, tablet} {
		if code, out := d.sync(""); code != 0 {
			t.Fatalf("sync: %s", out)
		}
	}

	// Everyone agrees.
	want := map[string]reception.Section{
		"families":               {Capacity: 10, Residents: 4, Free: 6},
		"unaccompanied_children": {Capacity: 2, Residents: 1, Free: 1},
		"vulnerable":             {Capacity: 4, Free: 4},
	}
	check := func(who string, views []reception.View) {
		t.Helper()
		if len(views) != 2 || views[0].Code != "BIH-TEST-FAM" {
			t.Fatalf("%s: %+v", who, views)
		}
		for sec, w := range want {
			if got := views[0].Sections[sec]; got != w {
				t.Errorf("%s: %s = %+v, want %+v", who, sec, got, w)
			}
		}
		if views[0].AsOf.IsZero() {
			t.Errorf("%s: no as_of", who)
		}
	}
	hv := hubList()
	check("hub", hv)
	arrivals := 0
	for _, d := range hv[0].Days {
		arrivals += d.Arrivals
	}
	if arrivals != 5 {
		t.Errorf("arrivals at the hub: %+v", hv[0].Days)
	}
	for name, d := range map[string]*devProc{"tablet": tablet, "laptop": laptop} {
		var v []reception.View
		if err := json.Unmarshal([]byte(must(t, "fieldreg", dev(d, "centres", "--json")...)), &v); err != nil {
			t.Fatal(err)
		}
		check(name, v)
	}
	tablet.digest()
	laptop.digest()

	// A device without a network gets the centres, and what the hub knows
	// of their occupancy, in the hub's answer bundle.
	usb := newDevice(t, h, "usb-tablet", "BIH-TEST-POST")
	dir := filepath.Dir(usb.dir)
	up, back := filepath.Join(dir, "up.bundle"), filepath.Join(dir, "back.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", usb.dir, "--passphrase-file", usb.passFile, "--out", up)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, up)
	must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "usb-tablet", "--out", back)
	must(t, "fieldreg", "bundle", "import", "--data", usb.dir, "--passphrase-file", usb.passFile, back)
	var byBundle []reception.View
	if err := json.Unmarshal([]byte(must(t, "fieldreg", dev(usb, "centres", "--json")...)), &byBundle); err != nil {
		t.Fatal(err)
	}
	check("the tablet served by bundle", byBundle)

	// Two devices offline refer two people to the last bed: neither is
	// refused, and when their events meet every node shows the section
	// over capacity by one.
	for i, d := range []*devProc{tablet, laptop} {
		f := filepath.Join(filepath.Dir(d.dir), "late.jsonl")
		line := `{"family_name":"Fakelate","given_names":"Child ` + string(rune('A'+i)) + `","sex":"F","birth_date":"2012","category":"irregular_crossing","vulnerabilities":["unaccompanied_child"]}`
		if err := os.WriteFile(f, []byte(line+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSpace(must(t, "fieldreg", dev(d, "register", "--json", f)...))
		must(t, "fieldreg", dev(d, "refer", "--centre", "BIH-TEST-FAM", "--section", "unaccompanied_children", id)...)
	}
	for _, d := range []*devProc{tablet, laptop, tablet} {
		if code, out := d.sync(""); code != 0 {
			t.Fatalf("sync: %s", out)
		}
	}
	want["unaccompanied_children"] = reception.Section{Capacity: 2, Residents: 1, Referred: 2, Free: -1, Over: 1}
	check("hub after the offline referrals", hubList())
	for name, d := range map[string]*devProc{"tablet": tablet, "laptop": laptop} {
		var v []reception.View
		if err := json.Unmarshal([]byte(must(t, "fieldreg", dev(d, "centres", "--json")...)), &v); err != nil {
			t.Fatal(err)
		}
		check(name+" after the offline referrals", v)
	}
	if out := must(t, "reghub", hubArgs("centre", "list")...); !strings.Contains(out, "over capacity by 1") {
		t.Errorf("the table does not say it:\n%s", out)
	}
}
