package trust

import (
	"crypto/ed25519"
	"testing"
	"time"
)

// FuzzParseFile: a trust file comes from another country or a USB stick.
// Whatever ParseFile accepts has every revocation list signed by its
// country's root, and marshals and parses back to the same.
func FuzzParseFile(f *testing.F) {
	a, err := NewAuthority("BIH", nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	l, _ := a.SignRevocations([]Revocation{{DeviceID: "aaaaaaaaaaaaaaaa", RevokedAt: 100}}, t0)
	var tf File
	tf.Set(Country{Country: "BIH", RootKeys: []ed25519.PublicKey{a.RootPublic()}, Revocations: l})
	good, err := tf.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][]byte{good, []byte(`{"format":"fieldreg-trust-v1","countries":[]}`), []byte(`{"format":"x"}`), []byte("\xfc"), nil} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tf, err := ParseFile(b)
		if err != nil {
			return
		}
		for i := range tf.Countries {
			if err := tf.Countries[i].Verify(); err != nil {
				t.Fatalf("accepted a country that does not verify: %v", err)
			}
		}
		again, err := tf.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseFile(again); err != nil {
			t.Fatalf("an accepted file does not parse back: %v", err)
		}
	})
}

// FuzzUnmarshalCredential: credentials arrive in hello replies, bundles and
// receipts' trust lists. Decoding never panics; what decodes re-encodes.
func FuzzUnmarshalCredential(f *testing.F) {
	a, err := NewAuthority("BIH", nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	pub, _, _ := ed25519.GenerateKey(nil)
	f.Add(a.IssueCredential("aaaaaaaaaaaaaaaa", "Fake tablet", "BIH-TEST-1", pub, t0, 24*time.Hour).Marshal())
	f.Add([]byte{0xa0})
	f.Add([]byte{0x62, 0xc3, 0x28})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := UnmarshalCredential(b)
		if err != nil {
			return
		}
		if _, err := UnmarshalCredential(c.Marshal()); err != nil {
			t.Fatalf("a decoded credential does not decode again: %v", err)
		}
		_ = c.Verify(a.RootPublic(), t0)
	})
}

// FuzzUnmarshalRevocationList: revocation lists arrive from the hub and in
// trust files. Decoding never panics; a list that decodes and verifies
// under a root was signed by it.
func FuzzUnmarshalRevocationList(f *testing.F) {
	a, err := NewAuthority("BIH", nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	l, _ := a.SignRevocations([]Revocation{{DeviceID: "aaaaaaaaaaaaaaaa", RevokedAt: 100}}, t0)
	f.Add(l.Marshal())
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := UnmarshalRevocationList(b)
		if err != nil {
			return
		}
		if l.Verify(a.RootPublic()) == nil {
			if _, err := UnmarshalRevocationList(l.Marshal()); err != nil {
				t.Fatalf("a verified list does not decode again: %v", err)
			}
		}
	})
}

// FuzzUnmarshalCentres: the centres list arrives in hello replies and
// bundles. Decoding never panics; what decodes passes the centre rules and
// re-encodes to a list that decodes the same.
func FuzzUnmarshalCentres(f *testing.F) {
	a, err := NewAuthority("BIH", nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	cs, err := a.SignCentres(Centres{Centres: []Centre{{Code: "BIH-TEST-1", Name: "Test", Place: "Testgrad", Kind: "transit", Status: "open",
		Capacity: map[string]int{"families": 3}}}}, nil, t0)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cs.Marshal())
	f.Add([]byte{0xa0})
	f.Add([]byte{0xa2, 0x01, 0x63, 'B', 'I', 'H', 0x03, 0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := UnmarshalCentres(b)
		if err != nil {
			return
		}
		for i := range c.Centres {
			if err := c.Centres[i].Check(); err != nil {
				t.Fatalf("accepted a centre that breaks the rules: %v", err)
			}
		}
		if _, err := UnmarshalCentres(c.Marshal()); err != nil {
			t.Fatalf("an accepted list does not decode again: %v", err)
		}
	})
}
