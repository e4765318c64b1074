package trust

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// MaxRevocations bounds the entries of one revocation list.
const MaxRevocations = 1 << 16

// MaxRevocationListSize bounds the encoded size of a revocation list.
const MaxRevocationListSize = 4 << 20

// Revocation withdraws the authority's trust in a device from a moment on:
// what the device signed before RevokedAt stays valid, what it signed at or
// after RevokedAt does not.
type Revocation struct {
	DeviceID  string `cbor:"1,keyasint" json:"device_id"`
	RevokedAt int64  `cbor:"2,keyasint" json:"revoked_at"` // Unix seconds
}

// RevocationList is a country authority's signed list of revoked devices.
// Lists are cumulative: a newer list (by Issued) replaces an older one.
type RevocationList struct {
	Country   string       `cbor:"1,keyasint" json:"country"`
	Issued    int64        `cbor:"2,keyasint" json:"issued"` // Unix seconds
	Entries   []Revocation `cbor:"3,keyasint" json:"entries"`
	Signature []byte       `cbor:"4,keyasint,omitempty" json:"signature"`
}

func (l *RevocationList) signedBytes() []byte {
	u := *l
	u.Signature = nil
	if u.Entries == nil {
		u.Entries = []Revocation{}
	}
	b, _ := encMode.Marshal(&u)
	return append([]byte("fieldreg revocation list v1\x00"), b...)
}

func validDeviceID(id string) bool {
	return id != "" && len(id) <= 64 && !strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r > 0x7e })
}

// SignRevocations issues a revocation list of entries for the authority's
// country, dated now. A device named twice keeps its earliest revocation
// time. It fails for an empty or malformed device ID or too many entries.
func (a *Authority) SignRevocations(entries []Revocation, now time.Time) (*RevocationList, error) {
	if len(entries) > MaxRevocations {
		return nil, fmt.Errorf("trust: at most %d revoked devices per list", MaxRevocations)
	}
	earliest := map[string]int64{}
	for _, e := range entries {
		if !validDeviceID(e.DeviceID) {
			return nil, fmt.Errorf("trust: %q is not a device ID", e.DeviceID)
		}
		if t, ok := earliest[e.DeviceID]; !ok || e.RevokedAt < t {
			earliest[e.DeviceID] = e.RevokedAt
		}
	}
	l := &RevocationList{Country: a.Country, Issued: now.Unix(), Entries: make([]Revocation, 0, len(earliest))}
	for id, t := range earliest {
		l.Entries = append(l.Entries, Revocation{DeviceID: id, RevokedAt: t})
	}
	slices.SortFunc(l.Entries, func(x, y Revocation) int { return strings.Compare(x.DeviceID, y.DeviceID) })
	l.Signature = a.Sign(l.signedBytes())
	return l, nil
}

// Verify checks the list's signature against root, and that its entries are
// well formed (sorted by device ID, no device twice).
func (l *RevocationList) Verify(root ed25519.PublicKey) error {
	if err := l.check(); err != nil {
		return err
	}
	if len(root) != ed25519.PublicKeySize || !ed25519.Verify(root, l.signedBytes(), l.Signature) {
		return ErrBadSignature
	}
	return nil
}

func (l *RevocationList) check() error {
	if !ValidCountry(l.Country) {
		return errors.New("trust: revocation list names no valid country")
	}
	if len(l.Entries) > MaxRevocations {
		return errors.New("trust: revocation list too long")
	}
	for i, e := range l.Entries {
		if !validDeviceID(e.DeviceID) {
			return errors.New("trust: revocation list holds a malformed device ID")
		}
		if i > 0 && l.Entries[i-1].DeviceID >= e.DeviceID {
			return errors.New("trust: revocation list is not sorted or names a device twice")
		}
	}
	return nil
}

// RevokedAt reports when device was revoked, if the list names it.
func (l *RevocationList) RevokedAt(device string) (time.Time, bool) {
	if l == nil {
		return time.Time{}, false
	}
	i, ok := slices.BinarySearchFunc(l.Entries, device, func(e Revocation, id string) int { return strings.Compare(e.DeviceID, id) })
	if !ok {
		return time.Time{}, false
	}
	return time.Unix(l.Entries[i].RevokedAt, 0).UTC(), true
}

// Marshal encodes the list as CBOR.
func (l *RevocationList) Marshal() []byte {
	b, _ := encMode.Marshal(l)
	return b
}

// UnmarshalRevocationList decodes a CBOR revocation list (untrusted input:
// it checks the form, not the signature; call Verify).
func UnmarshalRevocationList(b []byte) (*RevocationList, error) {
	if len(b) > MaxRevocationListSize {
		return nil, errors.New("trust: revocation list too large")
	}
	var l RevocationList
	if err := decMode.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("trust: revocation list malformed: %w", err)
	}
	if err := l.check(); err != nil {
		return nil, err
	}
	return &l, nil
}
