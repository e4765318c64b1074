package registry

import (
	"crypto/ed25519"

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
// would return 2 and no error for each. It checks them together, about
// twice as fast as one by one; false says only that at least one does not
// (a forgery, or an event of format 1), and the caller finds which with
// VerifyFormat. An event erased in format 1 makes the batch fail. keys and
// evs must have the same length; an empty batch is false.
func VerifyBatch(evs []*Event, keys []ed25519.PublicKey) bool {
	if len(evs) == 0 || len(evs) != len(keys) {
		return false
	}
	bv := ed25519consensus.NewPreallocatedBatchVerifier(len(evs))
	for i, e := range evs {
		pub := keys[i]
		if len(pub) != ed25519.PublicKeySize || len(e.Sig) != ed25519.SignatureSize ||
			!canonicalPoint(pub) || !canonicalPoint(e.Sig[:32]) ||
			(e.Erased() && e.erasedFormat() != 2) {
			return false
		}
		bv.Add(pub, e.SignedBytes(), e.Sig)
	}
	return bv.Verify()
}
