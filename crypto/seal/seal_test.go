package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	k, _ := NewKey()
	other, _ := NewKey()
	ad := AD("records", "family_name", "BIH-0000-0000-000A")
	ct, err := Seal(k, []byte("TESTPERSON"), ad)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("TESTPERSON")) {
		t.Fatal("plaintext visible in ciphertext")
	}
	pt, err := Open(k, ct, ad)
	if err != nil || string(pt) != "TESTPERSON" {
		t.Fatalf("round trip: %q %v", pt, err)
	}
	flipped := func(i int) []byte { c := bytes.Clone(ct); c[i] ^= 1; return c }
	cases := map[string]struct {
		key *Key
		ct  []byte
		ad  []byte
	}{
		"wrong key":      {other, ct, ad},
		"flipped nonce":  {k, flipped(0), ad},
		"flipped body":   {k, flipped(len(ct) - 20), ad},
		"flipped tag":    {k, flipped(len(ct) - 1), ad},
		"swapped field":  {k, ct, AD("records", "given_names", "BIH-0000-0000-000A")},
		"swapped record": {k, ct, AD("records", "family_name", "BIH-0000-0000-001B")},
		"swapped table":  {k, ct, AD("officers", "family_name", "BIH-0000-0000-000A")},
		"truncated":      {k, ct[:Overhead-1], ad},
		"empty":          {k, nil, ad},
	}
	for name, c := range cases {
		if _, err := Open(c.key, c.ct, c.ad); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", name, err)
		}
	}
}

func TestADIsUnambiguous(t *testing.T) {
	if bytes.Equal(AD("ab", "c"), AD("a", "bc")) {
		t.Fatal("AD parts are ambiguous")
	}
}

func TestNoncesDiffer(t *testing.T) {
	k, _ := NewKey()
	a, _ := Seal(k, []byte("x"), nil)
	b, _ := Seal(k, []byte("x"), nil)
	if bytes.Equal(a, b) {
		t.Fatal("two seals of the same value are equal")
	}
}
