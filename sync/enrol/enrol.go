// Package enrol is the enrolment package a hub makes for one device: the
// device's identity, credential and signing key, the deployment keys it
// needs, the trust root and the hub's address and pinned certificate, all
// sealed under a one-time code that an officer types on the device.
//
// The file is JSON: the format name, an Argon2id wrap (crypto/vault) of a
// random package key under the code, and the package sealed under that key
// (crypto/seal, XChaCha20-Poly1305). A wrong code and a tampered file fail
// the same way, with ErrWrongCode.
package enrol

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/crypto/vault"
)

// Format names the file format.
const Format = "fieldreg-enrolment/1"

// MaxFileSize bounds an enrolment file (untrusted input).
const MaxFileSize = 1 << 20

// CodeLen is the number of characters of a code (50 bits).
const CodeLen = 10

// crockford is Crockford's base32 alphabet: no I, L, O or U to misread.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ErrWrongCode means the code does not open the file, or the file was altered.
var ErrWrongCode = errors.New("the enrolment code does not open this enrolment file (mistyped code, or a damaged or different file)")

// Package is what a device needs to join a deployment. SignSeed, RecordsKey
// and IndexKey are secret.
type Package struct {
	Country      string `cbor:"1,keyasint"`
	DeviceID     string `cbor:"2,keyasint"`
	DeviceName   string `cbor:"3,keyasint"`
	Station      string `cbor:"4,keyasint"`
	Credential   []byte `cbor:"5,keyasint"` // CBOR trust.Credential signed by the root
	SignSeed     []byte `cbor:"6,keyasint"` // the device's Ed25519 seed
	ClientCert   []byte `cbor:"7,keyasint"` // DER: TLS client certificate for the signing key
	RecordsKey   []byte `cbor:"8,keyasint"`
	IndexKey     []byte `cbor:"9,keyasint"`
	RootPublic   []byte `cbor:"10,keyasint"` // the authority's Ed25519 root key
	CACert       []byte `cbor:"11,keyasint"` // DER: the authority's root as an X.509 CA
	Recovery     string `cbor:"12,keyasint"` // age recipient of the authority's recovery key
	HubURL       string `cbor:"13,keyasint"`
	HubCert      []byte `cbor:"14,keyasint"` // DER: the hub's certificate, pinned
	Revocations  []byte `cbor:"15,keyasint,omitempty"`
	Issued       int64  `cbor:"16,keyasint"`
	HubBundleKey string `cbor:"17,keyasint,omitempty"` // age recipient of the hub's USB-bundle key (sync/bundle)
}

// Wipe overwrites the secret parts.
func (p *Package) Wipe() {
	for _, b := range [][]byte{p.SignSeed, p.RecordsKey, p.IndexKey} {
		clear(b)
	}
}

type file struct {
	Format string          `json:"format"`
	Wrap   json.RawMessage `json:"wrap"`
	Sealed []byte          `json:"sealed"`
}

var (
	encMode, _ = cbor.CoreDetEncOptions().EncMode()
	decMode, _ = cbor.DecOptions{MaxArrayElements: 16, MaxMapPairs: 32, MaxNestedLevels: 4, DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
)

var packageAD = []byte("fieldreg enrolment package v1")

// NewCode returns a random code of CodeLen Crockford characters, grouped for
// reading aloud: "7KQ4M-2XD9T".
func NewCode(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, CodeLen)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	var sb strings.Builder
	for i, c := range b {
		if i == CodeLen/2 {
			sb.WriteByte('-')
		}
		sb.WriteByte(crockford[c&31])
	}
	return sb.String(), nil
}

// NormalizeCode accepts a code as an officer types it: any case, with or
// without hyphens and spaces, I and L for 1, O for 0.
func NormalizeCode(s string) (string, error) {
	var sb strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ':
			continue
		case r == 'I' || r == 'L':
			r = '1'
		case r == 'O':
			r = '0'
		}
		if r > 0x7f || !strings.ContainsRune(crockford, r) {
			return "", fmt.Errorf("the enrolment code holds a character that is not in it (%q)", r)
		}
		sb.WriteRune(r)
	}
	if sb.Len() != CodeLen {
		return "", fmt.Errorf("the enrolment code has %d characters, not %d", sb.Len(), CodeLen)
	}
	return sb.String(), nil
}

// Seal encrypts p under code with Argon2id parameters params.
func Seal(p *Package, code string, params vault.Params) ([]byte, error) {
	pt, err := encMode.Marshal(p)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return SealWithCode(pt, code, Format, packageAD, params)
}

// CodeFile names a kind of file sealed under a one-time code, for
// SealWithCode and OpenWithCode: its format string, the associated data of
// its ciphertext, and how it is called in messages ("enrolment file").
type CodeFile struct {
	Format  string
	AD      []byte
	What    string
	MaxSize int
	// ErrWrongCode is returned when the code does not open the file.
	ErrWrongCode error
}

// SealWithCode encrypts plaintext pt under a random key wrapped with
// Argon2id of the normalised one-time code, as a small JSON file of the
// given format. Enrolment and federation packages share it.
func SealWithCode(pt []byte, code, format string, ad []byte, params vault.Params) ([]byte, error) {
	norm, err := NormalizeCode(code)
	if err != nil {
		return nil, err
	}
	k, err := seal.NewKey()
	if err != nil {
		return nil, err
	}
	defer k.Wipe()
	w, err := vault.WrapKey(k, []byte(norm), params)
	if err != nil {
		return nil, err
	}
	sealed, err := seal.Seal(k, pt, ad)
	if err != nil {
		return nil, err
	}
	out, err := json.MarshalIndent(file{Format: format, Wrap: w.Marshal(), Sealed: sealed}, "", " ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// OpenWithCode decrypts what SealWithCode wrote, refusing anything that is
// not a file of kind cf, is too large, or is damaged, in plain words. The
// caller clears the returned plaintext after use.
func OpenWithCode(b []byte, code string, cf CodeFile) ([]byte, error) {
	if len(b) > cf.MaxSize {
		return nil, fmt.Errorf("this is not %s (too large)", cf.What)
	}
	norm, err := NormalizeCode(code)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f file
	if err := dec.Decode(&f); err != nil || f.Format != cf.Format {
		return nil, fmt.Errorf("this is not %s", cf.What)
	}
	w, err := vault.UnmarshalWrap(f.Wrap)
	if err != nil {
		return nil, fmt.Errorf("this %s is damaged", strings.TrimPrefix(strings.TrimPrefix(cf.What, "an "), "a "))
	}
	k, err := w.Unwrap([]byte(norm))
	if errors.Is(err, vault.ErrWrongPassphrase) {
		return nil, cf.ErrWrongCode
	}
	if err != nil {
		return nil, fmt.Errorf("this %s is damaged: %w", strings.TrimPrefix(strings.TrimPrefix(cf.What, "an "), "a "), err)
	}
	defer k.Wipe()
	pt, err := seal.Open(k, f.Sealed, cf.AD)
	if err != nil {
		return nil, cf.ErrWrongCode
	}
	return pt, nil
}

// Open decrypts an enrolment file with code. It checks the form of the file
// and of the package; the credential's signature is for the caller to verify
// against RootPublic.
func Open(b []byte, code string) (*Package, error) {
	pt, err := OpenWithCode(b, code, CodeFile{Format: Format, AD: packageAD, What: "an enrolment file", MaxSize: MaxFileSize, ErrWrongCode: ErrWrongCode})
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	var p Package
	if err := decMode.Unmarshal(pt, &p); err != nil {
		return nil, errors.New("this enrolment file is damaged")
	}
	if len(p.SignSeed) != 32 || len(p.RecordsKey) != seal.KeySize || len(p.IndexKey) != 32 || len(p.RootPublic) != 32 ||
		p.DeviceID == "" || p.HubURL == "" || len(p.HubCert) == 0 || len(p.ClientCert) == 0 {
		return nil, errors.New("this enrolment file is incomplete")
	}
	return &p, nil
}
