package bundle

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

var prekeyNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// prekeyBundle writes a bundle of n events sealed to a fresh prekey of the
// receiver, with the exporter's own prekeys in it.
func prekeyBundle(t *testing.T, f *fixture, n int) ([]byte, *Prekey, *PrekeyIdentity) {
	t.Helper()
	recvPub, recvPriv, _ := ed25519.GenerateKey(nil)
	pk, x, err := NewPrekey(HubID, "dev0001", "BIH", prekeyNow.Add(PrekeyLifetime), func(m []byte) []byte { return ed25519.Sign(recvPriv, m) })
	if err != nil {
		t.Fatal(err)
	}
	if err := pk.Verify(recvPub); err != nil {
		t.Fatal(err)
	}
	own, _, err := NewPrekey("dev0001", HubID, "BIH", prekeyNow.Add(PrekeyLifetime), func(m []byte) []byte { return ed25519.Sign(f.priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	hd := header(f, pk.Recipient)
	hd.Prekey = pk.ID
	var buf bytes.Buffer
	w, err := NewPrekeyWriter(&buf, pk, hd, func(m []byte) []byte { return ed25519.Sign(f.priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Prekeys([]Prekey{*own}); err != nil {
		t.Fatal(err)
	}
	for _, e := range events(f, n) {
		if err := w.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), pk, &PrekeyIdentity{ID: pk.ID, X: x}
}

func TestPrekeyRoundTrip(t *testing.T) {
	f := newFixture(t)
	b, pk, id := prekeyBundle(t, f, 5)
	got, err := SealedPrekey(bytes.NewReader(b))
	if err != nil || got != pk.ID {
		t.Fatalf("SealedPrekey = %q, %v; want %q", got, err, pk.ID)
	}
	bd, err := Open(bytes.NewReader(b), id, pk.Recipient, f.trust, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bd.Header().Prekey != pk.ID || bd.Events() != 5 || len(bd.Prekeys()) != 1 || bd.Prekeys()[0].Verify(f.pub) != nil {
		t.Fatalf("header %+v, %d events, prekeys %+v", bd.Header(), bd.Events(), bd.Prekeys())
	}
	// A bundle sealed to a long-term key names no prekey.
	if got, _ := SealedPrekey(bytes.NewReader(write(t, f, f.id.Recipient(), nil))); got != "" {
		t.Fatalf("long-term bundle names prekey %q", got)
	}
}

// TestAttackPrekeyOtherKeys: a bundle sealed to a prekey opens with that
// prekey only: not with the receiver's long-term key, not with another
// prekey (even one given the same ID), and a header that lies about the
// prekey is refused.
func TestAttackPrekeyOtherKeys(t *testing.T) {
	f := newFixture(t)
	b, pk, id := prekeyBundle(t, f, 2)
	if _, err := Open(bytes.NewReader(b), f.id, f.self(), f.trust, Options{}); !errors.Is(err, ErrNotForUs) {
		t.Fatalf("long-term key: %v", err)
	}
	other, _ := age.GenerateX25519Identity()
	if _, err := Open(bytes.NewReader(b), &PrekeyIdentity{ID: pk.ID, X: other}, pk.Recipient, f.trust, Options{}); !errors.Is(err, ErrNotForUs) && !errors.Is(err, ErrDamaged) {
		t.Fatalf("other key under the same ID: %v", err)
	}
	if _, err := Open(bytes.NewReader(b), &PrekeyIdentity{ID: "0123456789abcdef", X: id.X}, pk.Recipient, f.trust, Options{}); !errors.Is(err, ErrNotForUs) {
		t.Fatalf("right key, other ID: %v", err)
	}
	// The prekey identity on a long-term bundle whose header names no prekey.
	lt := write(t, f, id.X.Recipient(), nil)
	if _, err := Open(bytes.NewReader(lt), id, pk.Recipient, f.trust, Options{}); !errors.Is(err, ErrNotForUs) {
		t.Fatalf("prekey identity, header without prekey: %v", err)
	}
	// Writers refuse a header that does not match the key.
	hd := header(f, pk.Recipient)
	if _, err := NewPrekeyWriter(&bytes.Buffer{}, pk, hd, nil); err == nil {
		t.Fatal("header without the prekey's ID accepted")
	}
	hd.Prekey = pk.ID
	if _, err := NewWriter(&bytes.Buffer{}, id.X.Recipient(), hd, nil); err == nil {
		t.Fatal("long-term writer accepted a header naming a prekey")
	}
}

// TestAttackForgedPrekey: a prekey changed after signing, or signed by
// another key, does not verify.
func TestAttackForgedPrekey(t *testing.T) {
	f := newFixture(t)
	pk, _, err := NewPrekey(HubID, "dev0001", "BIH", prekeyNow.Add(PrekeyMargin+time.Hour), func(m []byte) []byte { return ed25519.Sign(f.priv, m) })
	if err != nil {
		t.Fatal(err)
	}
	other, _ := age.GenerateX25519Identity()
	for name, change := range map[string]func(p *Prekey){
		"recipient": func(p *Prekey) { p.Recipient = other.Recipient().String() },
		"for":       func(p *Prekey) { p.For = "dev0002" },
		"expires":   func(p *Prekey) { p.Expires += 1 },
		"id":        func(p *Prekey) { p.ID = "0123456789abcdef" },
		"bad id":    func(p *Prekey) { p.ID = "../../x" },
	} {
		c := *pk
		change(&c)
		if err := c.Verify(f.pub); !errors.Is(err, ErrBadPrekey) {
			t.Errorf("%s changed: %v", name, err)
		}
	}
	pub2, _, _ := ed25519.GenerateKey(nil)
	if err := pk.Verify(pub2); !errors.Is(err, ErrBadPrekey) {
		t.Errorf("other signer: %v", err)
	}
	if !pk.Usable(prekeyNow) || pk.Usable(prekeyNow.Add(2*time.Hour)) {
		t.Error("Usable ignores the margin")
	}
}

func TestUnmarshalPrekeysRefuses(t *testing.T) {
	f := newFixture(t)
	pk, _, _ := NewPrekey(HubID, "dev0001", "BIH", prekeyNow, func(m []byte) []byte { return ed25519.Sign(f.priv, m) })
	dup, _ := encMode.Marshal([]Prekey{*pk, *pk})
	many := make([]Prekey, MaxPrekeys+1)
	if _, err := MarshalPrekeys(many); !errors.Is(err, ErrTooLarge) {
		t.Errorf("marshal of too many: %v", err)
	}
	for name, b := range map[string][]byte{"duplicate": dup, "garbage": []byte("\xff\x00"), "empty": nil,
		"too large": bytes.Repeat([]byte{0}, MaxPrekeysBytes+1)} {
		if _, err := UnmarshalPrekeys(b); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}

// FuzzPrekeys feeds untrusted bytes to the prekeys frame decoder and to the
// stanza reader that finds a bundle's prekey before it is decrypted.
func FuzzPrekeys(f *testing.F) {
	fx := newFixture(f)
	pk, _, _ := NewPrekey(HubID, "dev0001", "BIH", prekeyNow, func(m []byte) []byte { return ed25519.Sign(fx.priv, m) })
	b, _ := MarshalPrekeys([]Prekey{*pk})
	f.Add(b)
	f.Add([]byte(ageMagic + "-> fieldreg-prekey 0123456789abcdef c2hhcmU\nYm9keQ\n--- mac\n"))
	f.Add([]byte(ageMagic + "-> X25519 c2hhcmU\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if ps, err := UnmarshalPrekeys(in); err == nil {
			for i := range ps {
				_ = ps[i].Verify(fx.pub)
			}
			if _, err := MarshalPrekeys(ps); err != nil {
				t.Fatalf("decoded prekeys do not encode: %v", err)
			}
		}
		id := stanzaPrekey(bufio.NewReader(bytes.NewReader(in)))
		if id != "" && (!validPrekeyID(id) || !strings.Contains(string(in), id)) {
			t.Fatalf("stanza reader returned %q", id)
		}
	})
}

// BenchmarkNewPrekey: making one one-time key (X25519 key pair, Ed25519
// signature), what a device does 4 times and the hub 8 times per device
// as keys are used.
func BenchmarkNewPrekey(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	sign := func(m []byte) []byte { return ed25519.Sign(priv, m) }
	for b.Loop() {
		if _, _, err := NewPrekey(HubID, "dev0001", "BIH", prekeyNow, sign); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPrekeyVerify: checking a received one-time key's signature.
func BenchmarkPrekeyVerify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	p, _, _ := NewPrekey(HubID, "dev0001", "BIH", prekeyNow, func(m []byte) []byte { return ed25519.Sign(priv, m) })
	for b.Loop() {
		if err := p.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}
