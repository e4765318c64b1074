package trust

import (
	"errors"
	"testing"
	"time"
)

func testCentre() Centre {
	return Centre{Code: "BIH-TEST-1", Name: "Test Centre One", Place: "Testgrad", Kind: "temporary_reception", Status: "open",
		Capacity: map[string]int{"families": 4, "unaccompanied_children": 2}}
}

func TestCentresSignVerify(t *testing.T) {
	a := testAuthority(t, "BIH")
	cs, err := a.SignCentres(*(&Centres{}).With(testCentre()), nil, time.Unix(1_800_000_100, 0))
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalCentres(cs.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := back.Verify(a.RootPublic()); err != nil {
		t.Fatal(err)
	}
	if c := back.Find("BIH-TEST-1"); c == nil || c.Capacity["families"] != 4 || c.Absence() != 5*24*time.Hour || c.NoShow() != 48*time.Hour {
		t.Fatalf("centre back: %+v", c)
	}
	// A changed capacity, or another authority's key, does not verify.
	back.Centres[0].Capacity["families"] = 400
	if err := back.Verify(a.RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed capacity verified: %v", err)
	}
	if err := cs.Verify(testAuthority(t, "BIH").RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another authority's key verified: %v", err)
	}
	// A list signed again is dated after the one before, even with the clock set back.
	again, err := a.SignCentres(*cs, cs, time.Unix(1_700_000_000, 0))
	if err != nil || again.Issued != cs.Issued+1 {
		t.Fatalf("resigned: %v %v", again, err)
	}
}

func TestCentreRefused(t *testing.T) {
	a := testAuthority(t, "BIH")
	for name, edit := range map[string]func(*Centre){
		"bad code":         func(c *Centre) { c.Code = "bih borici" },
		"no name":          func(c *Centre) { c.Name = " " },
		"unknown kind":     func(c *Centre) { c.Kind = "hotel" },
		"unknown status":   func(c *Centre) { c.Status = "half" },
		"unknown section":  func(c *Centre) { c.Capacity["penthouse"] = 3 },
		"negative":         func(c *Centre) { c.Capacity["families"] = -1 },
		"absurd":           func(c *Centre) { c.Capacity["families"] = 1_000_000 },
		"no capacity":      func(c *Centre) { c.Capacity = nil },
		"control char":     func(c *Centre) { c.Place = "Test\ngrad" },
		"absence too long": func(c *Centre) { c.AbsenceDays = 400 },
	} {
		c := testCentre()
		edit(&c)
		if _, err := a.SignCentres(Centres{Centres: []Centre{c}}, nil, time.Now()); !errors.Is(err, ErrBadCentre) {
			t.Errorf("%s: signed (%v)", name, err)
		}
	}
	twice := Centres{Centres: []Centre{testCentre(), testCentre()}}
	if _, err := a.SignCentres(twice, nil, time.Now()); !errors.Is(err, ErrBadCentre) {
		t.Errorf("a code twice: %v", err)
	}
}

func TestParseCapacity(t *testing.T) {
	got, err := ParseCapacity("single_men=800, families=200,unaccompanied_children=40")
	if err != nil || got["single_men"] != 800 || got["families"] != 200 || got["unaccompanied_children"] != 40 || len(got) != 3 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "single_men", "single_men=-5", "single_men=100000", "single_men=ten", "single_men=1.5",
		"suites=4", "families=2,families=3", "families=2x"} {
		if _, err := ParseCapacity(bad); !errors.Is(err, ErrBadCentre) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
