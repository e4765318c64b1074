// Package seal encrypts small values with XChaCha20-Poly1305 and binds each
// ciphertext to where it belongs (table, field, record) through associated
// data, so a ciphertext moved to another field or record fails to open.
package seal

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// KeySize is the size of a sealing key.
const KeySize = chacha20poly1305.KeySize

// Overhead is how many bytes Seal adds to a plaintext.
const Overhead = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// ErrOpen is returned when a ciphertext does not open: wrong key, altered
// bytes, or associated data that does not match (moved field or record).
var ErrOpen = errors.New("sealed value does not open (wrong key, altered, or moved)")

// Key is a 32-byte sealing key.
type Key [KeySize]byte

// NewKey returns a fresh random key.
func NewKey() (*Key, error) {
	var k Key
	if _, err := rand.Read(k[:]); err != nil {
		return nil, fmt.Errorf("seal: random key: %w", err)
	}
	return &k, nil
}

// KeyFromBytes copies b into a key; b must be KeySize bytes.
func KeyFromBytes(b []byte) (*Key, error) {
	if len(b) != KeySize {
		return nil, fmt.Errorf("seal: key is %d bytes, want %d", len(b), KeySize)
	}
	var k Key
	copy(k[:], b)
	return &k, nil
}

// Wipe overwrites the key with zeros.
func (k *Key) Wipe() {
	if k == nil {
		return
	}
	for i := range k {
		k[i] = 0
	}
}

// AD builds associated data naming where a sealed value lives. Parts are
// length-prefixed so ("ab","c") and ("a","bc") differ.
func AD(parts ...string) []byte {
	var n int
	for _, p := range parts {
		n += len(p) + 2
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, byte(len(p)>>8), byte(len(p)))
		b = append(b, p...)
	}
	return b
}

// Seal encrypts plaintext under key with a random 24-byte nonce, which it
// prepends to the result.
func Seal(key *Key, plaintext, ad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := make([]byte, chacha20poly1305.NonceSizeX, chacha20poly1305.NonceSizeX+len(plaintext)+chacha20poly1305.Overhead)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return aead.Seal(out, out, plaintext, ad), nil
}

// Open decrypts what Seal produced with the same key and associated data.
// Any mismatch returns ErrOpen.
func Open(key *Key, sealed, ad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrOpen
	}
	aead, err := chacha20poly1305.NewX(key[:])
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	pt, err := aead.Open(nil, sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
