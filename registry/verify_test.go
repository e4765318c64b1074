package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"testing"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// signedEvents is n format 2 events of one device, and its key.
func signedEvents(t testing.TB, n int) ([]*Event, ed25519.PublicKey, ed25519.PrivateKey) {
	t.Helper()
	k, _ := seal.NewKey()
	pub, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	evs := make([]*Event, n)
	for i := range evs {
		evs[i] = b.event("A", uint64(i+1), MakeHLC(int64(1_700_000_000_000+i), 0), OpRegister, &Change{Fields: FieldsOf(validPerson())}).Event
	}
	return evs, pub, priv
}

func keysFor(pub ed25519.PublicKey, n int) []ed25519.PublicKey {
	keys := make([]ed25519.PublicKey, n)
	for i := range keys {
		keys[i] = pub
	}
	return keys
}

// Every signature crypto/ed25519 takes, VerifyFormat takes, and a changed
// one neither takes.
func TestVerifyAgreesWithStdlib(t *testing.T) {
	evs, pub, _ := signedEvents(t, 50)
	for i, e := range evs {
		if !ed25519.Verify(pub, e.SignedBytes(), e.Sig) {
			t.Fatal("the fixture does not verify under crypto/ed25519")
		}
		if v, err := e.VerifyFormat(pub); err != nil || v != 2 {
			t.Fatalf("event %d: format %d, %v", i, v, err)
		}
		bad := *e
		bad.Sig = bytes.Clone(e.Sig)
		bad.Sig[i%64] ^= 1 << (i % 8)
		if std := ed25519.Verify(pub, bad.SignedBytes(), bad.Sig); std || bad.Verify(pub) == nil {
			t.Fatalf("event %d with a changed signature: stdlib %v, VerifyFormat %v", i, std, bad.Verify(pub))
		}
	}
}

func TestVerifyBatch(t *testing.T) {
	evs, pub, priv := signedEvents(t, 100)
	keys := keysFor(pub, len(evs))
	if !VerifyBatch(evs, keys) {
		t.Fatal("a batch of honest events does not verify")
	}
	if VerifyBatch(nil, nil) || VerifyBatch(evs, keys[1:]) {
		t.Fatal("an empty or ill-matched batch verifies")
	}
	// A forgery in the middle fails the batch; on its own, only it fails.
	forged := *evs[50]
	forged.Seq = 9999
	withForged := append(append(append([]*Event{}, evs[:50]...), &forged), evs[51:]...)
	if VerifyBatch(withForged, keys) {
		t.Fatal("a batch with a forged event verifies")
	}
	if err := forged.Verify(pub); !errors.Is(err, ErrForged) {
		t.Fatalf("the forged event alone: %v", err)
	}
	// Another device's key for one event.
	other, _, _ := ed25519.GenerateKey(nil)
	wrongKey := append(append(append([]ed25519.PublicKey{}, keys[:7]...), other), keys[8:]...)
	if VerifyBatch(evs, wrongKey) {
		t.Fatal("a batch with an event under the wrong key verifies")
	}
	// A format 1 event verifies on its own, not in a batch of format 2.
	v1 := *evs[3]
	signV1(&v1, priv)
	if v, err := v1.VerifyFormat(pub); err != nil || v != 1 {
		t.Fatalf("format 1 alone: %d %v", v, err)
	}
	if VerifyBatch([]*Event{evs[0], &v1}, keys[:2]) {
		t.Fatal("a format 1 event passes a format 2 batch")
	}
	// Erased events: of format 2 they verify in a batch, of format 1 not.
	e2 := *evs[4]
	e2.EraseAs(2)
	if !VerifyBatch([]*Event{evs[0], &e2}, keys[:2]) {
		t.Fatal("an erased format 2 event fails a batch")
	}
	e1 := v1
	e1.EraseAs(1)
	if VerifyBatch([]*Event{evs[0], &e1}, keys[:2]) {
		t.Fatal("an erased format 1 event passes a batch")
	}
	short := *evs[5]
	short.Sig = short.Sig[:63]
	if VerifyBatch([]*Event{evs[0], &short}, keys[:2]) || short.Verify(pub) == nil {
		t.Fatal("a short signature verifies")
	}
}

// VerifyBatch adds the terms of events under one key into one; its answer
// is the library's (ed25519consensus.BatchVerifier), for batches of
// several keys interleaved, with and without a forgery or a wrong key.
func TestVerifyBatchAgreesWithLibrary(t *testing.T) {
	var evs []*Event
	var keys []ed25519.PublicKey
	for d := 0; d < 3; d++ {
		e, pub, _ := signedEvents(t, 10+d)
		evs = append(evs, e...)
		keys = append(keys, keysFor(pub, len(e))...)
	}
	// Interleave the devices' events.
	for i := range evs {
		j := (i * 7) % len(evs)
		evs[i], evs[j] = evs[j], evs[i]
		keys[i], keys[j] = keys[j], keys[i]
	}
	library := func(evs []*Event, keys []ed25519.PublicKey) bool {
		bv := ed25519consensus.NewBatchVerifier()
		for i, e := range evs {
			bv.Add(keys[i], e.SignedBytes(), e.Sig)
		}
		return bv.Verify()
	}
	check := func(name string, want bool) {
		t.Helper()
		if lib, got := library(evs, keys), VerifyBatch(evs, keys); lib != want || got != want {
			t.Fatalf("%s: library %v, VerifyBatch %v, want %v", name, lib, got, want)
		}
	}
	check("honest", true)
	forged := *evs[17]
	forged.Officer = "someone else"
	honest := evs[17]
	evs[17] = &forged
	check("one forged", false)
	evs[17] = honest
	keys[5], keys[6] = keys[6], keys[5]
	if !bytes.Equal(keys[5], keys[6]) {
		check("two keys swapped", false)
	}
}

// identity is the canonical encoding of the neutral point (y = 1), a
// point of small order: under it as a key, R = identity and s = 0 is a
// signature of every message, which crypto/ed25519 takes too.
var identity = append([]byte{1}, make([]byte, 31)...)

// nonCanonical are other encodings of the neutral point: y = p+1, and
// y = 1 with the sign bit of x set (x is 0).
var nonCanonical = map[string][]byte{
	"y = p+1":           append(append([]byte{0xee}, bytes.Repeat([]byte{0xff}, 30)...), 0x7f),
	"sign bit of x = 0": append(append([]byte{1}, make([]byte, 30)...), 0x80),
	"y = p+1, sign bit": append(append([]byte{0xee}, bytes.Repeat([]byte{0xff}, 30)...), 0xff),
	"y = p-1, sign bit": append(append([]byte{0xec}, bytes.Repeat([]byte{0xff}, 30)...), 0xff),
	"y = p+18":          append(append([]byte{0xff}, bytes.Repeat([]byte{0xff}, 30)...), 0x7f),
}

// TestAttackNonCanonicalEncoding: ZIP 215 takes a point in any encoding,
// so the same signature could be re-encoded into other bytes that verify,
// and accept.Same would then take a replay for a forked log. Non-canonical
// R and A are refused, one by one and in a batch.
func TestAttackNonCanonicalEncoding(t *testing.T) {
	evs, _, _ := signedEvents(t, 1)
	e := *evs[0]
	e.Sig = append(bytes.Clone(identity), make([]byte, 32)...)
	if !ed25519.Verify(identity, e.SignedBytes(), e.Sig) || e.Verify(identity) != nil || !VerifyBatch([]*Event{&e}, []ed25519.PublicKey{identity}) {
		t.Fatal("the canonical degenerate signature: stdlib, VerifyFormat and VerifyBatch disagree")
	}
	for name, enc := range nonCanonical {
		if canonicalPoint(enc) {
			t.Fatalf("%s: taken as canonical", name)
		}
		r := e
		r.Sig = append(bytes.Clone(enc), make([]byte, 32)...)
		// Under a key of the same point, R non-canonical.
		if name == "y = p+1" && !ed25519consensus.Verify(identity, r.SignedBytes(), r.Sig) {
			t.Fatalf("%s: ZIP 215 refuses it (the test proves nothing)", name)
		}
		if err := r.Verify(identity); !errors.Is(err, ErrForged) {
			t.Fatalf("%s as R: %v", name, err)
		}
		if VerifyBatch([]*Event{evs[0], &r}, []ed25519.PublicKey{identity, identity}) {
			t.Fatalf("%s as R passes a batch", name)
		}
		// The key non-canonical, R canonical.
		if err := e.Verify(enc); !errors.Is(err, ErrForged) {
			t.Fatalf("%s as A: %v", name, err)
		}
		if VerifyBatch([]*Event{&e}, []ed25519.PublicKey{enc}) {
			t.Fatalf("%s as A passes a batch", name)
		}
	}
}

// order8 is a point of order 8 (a torsion point).
const order8 = "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"

// A signer can add a torsion point to R: crypto/ed25519's cofactorless
// equation refuses the signature, the cofactored one (ZIP 215) takes it.
// Single and batch verification take it alike, so no two receivers of
// this version judge the event differently.
func TestAttackTorsionSignatureJudgedAlike(t *testing.T) {
	evs, pub, priv := signedEvents(t, 2)
	e := evs[1]
	h := sha512.Sum512(priv.Seed())
	a, err := new(edwards25519.Scalar).SetBytesWithClamping(h[:32])
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := hex.DecodeString(order8)
	T, err := new(edwards25519.Point).SetBytes(tb)
	if err != nil {
		t.Fatal(err)
	}
	if new(edwards25519.Point).MultByCofactor(T).Equal(edwards25519.NewIdentityPoint()) != 1 || T.Equal(edwards25519.NewIdentityPoint()) == 1 {
		t.Fatal("the torsion point is not of small order")
	}
	var rb [64]byte
	rand.Read(rb[:])
	r, _ := new(edwards25519.Scalar).SetUniformBytes(rb[:])
	R := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(r), T)
	kh := sha512.New()
	kh.Write(R.Bytes())
	kh.Write(pub)
	kh.Write(e.SignedBytes())
	k, _ := new(edwards25519.Scalar).SetUniformBytes(kh.Sum(nil))
	s := new(edwards25519.Scalar).MultiplyAdd(k, a, r)
	e.Sig = append(R.Bytes(), s.Bytes()...)

	if ed25519.Verify(pub, e.SignedBytes(), e.Sig) {
		t.Fatal("crypto/ed25519 takes the torsion signature (the test proves nothing)")
	}
	if v, err := e.VerifyFormat(pub); err != nil || v != 2 {
		t.Fatalf("single: %d %v", v, err)
	}
	if !VerifyBatch(evs, keysFor(pub, 2)) {
		t.Fatal("batch refuses what single verification takes")
	}
}

// FuzzCanonicalPoint: of the encodings that decode to a point, exactly
// those that the point encodes back to are canonical.
func FuzzCanonicalPoint(f *testing.F) {
	f.Add(identity)
	for _, enc := range nonCanonical {
		f.Add(enc)
	}
	tb, _ := hex.DecodeString(order8)
	f.Add(tb)
	f.Add(edwards25519.NewGeneratorPoint().Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) != 32 {
			return
		}
		p, err := new(edwards25519.Point).SetBytes(b)
		if err != nil {
			return
		}
		if got, want := canonicalPoint(b), bytes.Equal(p.Bytes(), b); got != want {
			t.Fatalf("%x: canonical %v, re-encodes to itself %v", b, got, want)
		}
	})
}

// FuzzVerifyBatch: whatever the signature bytes, a batch of one event and
// the single verification agree, and a valid neighbour does not change the
// batch's answer.
func FuzzVerifyBatch(f *testing.F) {
	evs, pub, _ := signedEvents(f, 2)
	f.Add(evs[1].Sig)
	f.Add(append(bytes.Clone(identity), make([]byte, 32)...))
	f.Add(make([]byte, 64))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, sig []byte) {
		e := *evs[1]
		e.Sig = sig
		single := e.Verify(pub) == nil
		if one := VerifyBatch([]*Event{&e}, []ed25519.PublicKey{pub}); one != single {
			t.Fatalf("%x: batch %v, single %v", sig, one, single)
		}
		if two := VerifyBatch([]*Event{evs[0], &e}, keysFor(pub, 2)); two != single {
			t.Fatalf("%x: batch of two %v, single %v", sig, two, single)
		}
	})
}
