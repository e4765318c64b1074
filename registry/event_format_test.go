package registry

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// signV1 signs e as a build before format 2 did.
func signV1(e *Event, key ed25519.PrivateKey) { e.Sig = ed25519.Sign(key, e.signedBytesV1()) }

func TestEventFormat2SurvivesErasure(t *testing.T) {
	k, _ := seal.NewKey()
	pub, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	e := b.event("A", 1, 1, OpRegister, &Change{Fields: FieldsOf(validPerson())}).Event
	if v, err := e.VerifyFormat(pub); err != nil || v != 2 {
		t.Fatalf("fresh event: format %d, %v", v, err)
	}
	sum := e.PayloadSum()
	signed := e.SignedBytes()
	if err := e.Erase(pub); err != nil {
		t.Fatal(err)
	}
	if !e.Erased() || bytes.Contains(e.Payload, []byte("Testperson")) || len(e.Payload) != erasedLen {
		t.Fatalf("payload not dropped: %d bytes", len(e.Payload))
	}
	if v, err := e.VerifyFormat(pub); err != nil || v != 2 {
		t.Fatalf("erased event: format %d, %v", v, err)
	}
	if !bytes.Equal(e.PayloadSum(), sum) || !bytes.Equal(e.SignedBytes(), signed) {
		t.Fatal("erasure changed what the signature covers")
	}
	if _, err := e.OpenChange(k); !errors.Is(err, ErrErased) {
		t.Fatalf("open erased: %v", err)
	}
	// Erasing twice changes nothing.
	before := bytes.Clone(e.Payload)
	if err := e.Erase(pub); err != nil || !bytes.Equal(e.Payload, before) {
		t.Fatal("second erasure changed the event")
	}
	// A header changed after erasure, or a different hash, does not verify.
	h := *e
	h.Record = "BIH-0000-0000-0000"
	if err := h.Verify(pub); !errors.Is(err, ErrForged) {
		t.Fatal("changed header of an erased event verifies")
	}
	p := *e
	p.Payload = bytes.Clone(e.Payload)
	p.Payload[len(p.Payload)-1] ^= 1
	if err := p.Verify(pub); !errors.Is(err, ErrForged) {
		t.Fatal("changed payload hash verifies")
	}
}

func TestEventFormat1StillVerifies(t *testing.T) {
	k, _ := seal.NewKey()
	pub, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	e := b.event("A", 1, 1, OpRegister, &Change{Fields: FieldsOf(validPerson())}).Event
	signV1(e, priv)
	if v, err := e.VerifyFormat(pub); err != nil || v != 1 {
		t.Fatalf("format 1 event: format %d, %v", v, err)
	}
	// A format 1 signature does not pass as format 2, nor the reverse.
	if ed25519.Verify(pub, e.SignedBytes(), e.Sig) {
		t.Fatal("format 1 signature verifies as format 2")
	}
	tampered := *e
	tampered.Payload = bytes.Clone(e.Payload)
	tampered.Payload[30] ^= 1
	if err := tampered.Verify(pub); !errors.Is(err, ErrForged) {
		t.Fatal("tampered format 1 payload verifies")
	}
	if err := e.Erase(pub); err != nil {
		t.Fatal(err)
	}
	if v, err := e.VerifyFormat(pub); !errors.Is(err, ErrErasedV1) || v != 1 {
		t.Fatalf("erased format 1: %d, %v", v, err)
	}
	// Erase refuses an event that does not verify: its format is unknown.
	f := b.event("A", 1, 2, OpRegister, &Change{Fields: FieldsOf(validPerson())}).Event
	f.Sig[0] ^= 1
	if err := f.Erase(pub); !errors.Is(err, ErrForged) {
		t.Fatalf("erase of a forged event: %v", err)
	}
	// An erased stub naming an unknown format is forged.
	g := b.event("A", 1, 3, OpRegister, &Change{Fields: FieldsOf(validPerson())}).Event
	g.EraseAs(7)
	if err := g.Verify(pub); !errors.Is(err, ErrForged) {
		t.Fatalf("stub of format 7: %v", err)
	}
}
