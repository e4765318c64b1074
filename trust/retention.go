package trust

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// MaxRetentionSize bounds the encoded size of RetentionRules.
const MaxRetentionSize = 4 << 10

// RetentionRules is how long the country authority keeps each category of
// record (registry.Retention), signed with its root key. Hubs hand it to
// devices with the trust list, by sync and in bundles, as they do the
// notice contacts; a newer one (by Issued) replaces an older one. A device
// without rules keeps the defaults of the Regulation
// (registry.DefaultRetention). Nothing in it is secret.
type RetentionRules struct {
	Country   string            `cbor:"1,keyasint" json:"country"`
	Issued    int64             `cbor:"2,keyasint" json:"issued"` // Unix seconds
	Periods   map[string]string `cbor:"3,keyasint" json:"periods"`
	Signature []byte            `cbor:"4,keyasint,omitempty" json:"signature"`
}

func (r *RetentionRules) signedBytes() []byte {
	u := *r
	u.Signature = nil
	b, _ := encMode.Marshal(&u)
	return append([]byte("fieldreg retention rules v1\x00"), b...)
}

// Retention reads the periods; an unknown category or a bad period is an
// error.
func (r *RetentionRules) Retention() (registry.Retention, error) {
	if !ValidCountry(r.Country) {
		return nil, errors.New("trust: retention rules name no valid country")
	}
	if len(r.Periods) == 0 {
		return nil, errors.New("trust: retention rules without periods")
	}
	sets := make([]string, 0, len(r.Periods))
	for k, v := range r.Periods {
		sets = append(sets, k+"="+v)
	}
	sort.Strings(sets)
	out, err := registry.ParseRetentionSet(registry.Retention{}, sets)
	if err != nil {
		return nil, fmt.Errorf("trust: retention rules: %w", err)
	}
	return out, nil
}

// SignRetention signs rules for the authority's country, dated now (or
// after prev, the rules they replace, if any: NextIssued).
func (a *Authority) SignRetention(rules registry.Retention, prev *RetentionRules, now time.Time) (*RetentionRules, error) {
	r := &RetentionRules{Country: a.Country, Issued: NextIssued(prev, now).Unix(), Periods: map[string]string{}}
	for k, p := range rules {
		r.Periods[k] = p.String()
	}
	if _, err := r.Retention(); err != nil {
		return nil, err
	}
	r.Signature = a.Sign(r.signedBytes())
	return r, nil
}

func (r *RetentionRules) check() error {
	_, err := r.Retention()
	return err
}

// Verify checks the form of r and its signature against root.
func (r *RetentionRules) Verify(root ed25519.PublicKey) error {
	return verifyDoc(r, r.Signature, root)
}

// Marshal encodes r as CBOR.
func (r *RetentionRules) Marshal() []byte {
	b, _ := encMode.Marshal(r)
	return b
}

// Kind is RetentionKind.
func (r *RetentionRules) Kind() DocKind { return RetentionKind }

// Issuer is the country and the date of r.
func (r *RetentionRules) Issuer() (string, int64) {
	if r == nil {
		return "", 0
	}
	return r.Country, r.Issued
}

// UnmarshalRetention decodes CBOR rules (untrusted input: it checks the
// form, not the signature; call Verify).
func UnmarshalRetention(b []byte) (*RetentionRules, error) {
	return unmarshalDoc[RetentionRules](b, MaxRetentionSize, "retention rules")
}

// HQOrigin is the origin of the events the country authority signs itself
// (an erasure ordered by HQ, reghub erase). Device IDs are 16 hex digits,
// so no device can have it.
const HQOrigin = "hq"

// HQKey is the key the authority signs its own events with, derived from
// its root seed (so nothing more is stored), and HQCredential certifies it
// under the device ID HQOrigin: it travels in the trust list like a
// device's, and receivers check HQ's events with it.
func (a *Authority) HQKey() (ed25519.PrivateKey, error) {
	seed, err := hkdf.Key(sha256.New, a.RootSeed, nil, "fieldreg hq events v1", ed25519.SeedSize)
	if err != nil {
		return nil, err
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// HQCredential is the credential of HQKey, issued now for ten years.
func (a *Authority) HQCredential(now time.Time) (*Credential, error) {
	k, err := a.HQKey()
	if err != nil {
		return nil, err
	}
	defer clear(k)
	return a.IssueCredential(HQOrigin, "HQ", a.Country, k.Public().(ed25519.PublicKey), now, 10*365*24*time.Hour), nil
}
