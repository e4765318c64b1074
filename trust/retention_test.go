package trust

import (
	"errors"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

func TestRetentionSignVerify(t *testing.T) {
	a := testAuthority(t, "BIH")
	rules, err := registry.ParseRetentionSet(registry.DefaultRetention, []string{"irregular_crossing=3y"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := a.SignRetention(rules, nil, time.Unix(1_800_000_100, 0))
	if err != nil {
		t.Fatal(err)
	}
	d, err := UnmarshalRetention(r.Marshal())
	if err != nil || d.Verify(a.RootPublic()) != nil {
		t.Fatalf("round trip: %v", err)
	}
	got, _ := d.Retention()
	if got[registry.CategoryIrregular].String() != "3y" || got[registry.CategoryProtection].String() != "10y" {
		t.Fatalf("periods: %v", got)
	}
	// A period lengthened after signing does not verify.
	d.Periods[registry.CategoryIrregular] = "30y"
	if err := d.Verify(a.RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered rules: %v", err)
	}
	other := testAuthority(t, "BIH")
	if err := r.Verify(other.RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("another authority's key: %v", err)
	}
}

func TestRetentionRefused(t *testing.T) {
	for _, periods := range []map[string]string{
		nil,
		{"unknown_category": "5y"},
		{"irregular_crossing": "5w"},
		{"irregular_crossing": "-5y"},
		{"irregular_crossing": "0y"},
		{"irregular_crossing": "500y"},
	} {
		r := RetentionRules{Country: "BIH", Issued: 1, Periods: periods}
		if _, err := UnmarshalRetention(r.Marshal()); err == nil {
			t.Errorf("%v accepted", periods)
		}
	}
	if _, err := UnmarshalRetention(make([]byte, MaxRetentionSize+1)); err == nil {
		t.Error("oversized rules accepted")
	}
}

func FuzzUnmarshalRetention(f *testing.F) {
	a := testAuthority(f, "BIH")
	r, err := a.SignRetention(registry.DefaultRetention, nil, time.Unix(1_800_000_100, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(r.Marshal())
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := UnmarshalRetention(b)
		if err != nil {
			return
		}
		if _, err := d.Retention(); err != nil {
			t.Fatal("decoded rules fail their own check")
		}
		_ = d.Verify(a.RootPublic())
	})
}
