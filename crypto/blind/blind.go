// Package blind computes blind indexes: keyed hashes of normalised values that
// let the database find records without storing or decrypting the values.
package blind

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
)

// TokenSize is the length of a token. 16 bytes keeps the index small while
// leaving accidental collisions negligible.
const TokenSize = 16

// Indexer computes tokens under one key. It is not safe for concurrent use;
// make one per goroutine and reuse it: its HMAC state is made once, and a
// token costs no allocation beyond its own 16 bytes (none with AppendToken).
type Indexer struct {
	mac hash.Hash
	msg []byte // kind, 0, value of the token being made; overwritten by the next
	sum []byte // the HMAC of msg, before truncation; overwritten by the next
}

// New returns an Indexer keyed with key (32 bytes recommended).
func New(key []byte) *Indexer {
	return &Indexer{mac: hmac.New(sha256.New, key), sum: make([]byte, 0, sha256.Size)}
}

// Token returns HMAC(key, kind || 0 || value) truncated to TokenSize. kind
// separates domains ("name", "doc", "cat", ...) so equal values of different
// kinds give different tokens. The token is the caller's: no later call
// changes it.
func (x *Indexer) Token(kind, value string) []byte {
	return x.AppendToken(make([]byte, 0, TokenSize), kind, value)
}

// AppendToken appends the token Token would return to dst and returns the
// extended slice.
func (x *Indexer) AppendToken(dst []byte, kind, value string) []byte {
	x.msg = append(append(append(x.msg[:0], kind...), 0), value...)
	x.mac.Reset()
	x.mac.Write(x.msg)
	x.sum = x.mac.Sum(x.sum[:0])
	return append(dst, x.sum[:TokenSize]...)
}
