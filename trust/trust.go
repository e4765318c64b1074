// Package trust holds the key hierarchy of a country authority: the root
// signing key that certifies devices, the recovery key that can unwrap any
// device master key, and the deployment keys (records key, index key). It
// defines the compact device credential carried by events and receipts, the
// signed revocation list, and the public trust file a verifier needs.
package trust

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"filippo.io/age"
	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

var (
	encMode, _ = cbor.CoreDetEncOptions().EncMode()
	decMode, _ = cbor.DecOptions{MaxArrayElements: 1 << 16, MaxMapPairs: 1 << 10, MaxNestedLevels: 8, DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
)

// ErrBadSignature is returned when a credential, list or file is not signed by
// the expected root key.
var ErrBadSignature = errors.New("signature does not verify against the authority's root key")

var countryRE = regexp.MustCompile(`^[A-Z]{3}$`)

// ValidCountry reports whether c looks like an ISO 3166-1 alpha-3 code.
func ValidCountry(c string) bool { return countryRE.MatchString(c) }

// Authority is a country authority's secret key material. In a standalone
// deployment a device holds it; otherwise only the hub does.
type Authority struct {
	Country    string             `cbor:"1,keyasint"`
	RootSeed   []byte             `cbor:"2,keyasint"` // Ed25519 seed
	Recovery   string             `cbor:"3,keyasint"` // age X25519 identity (AGE-SECRET-KEY-1...)
	RecordsKey []byte             `cbor:"4,keyasint"` // seals event payloads for the deployment
	IndexKey   []byte             `cbor:"5,keyasint"` // blind indexes that match across devices
	Created    int64              `cbor:"6,keyasint"`
	root       ed25519.PrivateKey `cbor:"-"`
}

// NewAuthority creates fresh keys for country, reading randomness from r
// (crypto/rand.Reader when nil).
func NewAuthority(country string, r io.Reader, now time.Time) (*Authority, error) {
	if !ValidCountry(country) {
		return nil, fmt.Errorf("trust: country must be an ISO 3166-1 alpha-3 code like BIH, got %q", country)
	}
	if r == nil {
		r = rand.Reader
	}
	a := &Authority{Country: country, RootSeed: make([]byte, ed25519.SeedSize), RecordsKey: make([]byte, seal.KeySize), IndexKey: make([]byte, 32), Created: now.Unix()}
	for _, b := range [][]byte{a.RootSeed, a.RecordsKey, a.IndexKey} {
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("trust: random: %w", err)
		}
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("trust: recovery key: %w", err)
	}
	a.Recovery = id.String()
	a.root = ed25519.NewKeyFromSeed(a.RootSeed)
	return a, nil
}

// Marshal encodes the secret key material (seal it before storing).
func (a *Authority) Marshal() []byte {
	b, _ := encMode.Marshal(a)
	return b
}

// UnmarshalAuthority decodes what Marshal produced.
func UnmarshalAuthority(b []byte) (*Authority, error) {
	var a Authority
	if err := decMode.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("trust: authority keys damaged: %w", err)
	}
	if len(a.RootSeed) != ed25519.SeedSize || len(a.RecordsKey) != seal.KeySize || len(a.IndexKey) != 32 || !ValidCountry(a.Country) {
		return nil, errors.New("trust: authority keys damaged: wrong sizes")
	}
	a.root = ed25519.NewKeyFromSeed(a.RootSeed)
	return &a, nil
}

// Wipe zeroes the authority's secret keys in memory (the root signing key
// as well as its seed). The authority cannot sign afterwards.
func (a *Authority) Wipe() {
	clear(a.RootSeed)
	clear(a.root)
	clear(a.RecordsKey)
	clear(a.IndexKey)
}

// RootPublic is the authority's root public key: all a verifier needs.
func (a *Authority) RootPublic() ed25519.PublicKey { return a.root.Public().(ed25519.PublicKey) }

// RecoveryRecipient is the public half of the recovery key.
func (a *Authority) RecoveryRecipient() (*age.X25519Recipient, error) {
	id, err := age.ParseX25519Identity(a.Recovery)
	if err != nil {
		return nil, fmt.Errorf("trust: recovery key damaged: %w", err)
	}
	return id.Recipient(), nil
}

// Sign signs msg with the root key.
func (a *Authority) Sign(msg []byte) []byte { return ed25519.Sign(a.root, msg) }

// NewDeviceID returns a random device identifier (16 hex digits).
func NewDeviceID(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 8)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Credential certifies a device's signing key. It is small enough to ride
// inside a QR receipt (about 150 bytes of CBOR).
type Credential struct {
	DeviceID  string            `cbor:"1,keyasint" json:"device_id"`
	Name      string            `cbor:"2,keyasint" json:"name"`
	Station   string            `cbor:"3,keyasint" json:"station"`
	Country   string            `cbor:"4,keyasint" json:"country"`
	PublicKey ed25519.PublicKey `cbor:"5,keyasint" json:"public_key"`
	IssuedAt  int64             `cbor:"6,keyasint" json:"issued_at"`
	ExpiresAt int64             `cbor:"7,keyasint" json:"expires_at"`
	Signature []byte            `cbor:"8,keyasint,omitempty" json:"signature"`
}

func (c *Credential) signedBytes() []byte {
	u := *c
	u.Signature = nil
	b, _ := encMode.Marshal(&u)
	return append([]byte("fieldreg device credential v1\x00"), b...)
}

// IssueCredential certifies pub as device id, valid for validity from now.
func (a *Authority) IssueCredential(deviceID, name, station string, pub ed25519.PublicKey, now time.Time, validity time.Duration) *Credential {
	c := &Credential{DeviceID: deviceID, Name: name, Station: station, Country: a.Country, PublicKey: pub, IssuedAt: now.Unix(), ExpiresAt: now.Add(validity).Unix()}
	c.Signature = a.Sign(c.signedBytes())
	return c
}

// Verify checks the credential's signature against root and its validity at t.
func (c *Credential) Verify(root ed25519.PublicKey, t time.Time) error {
	if len(root) != ed25519.PublicKeySize || len(c.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(root, c.signedBytes(), c.Signature) {
		return ErrBadSignature
	}
	if t.Unix() < c.IssuedAt-86400 || t.Unix() > c.ExpiresAt {
		return fmt.Errorf("trust: device credential not valid at %s", t.UTC().Format(time.RFC3339))
	}
	return nil
}

// Marshal encodes the credential as CBOR.
func (c *Credential) Marshal() []byte {
	b, _ := encMode.Marshal(c)
	return b
}

// UnmarshalCredential decodes a CBOR credential (untrusted input: it does not
// verify; call Verify).
func UnmarshalCredential(b []byte) (*Credential, error) {
	if len(b) > 1024 {
		return nil, errors.New("trust: credential too large")
	}
	var c Credential
	if err := decMode.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("trust: credential malformed: %w", err)
	}
	return &c, nil
}
