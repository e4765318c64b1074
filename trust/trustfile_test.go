package trust

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func newTestAuthority(t *testing.T, country string) *Authority {
	t.Helper()
	a, err := NewAuthority(country, nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRevocationList(t *testing.T) {
	a := newTestAuthority(t, "BIH")
	l, err := a.SignRevocations([]Revocation{
		{DeviceID: "bbbbbbbbbbbbbbbb", RevokedAt: 200},
		{DeviceID: "aaaaaaaaaaaaaaaa", RevokedAt: 100},
		{DeviceID: "bbbbbbbbbbbbbbbb", RevokedAt: 150}, // named twice: the earlier time counts
	}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Verify(a.RootPublic()); err != nil {
		t.Fatal(err)
	}
	if at, ok := l.RevokedAt("bbbbbbbbbbbbbbbb"); !ok || at.Unix() != 150 {
		t.Errorf("RevokedAt b = %v %v", at, ok)
	}
	if _, ok := l.RevokedAt("cccccccccccccccc"); ok {
		t.Error("c revoked")
	}
	back, err := UnmarshalRevocationList(l.Marshal())
	if err != nil || back.Verify(a.RootPublic()) != nil {
		t.Fatalf("CBOR round trip: %v", err)
	}
	if err := l.Verify(newTestAuthority(t, "BIH").RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("other root: %v", err)
	}
	for name, change := range map[string]func(*RevocationList){
		"time":    func(l *RevocationList) { l.Entries[0].RevokedAt++ },
		"device":  func(l *RevocationList) { l.Entries = l.Entries[1:] },
		"issued":  func(l *RevocationList) { l.Issued++ },
		"country": func(l *RevocationList) { l.Country = "SRB" },
	} {
		m, _ := UnmarshalRevocationList(l.Marshal())
		change(m)
		if err := m.Verify(a.RootPublic()); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	unsorted := *l
	unsorted.Entries = []Revocation{l.Entries[1], l.Entries[0]}
	if err := unsorted.Verify(a.RootPublic()); err == nil || errors.Is(err, ErrBadSignature) {
		t.Errorf("unsorted: %v", err)
	}
	for _, bad := range []string{"", "has space", strings.Repeat("x", 65)} {
		if _, err := a.SignRevocations([]Revocation{{DeviceID: bad}}, t0); err == nil {
			t.Errorf("device ID %q accepted", bad)
		}
	}
	empty, _ := a.SignRevocations(nil, t0)
	if err := empty.Verify(a.RootPublic()); err != nil {
		t.Errorf("empty list: %v", err)
	}
}

func TestTrustFile(t *testing.T) {
	bih, srb := newTestAuthority(t, "BIH"), newTestAuthority(t, "SRB")
	l, _ := bih.SignRevocations([]Revocation{{DeviceID: "aaaaaaaaaaaaaaaa", RevokedAt: 100}}, t0)
	f := &File{}
	f.Set(Country{Country: "SRB", RootKeys: []ed25519.PublicKey{srb.RootPublic()}})
	f.Set(Country{Country: "BIH", RootKeys: []ed25519.PublicKey{bih.RootPublic()}, Revocations: l})
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	g, err := ParseFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Countries[0].Country != "BIH" || !g.RootKeys("SRB")[0].Equal(srb.RootPublic()) || g.RootKeys("HRV") != nil {
		t.Errorf("parsed %+v", g)
	}
	if at, ok := g.RevokedAt("BIH", "aaaaaaaaaaaaaaaa"); !ok || at.Unix() != 100 {
		t.Error("revocation lost")
	}
	if _, ok := g.RevokedAt("SRB", "aaaaaaaaaaaaaaaa"); ok {
		t.Error("revocation applies to another country")
	}

	// A BIH list under the SRB entry, signed by the wrong root.
	wrong := &File{Countries: []Country{{Country: "SRB", RootKeys: []ed25519.PublicKey{srb.RootPublic()}, Revocations: l}}}
	wb, _ := wrong.Marshal()
	lb := *l
	lb.Country = "SRB"
	wrong2 := &File{Countries: []Country{{Country: "SRB", RootKeys: []ed25519.PublicKey{srb.RootPublic()}, Revocations: &lb}}}
	wb2, _ := wrong2.Marshal()
	for name, in := range map[string][]byte{
		"not JSON":          []byte("hello"),
		"other format":      []byte(`{"format":"fieldreg-trust/9","countries":[]}`),
		"unknown field":     bytes.Replace(b, []byte(`"countries"`), []byte(`"extra":1,"countries"`), 1),
		"duplicate country": bytes.Replace(b, []byte(`"SRB"`), []byte(`"BIH"`), 1),
		"bad country":       bytes.Replace(b, []byte(`"SRB"`), []byte(`"srb"`), 1),
		"short key":         []byte(`{"format":"fieldreg-trust/1","countries":[{"country":"BIH","root_keys":["AAAA"]}]}`),
		"no keys":           []byte(`{"format":"fieldreg-trust/1","countries":[{"country":"BIH","root_keys":[]}]}`),
		"list of another":   wb,
		"list wrong root":   wb2,
		"too large":         append(b, bytes.Repeat([]byte(" "), MaxFileSize)...),
	} {
		if _, err := ParseFile(in); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ParseFile(wb2); !errors.Is(err, ErrBadSignature) {
		t.Errorf("wrong root: %v", err)
	}
}
