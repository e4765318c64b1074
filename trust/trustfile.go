package trust

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FileFormat names the trust file format; Parse refuses any other.
const FileFormat = "fieldreg-trust/1"

// Limits on a trust file, which is untrusted input until parsed.
const (
	MaxFileSize        = 8 << 20 // bytes
	MaxFileCountries   = 256
	MaxRootsPerCountry = 8
)

// File is the public trust a verifier needs: each participating country's
// root public keys (more than one while a root key is rotated) and that
// country's latest revocation list. Nothing in it is secret.
//
// The root keys are trusted because of how the file was obtained (from the
// authority, by hand or through sync); each revocation list is checked
// against its country's root keys.
type File struct {
	Format    string    `json:"format"`
	Countries []Country `json:"countries"`
}

// Country is one authority's entry in a trust file.
type Country struct {
	Country     string              `json:"country"`
	RootKeys    []ed25519.PublicKey `json:"root_keys"`
	Revocations *RevocationList     `json:"revocations,omitempty"`
}

// Lookup returns the entry for country, or nil.
func (f *File) Lookup(country string) *Country {
	if f == nil {
		return nil
	}
	for i := range f.Countries {
		if f.Countries[i].Country == country {
			return &f.Countries[i]
		}
	}
	return nil
}

// RootKeys returns the root public keys trusted for country (nil if the
// country is unknown).
func (f *File) RootKeys(country string) []ed25519.PublicKey {
	if c := f.Lookup(country); c != nil {
		return c.RootKeys
	}
	return nil
}

// RevokedAt reports when country's authority revoked device, if it did.
func (f *File) RevokedAt(country, device string) (time.Time, bool) {
	if c := f.Lookup(country); c != nil {
		return c.Revocations.RevokedAt(device)
	}
	return time.Time{}, false
}

// Set adds or replaces the entry for c.Country, keeping countries sorted.
func (f *File) Set(c Country) {
	if e := f.Lookup(c.Country); e != nil {
		*e = c
		return
	}
	f.Countries = append(f.Countries, c)
	slices.SortFunc(f.Countries, func(a, b Country) int { return strings.Compare(a.Country, b.Country) })
}

// Verify checks the entry: a valid country, one to MaxRootsPerCountry root
// keys of the right size, and a revocation list (if any) of the same country
// signed by one of the root keys.
func (c *Country) Verify() error {
	if !ValidCountry(c.Country) {
		return fmt.Errorf("trust: %q is not a country code", c.Country)
	}
	if len(c.RootKeys) == 0 || len(c.RootKeys) > MaxRootsPerCountry {
		return fmt.Errorf("trust: %s: 1 to %d root keys expected", c.Country, MaxRootsPerCountry)
	}
	for _, k := range c.RootKeys {
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("trust: %s: a root key has the wrong size", c.Country)
		}
	}
	if c.Revocations == nil {
		return nil
	}
	if c.Revocations.Country != c.Country {
		return fmt.Errorf("trust: %s: revocation list belongs to %q", c.Country, c.Revocations.Country)
	}
	err := ErrBadSignature
	for _, k := range c.RootKeys {
		if err = c.Revocations.Verify(k); err == nil || !errors.Is(err, ErrBadSignature) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("trust: %s: revocation list: %w", c.Country, err)
	}
	return nil
}

// Marshal encodes the file as indented JSON.
func (f *File) Marshal() ([]byte, error) {
	g := *f
	g.Format = FileFormat
	if g.Countries == nil {
		g.Countries = []Country{}
	}
	b, err := json.MarshalIndent(&g, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("trust: encode trust file: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseFile decodes and checks a trust file: its format, size limits, each
// country once, and every revocation list's signature. Any failure refuses
// the whole file.
func ParseFile(b []byte) (*File, error) {
	if len(b) > MaxFileSize {
		return nil, fmt.Errorf("trust: trust file larger than %d bytes", MaxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("trust: not a trust file: %w", err)
	}
	if f.Format != FileFormat {
		return nil, fmt.Errorf("trust: not a trust file (format %q, want %q)", f.Format, FileFormat)
	}
	if len(f.Countries) > MaxFileCountries {
		return nil, fmt.Errorf("trust: more than %d countries in a trust file", MaxFileCountries)
	}
	seen := map[string]bool{}
	for i := range f.Countries {
		c := &f.Countries[i]
		if err := c.Verify(); err != nil {
			return nil, err
		}
		if seen[c.Country] {
			return nil, fmt.Errorf("trust: %s appears twice in the trust file", c.Country)
		}
		seen[c.Country] = true
	}
	slices.SortFunc(f.Countries, func(a, b Country) int { return strings.Compare(a.Country, b.Country) })
	return &f, nil
}
