package registry

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"slices"

	"filippo.io/edwards25519"
	"github.com/hdevalence/ed25519consensus"
)

// Event signatures are judged by the rules of ZIP 215 (the cofactored
// equation, as ed25519consensus implements it), in one event as in a batch
// of them, so that the two can never disagree about an event: batch
// verification is only sound with the cofactored equation, and a single
// verification that used the cofactorless one (crypto/ed25519) would refuse
// some events a batch takes. ZIP 215 accepts every signature crypto/ed25519
// accepts. To it this file adds one rule: the points in a signature (R) and
// in a key (A) must be canonically encoded, as crypto/ed25519 requires of
// R, so that no one can re-encode a valid signature into another valid one
// (accept.Same tells a replay from a forked log by the signature's bytes).
// docs/sync.md ("How signatures are checked") has the reasoning.

// verifySig reports whether sig is a valid signature of msg under pub.
func verifySig(pub ed25519.PublicKey, msg, sig []byte) bool {
	return len(pub) == ed25519.PublicKeySize && len(sig) == ed25519.SignatureSize &&
		canonicalPoint(pub) && canonicalPoint(sig[:32]) && ed25519consensus.Verify(pub, msg, sig)
}

// canonicalPoint reports whether b (32 bytes) is the canonical encoding of
// an Edwards point as far as bytes tell: its y coordinate is below the
// field's prime p = 2^255-19, and the sign bit of x is clear when x is 0
// (y = 1 or y = p-1). Whether b is a point at all is left to decoding.
func canonicalPoint(b []byte) bool {
	// y >= p: the low 255 bits are p + k, 0 <= k < 19, that is the
	// first byte is 0xed + k and every other bit of y is set.
	high := true
	for _, c := range b[1:31] {
		if c != 0xff {
			high = false
			break
		}
	}
	top := b[31] & 0x7f
	if high && top == 0x7f && b[0] >= 0xed {
		return false
	}
	if b[31]&0x80 == 0 {
		return true
	}
	// x = 0 with the sign bit set: y = 1 or y = p-1 (0xec, then ones).
	if high && top == 0x7f && b[0] == 0xec {
		return false
	}
	if b[0] == 1 && top == 0 {
		for _, c := range b[1:31] {
			if c != 0 {
				return true
			}
		}
		return false
	}
	return true
}

// VerifyBatch reports whether every event of evs verifies in format 2
// under its key (keys[i] for evs[i]): true promises that VerifyFormat
// would return 2 and no error for each. It checks them together, at about
// a third of the cost of one by one; false says only that at least one
// does not (a forgery, or an event of format 1), and the caller finds
// which with VerifyFormat. An event erased in format 1 makes the batch
// fail. keys and evs must have the same length; an empty batch is false.
//
// It is the batch equation of ed25519consensus.BatchVerifier (ZIP 215),
//
//	[8]( [-sum z_i s_i]B + sum [z_i]R_i + sum [z_i k_i]A_i ) = 0
//
// with z_i random 128-bit scalars, where the terms of events under one key
// are added into one, [sum z_i k_i]A, as ed25519-zebra's batch verifier
// does: a chunk comes from one or a few devices, and the key's point is
// then decoded and multiplied once instead of once an event, which is
// half of the work. The sum is the same, so the answer is the same as the
// library's (TestVerifyBatchAgreesWithLibrary).
func VerifyBatch(evs []*Event, keys []ed25519.PublicKey) bool {
	n := len(evs)
	if n == 0 || n != len(keys) {
		return false
	}
	z := make([]byte, 16*n)
	if _, err := rand.Read(z); err != nil {
		return false
	}
	// Scalars and points of the multi-scalar multiplication: B first, then
	// each R_i, then each distinct key.
	scalars := make([]*edwards25519.Scalar, 1, 1+n+4)
	points := make([]*edwards25519.Point, 1, 1+n+4)
	scalars[0], points[0] = edwards25519.NewScalar(), edwards25519.NewGeneratorPoint()
	rs := make([]edwards25519.Scalar, n)
	rp := make([]edwards25519.Point, n)
	type key struct {
		pub   ed25519.PublicKey
		point *edwards25519.Point
		coeff *edwards25519.Scalar
	}
	var distinct []key
	var buf [32]byte
	var s, k edwards25519.Scalar
	h := sha512.New()
	var digest [64]byte
	for i, e := range evs {
		pub, sig := keys[i], e.Sig
		if len(pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize ||
			!canonicalPoint(pub) || !canonicalPoint(sig[:32]) ||
			(e.Erased() && e.erasedFormat() != 2) {
			return false
		}
		if _, err := rp[i].SetBytes(sig[:32]); err != nil {
			return false
		}
		if _, err := s.SetCanonicalBytes(sig[32:]); err != nil {
			return false
		}
		h.Reset()
		h.Write(sig[:32])
		h.Write(pub)
		h.Write(e.SignedBytes())
		if _, err := k.SetUniformBytes(h.Sum(digest[:0])); err != nil {
			return false
		}
		copy(buf[:16], z[16*i:16*i+16])
		zi := &rs[i]
		if _, err := zi.SetCanonicalBytes(buf[:]); err != nil {
			return false
		}
		scalars[0].MultiplyAdd(zi, &s, scalars[0])
		scalars, points = append(scalars, zi), append(points, &rp[i])
		j := slices.IndexFunc(distinct, func(d key) bool { return bytes.Equal(d.pub, pub) })
		if j < 0 {
			a, err := new(edwards25519.Point).SetBytes(pub)
			if err != nil {
				return false
			}
			distinct = append(distinct, key{pub, a, edwards25519.NewScalar()})
			j = len(distinct) - 1
		}
		distinct[j].coeff.MultiplyAdd(zi, &k, distinct[j].coeff)
	}
	scalars[0].Negate(scalars[0])
	for _, d := range distinct {
		scalars, points = append(scalars, d.coeff), append(points, d.point)
	}
	check := new(edwards25519.Point).VarTimeMultiScalarMult(scalars, points)
	return check.MultByCofactor(check).Equal(edwards25519.NewIdentityPoint()) == 1
}
