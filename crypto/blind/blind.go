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
// make one per goroutine (they are cheap).
type Indexer struct {
	mac hash.Hash
}

// New returns an Indexer keyed with key (32 bytes recommended).
func New(key []byte) *Indexer {
	return &Indexer{mac: hmac.New(sha256.New, key)}
}

// Token returns HMAC(key, kind || 0 || value) truncated to TokenSize. kind
// separates domains ("name", "doc", "cat", ...) so equal values of different
// kinds give different tokens.
func (x *Indexer) Token(kind, value string) []byte {
	x.mac.Reset()
	x.mac.Write([]byte(kind))
	x.mac.Write([]byte{0})
	x.mac.Write([]byte(value))
	return x.mac.Sum(nil)[:TokenSize]
}
