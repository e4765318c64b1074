package vault

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
)

// Verifier is an Argon2id hash of a passphrase with its parameters and
// salt: it checks a passphrase later without keeping it (the hub's web
// dashboard accounts). Unlike a Wrap it guards no key.
type Verifier struct {
	Version int    `json:"v"`
	Params  Params `json:"params"`
	Salt    []byte `json:"salt"`
	Hash    []byte `json:"hash"`
}

const verifierVersion = 1

// NewVerifier hashes passphrase with Argon2id parameters p and a new
// random salt.
func NewVerifier(passphrase []byte, p Params) (*Verifier, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("vault: salt: %w", err)
	}
	k := derive(passphrase, salt, p)
	defer k.Wipe()
	return &Verifier{Version: verifierVersion, Params: p, Salt: salt, Hash: append([]byte(nil), k[:]...)}, nil
}

// Check returns nil when passphrase is the one hashed, ErrWrongPassphrase
// when it is not, and another error when the verifier is damaged (its
// parameters are checked before any work, so a tampered one cannot make
// the hub spend minutes or gigabytes).
func (v *Verifier) Check(passphrase []byte) error {
	if v.Version != verifierVersion {
		return fmt.Errorf("vault: verifier version %d is not supported", v.Version)
	}
	if err := v.Params.validate(); err != nil {
		return err
	}
	if len(v.Salt) < 16 || len(v.Hash) != 32 {
		return errors.New("vault: verifier damaged")
	}
	k := derive(passphrase, v.Salt, v.Params)
	defer k.Wipe()
	if subtle.ConstantTimeCompare(k[:], v.Hash) != 1 {
		return ErrWrongPassphrase
	}
	return nil
}

// Marshal encodes the verifier for storage.
func (v *Verifier) Marshal() []byte {
	b, _ := json.Marshal(v) // cannot fail: plain fields
	return b
}

// UnmarshalVerifier decodes a stored verifier.
func UnmarshalVerifier(b []byte) (*Verifier, error) {
	var v Verifier
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("vault: stored verifier is damaged: %w", err)
	}
	return &v, nil
}
