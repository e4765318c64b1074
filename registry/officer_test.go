package registry

import (
	"strings"
	"testing"
)

// Another device's officer is named as reported, attributed to the device;
// what a hostile device reports cannot reorder or forge the text around it.
func TestOfficerOf(t *testing.T) {
	long := strings.Repeat("é", 200)
	cases := []struct{ reported, id, device, want string }{
		{"Officer Alpha", "a1b2", "tablet-b", "Officer Alpha (device tablet-b)"},
		{"", "a1b2", "tablet-b", "officer a1b2 (device tablet-b)"},
		{"  \t ", "a1b2", "tablet-b", "officer a1b2 (device tablet-b)"},
		// Bidi overrides and isolates, zero-width and control characters,
		// line breaks: dropped or folded, so the device part stays last.
		{"Officer\u202e)a-telbat ecived( Alpha", "a1b2", "tablet-b", "Officer)a-telbat ecived( Alpha (device tablet-b)"},
		{"Officer\u2066 Alpha\u2069\u200b", "a1b2", "tablet-b", "Officer Alpha (device tablet-b)"},
		{"Officer\nAlpha\x1b[31m", "a1b2", "tablet-b", "Officer Alpha[31m (device tablet-b)"},
		{"Officer \xff Alpha", "a1b2", "tablet-b", "Officer Alpha (device tablet-b)"},
		{long, "a1b2", "tablet-b", strings.Repeat("é", MaxOfficerName) + " (device tablet-b)"},
	}
	for _, c := range cases {
		if got := OfficerOf(c.reported, c.id, c.device); got != c.want {
			t.Errorf("OfficerOf(%q, %q, %q) = %q, want %q", c.reported, c.id, c.device, got, c.want)
		}
	}
}

// Events carry the officer's name as their device knows it, inside the
// sealed, signed payload, and the fold keeps it on each version.
func TestChangeCarriesOfficerName(t *testing.T) {
	c := &Change{Fields: FieldsOf(&Person{FamilyName: "Fakeperson"}), By: "Officer Alpha"}
	r, err := Fold("BIH-TEST", []Opened{{Event: &Event{Origin: "dev", Epoch: 1, Seq: 1, HLC: 1, Officer: "o1", Record: "BIH-TEST", Op: OpRegister}, Change: c}})
	if err != nil {
		t.Fatal(err)
	}
	if v := r.Versions[0]; v.By != "Officer Alpha" || v.Officer != "o1" {
		t.Fatalf("version %+v", v)
	}
}
