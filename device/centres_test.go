package device

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/reception"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

func testCentres(t *testing.T, s *Session) {
	t.Helper()
	for _, c := range []trust.Centre{
		{Code: "BIH-TEST-FAM", Name: "Test Family Centre", Place: "Testgrad", Address: "1 Test Street, Testgrad", Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"families": 4, "unaccompanied_children": 1, "vulnerable": 2}},
		{Code: "BIH-TEST-MEN", Name: "Test Men Centre", Place: "Testvik", Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"single_men": 2}},
	} {
		if _, err := s.SetCentre(c, true); err != nil {
			t.Fatal(err)
		}
	}
}

func section(t *testing.T, s *Session, code, sec string) reception.Section {
	t.Helper()
	views, err := s.Capacity()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range views {
		if v.Code == code {
			return v.Sections[sec]
		}
	}
	t.Fatalf("no centre %s in %v", code, views)
	return reception.Section{}
}

func testFamily(t *testing.T, s *Session) []string {
	t.Helper()
	father, mother := testPerson("Testfam", "Father"), testPerson("Testfam", "Mother")
	mother.Sex = "F"
	kid1, kid2 := testPerson("Testfam", "Kid One"), testPerson("Testfam", "Kid Two")
	kid1.BirthDate, kid2.BirthDate = registry.Date{Year: 2018}, registry.Date{Year: 2020}
	ids, err := s.RegisterGroup([]*registry.Person{father, mother, kid1, kid2})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestReferCheckInOut(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	if _, err := s.Capacity(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Refer([]string{"BIH-0000-0000-0000"}, "BIH-TEST-FAM", ReferralOptions{}); !errors.Is(err, ErrNoCentres) {
		t.Fatalf("refer without centres: %v", err)
	}
	testCentres(t, s)
	family := testFamily(t, s)
	child := testPerson("Testchild", "Alone")
	child.BirthDate = registry.Date{Year: 2012}
	child.Vulnerabilities = []string{registry.VulnUnaccompaniedChild}
	childID, err := s.Register(child)
	if err != nil {
		t.Fatal(err)
	}

	// Refusals: nothing recorded.
	events := func() int { n, _ := d.st.CountEvents(); return n }
	before := events()
	for name, try := range map[string]func() error{
		"child to single_men": func() error {
			_, err := s.Refer([]string{childID}, "BIH-TEST-MEN", ReferralOptions{Section: "single_men"})
			return err
		},
		"family to single_men": func() error {
			_, err := s.Refer(family, "BIH-TEST-MEN", ReferralOptions{Section: "single_men"})
			return err
		},
		"unknown centre": func() error { _, err := s.Refer([]string{childID}, "BIH-NOWHERE", ReferralOptions{}); return err },
		"unknown section": func() error {
			_, err := s.Refer([]string{childID}, "BIH-TEST-FAM", ReferralOptions{Section: "attic"})
			return err
		},
		"unknown ID": func() error {
			_, err := s.Refer([]string{"BIH-0000-0000-0000"}, "BIH-TEST-FAM", ReferralOptions{})
			return err
		},
		"not an ID":          func() error { _, err := s.Refer([]string{"nobody"}, "BIH-TEST-FAM", ReferralOptions{}); return err },
		"no beds fit":        func() error { _, err := s.Refer([]string{childID}, "BIH-TEST-MEN", ReferralOptions{}); return err },
		"checkout of nobody": func() error { return s.CheckOut(childID, registry.LeftCentre) },
		"bad reason":         func() error { return s.CheckOut(childID, "vanished") },
	} {
		if err := try(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := s.Refer([]string{childID}, "BIH-TEST-MEN", ReferralOptions{Section: "single_men"}); err == nil ||
		!strings.Contains(err.Error(), "unaccompanied child goes only to unaccompanied_children or vulnerable") {
		t.Errorf("the reason is not said in words: %v", err)
	}
	if events() != before {
		t.Fatalf("a refusal recorded %d events", events()-before)
	}

	// The family together, the child to the children's section (chosen).
	ref, err := s.Refer(family, "BIH-TEST-FAM", ReferralOptions{Transport: "bus at 14:00"})
	if err != nil {
		t.Fatal(err)
	}
	if ref.Section != "families" || len(ref.IDs) != 4 || ref.Free != 0 || ref.Address == "" {
		t.Fatalf("family referral: %+v", ref)
	}
	rc, err := s.IssueReceipt(family[1])
	if err != nil {
		t.Fatal(err)
	}
	lines := rc.Lines()
	if last := lines[len(lines)-1]; last.Key != "centre" || last.Value != "Test Family Centre, 1 Test Street, Testgrad" || strings.Contains(rc.Text, "Test") {
		t.Errorf("the receipt's centre line: %+v (the code must not hold it)", last)
	}
	if ref, err := s.Refer([]string{childID}, "BIH-TEST-FAM", ReferralOptions{}); err != nil || ref.Section != "unaccompanied_children" {
		t.Fatalf("child referral: %+v %v", ref, err)
	}
	if _, err := s.Refer([]string{childID}, "BIH-TEST-FAM", ReferralOptions{}); !errors.Is(err, ErrStay) {
		t.Errorf("referred twice: %v", err)
	}
	if got := section(t, s, "BIH-TEST-FAM", "families"); got.Referred != 4 || got.Free != 0 || got.Residents != 0 {
		t.Fatalf("families after referral: %+v", got)
	}

	// One check-in brings the family in together.
	clk.t = clk.t.Add(3 * time.Hour)
	in, err := s.CheckIn("BIH-TEST-FAM", family[2], "")
	if err != nil || len(in.IDs) != 4 || in.WalkIn {
		t.Fatalf("family check-in: %+v %v", in, err)
	}
	if got := section(t, s, "BIH-TEST-FAM", "families"); got.Referred != 0 || got.Residents != 4 || got.Free != 0 {
		t.Fatalf("families after check-in: %+v", got)
	}
	if _, err := s.CheckIn("BIH-TEST-FAM", family[0], ""); !errors.Is(err, ErrStay) {
		t.Errorf("checked in twice: %v", err)
	}

	// Absent: the bed is held; flagged after the centre's limit; back again.
	if err := s.Absent(family[0]); err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(6 * 24 * time.Hour)
	res, err := s.Residents("BIH-TEST-FAM")
	if err != nil {
		t.Fatal(err)
	}
	flags := map[string]Resident{}
	for _, r := range res {
		flags[r.ID] = r
	}
	if r := flags[family[0]]; r.State != "absent" || !r.AbsentTooLong || r.Name != "Testfam, Father" {
		t.Errorf("absent resident: %+v", r)
	}
	if r := flags[childID]; r.State != "referred" || !r.DidNotArrive {
		t.Errorf("the child who never arrived: %+v", r)
	}
	if got := section(t, s, "BIH-TEST-FAM", "families"); got.Residents != 4 || got.Absent != 1 {
		t.Fatalf("families with one absent: %+v", got)
	}
	if in, err := s.CheckIn("BIH-TEST-FAM", family[0], ""); err != nil || len(in.IDs) != 1 {
		t.Fatalf("back from absence: %+v %v", in, err)
	}

	// Close the referral that never arrived; check out one; transfer one.
	if err := s.CheckOut(childID, registry.LeftCentre); !errors.Is(err, ErrStay) {
		t.Errorf("left before arriving: %v", err)
	}
	if err := s.CheckOut(childID, registry.LeftNotArrived); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckOut(family[1], registry.LeftAsylum); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Transfer([]string{family[0]}, "BIH-TEST-MEN", ReferralOptions{Reason: "moved to single men"}); err != nil {
		t.Fatal(err)
	}
	if got := section(t, s, "BIH-TEST-FAM", "families"); got.Residents != 2 || got.Free != 2 {
		t.Errorf("families after check-out and transfer: %+v", got)
	}
	if got := section(t, s, "BIH-TEST-FAM", "unaccompanied_children"); got.Referred != 0 || got.Free != 1 {
		t.Errorf("children after not_arrived: %+v", got)
	}
	if got := section(t, s, "BIH-TEST-MEN", "single_men"); got.Referred != 1 {
		t.Errorf("men after transfer: %+v", got)
	}

	// Walk-in at the men's centre, and over capacity shown, not refused.
	men := []string{}
	for _, n := range []string{"One", "Two"} {
		id, err := s.Register(testPerson("Testwalk", n))
		if err != nil {
			t.Fatal(err)
		}
		men = append(men, id)
	}
	for _, id := range men {
		in, err := s.CheckIn("BIH-TEST-MEN", id, "")
		if err != nil || !in.WalkIn {
			t.Fatalf("walk-in: %+v %v", in, err)
		}
	}
	if got := section(t, s, "BIH-TEST-MEN", "single_men"); got.Residents != 2 || got.Referred != 1 || got.Free != -1 || got.Over != 1 {
		t.Errorf("over capacity: %+v", got)
	}

	// The record's history names each step; the projection still verifies.
	v, err := s.Get(family[0])
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, ver := range v.Versions {
		ops = append(ops, ver.Op)
	}
	if got := strings.Join(ops, ","); got != "register,refer,checkin,absent,checkin,transfer" {
		t.Errorf("history: %s", got)
	}
	if _, _, err := s.Digest(); err != nil {
		t.Fatal(err)
	}
}

func TestCentreSetRefused(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	testCentres(t, s)
	before, _ := d.st.GetMeta(trust.CentresKind.Name())
	c, _ := d.Centre("BIH-TEST-MEN")
	bad := *c
	bad.Capacity = map[string]int{"single_men": -3}
	if _, err := s.SetCentre(bad, false); !errors.Is(err, trust.ErrBadCentre) {
		t.Errorf("negative capacity: %v", err)
	}
	if _, err := s.SetCentre(*c, true); !errors.Is(err, ErrCentreExists) {
		t.Errorf("added twice: %v", err)
	}
	other := *c
	other.Code = "BIH-NEW"
	if _, err := s.SetCentre(other, false); !errors.Is(err, ErrUnknownCentre) {
		t.Errorf("set of an unknown centre: %v", err)
	}
	if after, _ := d.st.GetMeta(trust.CentresKind.Name()); string(after) != string(before) {
		t.Error("a refused change changed the list")
	}
}

func TestOffers(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	testCentres(t, s)
	family := testFamily(t, s)
	offers, err := s.Offers(family)
	if err != nil || len(offers) != 1 || offers[0].View.Code != "BIH-TEST-FAM" || offers[0].Section != "families" || offers[0].Free != 4 {
		t.Fatalf("family offers: %+v %v", offers, err)
	}
	man, _ := s.Register(testPerson("Testsingle", "Man"))
	if offers, _ := s.Offers([]string{man}); len(offers) != 1 || offers[0].View.Code != "BIH-TEST-MEN" {
		t.Errorf("single man offers: %+v", offers)
	}
	ill := testPerson("Testill", "Man")
	ill.Vulnerabilities = []string{registry.VulnMedical}
	illID, _ := s.Register(ill)
	if offers, _ := s.Offers([]string{illID}); len(offers) != 2 || offers[0].Section != "vulnerable" {
		t.Errorf("a vulnerable man is offered vulnerable first: %+v", offers)
	}
}

// An erased person leaves the counts and the centre's list.
func TestEraseForgetsStay(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	testCentres(t, s)
	id, err := s.Register(testPerson("Testerase", "Man"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CheckIn("BIH-TEST-MEN", id, ""); err != nil {
		t.Fatal(err)
	}
	if got := section(t, s, "BIH-TEST-MEN", "single_men"); got.Residents != 1 {
		t.Fatalf("before: %+v", got)
	}
	if err := s.Erase(id, "court decision (test)"); err != nil {
		t.Fatal(err)
	}
	if got := section(t, s, "BIH-TEST-MEN", "single_men"); got.Residents != 0 || got.Free != 2 {
		t.Errorf("after erasure: %+v", got)
	}
	if rs, err := s.Residents("BIH-TEST-MEN"); err != nil || len(rs) != 0 {
		t.Errorf("the list after erasure: %+v %v", rs, err)
	}
}
