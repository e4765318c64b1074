package registry

import (
	"crypto/ed25519"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

func TestRetentionDue(t *testing.T) {
	reg := time.Date(2024, 2, 29, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		cat     string
		earlier time.Time
		want    string
	}{
		{CategoryProtection, time.Time{}, "2034-03-01"},
		{CategoryIrregular, time.Time{}, "2029-03-01"},
		{CategoryTempProtected, time.Time{}, "2025-03-01"},
		{"unknown", time.Time{}, "2034-03-01"}, // the longest rule, never forever
		{CategoryIrregular, time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), "2026-01-02"},
		{CategoryIrregular, time.Date(2040, 1, 2, 0, 0, 0, 0, time.UTC), "2029-03-01"}, // no extension
	} {
		if got := DefaultRetention.Due(c.cat, reg, c.earlier).Format(time.DateOnly); got != c.want {
			t.Errorf("%s: due %s, want %s", c.cat, got, c.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]string{"10y": "10y", " 18M ": "18m", "90d": "90d"} {
		p, err := ParsePeriod(in)
		if err != nil || p.String() != want {
			t.Errorf("%q: %v %v", in, p, err)
		}
	}
	for _, bad := range []string{"", "y", "10", "10w", "-1y", "+1y", "0d", "101y", "99999999999999999999y", "1.5y"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := ParseRetentionSet(DefaultRetention, []string{"irregular_crossing"}); err == nil {
		t.Error("a setting without = accepted")
	}
	if _, err := ParseRetentionSet(DefaultRetention, []string{"citizens=1y"}); err == nil {
		t.Error("an unknown category accepted")
	}
}

func TestEraseByKeepsEarliest(t *testing.T) {
	k, _ := seal.NewKey()
	_, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	reg := b.event("A", 1, 1, OpRegister, &Change{Fields: FieldsOf(validPerson())})
	early := b.event("A", 2, 2, OpEraseBy, &Change{Erase: &Erasure{Reason: "court decision", Role: RoleSupervisor, Date: "2027-01-01"}})
	late := b.event("A", 3, 3, OpEraseBy, &Change{Erase: &Erasure{Reason: "try to extend", Role: RoleSupervisor, Date: "2040-01-01"}})
	r, err := Fold("R1", []Opened{reg, late, early})
	if err != nil {
		t.Fatal(err)
	}
	if r.EraseBy != "2027-01-01" {
		t.Fatalf("erase by %q, want the earliest", r.EraseBy)
	}
	if err := CheckChange(OpEraseBy, &Change{Erase: &Erasure{Reason: "x", Role: RoleSupervisor, Date: "01/02/2027"}}); err == nil {
		t.Fatal("a malformed date accepted")
	}
	if err := CheckChange(OpEraseBy, &Change{Erase: &Erasure{Reason: "x", Role: "officer", Date: "2027-01-01"}}); err == nil {
		t.Fatal("an erasure date not set by a supervisor accepted")
	}
}

// TestCheckErasureOrigin: HQ orders erasures only under its own origin, a
// device only as a supervisor, and HQ's origin signs nothing else.
func TestCheckErasureOrigin(t *testing.T) {
	id, _ := NewRegID("BIH", nil)
	at := MakeHLC(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixMilli(), 0)
	ev := func(origin, op string) *Event {
		return &Event{Origin: origin, Epoch: 1, Seq: 1, HLC: at, Officer: "o1", Record: id, Op: op}
	}
	erase := func(role string) *Change { return &Change{Erase: &Erasure{Reason: "court decision", Role: role}} }
	person := Person{FamilyName: "Fakename", GivenNames: "Testee", Sex: "F", Category: CategoryIrregular,
		Encounter: Encounter{Kind: "apprehension", At: at.Time().Add(-time.Hour)}}
	for _, c := range []struct {
		name string
		e    *Event
		c    *Change
		ok   bool
	}{
		{"device supervisor", ev("0123456789abcdef", OpErase), erase(RoleSupervisor), true},
		{"HQ", ev(hqOrigin, OpErase), erase(RoleHQ), true},
		{"device claims HQ", ev("0123456789abcdef", OpErase), erase(RoleHQ), false},
		{"HQ claims supervisor", ev(hqOrigin, OpErase), erase(RoleSupervisor), false},
		{"officer", ev("0123456789abcdef", OpErase), erase("officer"), false},
		{"no reason", ev("0123456789abcdef", OpErase), &Change{Erase: &Erasure{Role: RoleSupervisor}}, false},
		{"reason with a control character", ev("0123456789abcdef", OpErase), &Change{Erase: &Erasure{Reason: "a\x1bb", Role: RoleSupervisor}}, false},
		{"HQ registers", ev(hqOrigin, OpRegister), &Change{Fields: FieldsOf(&person)}, false},
	} {
		err := CheckEvent(c.e, c.c, "BIH")
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
