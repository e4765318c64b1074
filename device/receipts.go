package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// Meta keys of the receipt and trust settings. None holds a secret.
const (
	metaRevocations  = "revocations"        // CBOR trust.RevocationList of this device's country
	metaForeignTrust = "trust_foreign"      // JSON trust.File of other countries
	metaReceiptBirth = "receipt_birth_date" // "full": receipts show the full date of birth
)

// credential is the device's own credential.
func (d *Device) credential() (*trust.Credential, error) {
	b, err := d.st.GetMeta("credential")
	if err != nil {
		return nil, fmt.Errorf("device credential missing: %w", err)
	}
	return trust.UnmarshalCredential(b)
}

// ReceiptFullBirthDate reports whether this deployment prints the full date
// of birth on receipts (the default is the year only).
func (d *Device) ReceiptFullBirthDate() bool {
	v, _ := d.st.GetMeta(metaReceiptBirth)
	return string(v) == "full"
}

// SetReceiptFullBirthDate chooses whether receipts show the full date of
// birth (when known) or only the year (supervisors only; audit-logged).
func (s *Session) SetReceiptFullBirthDate(full bool) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	v := "year"
	if full {
		v = "full"
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaReceiptBirth, []byte(v)); err != nil {
			return err
		}
		return s.auditTx(tx, "setting", "", "receipt birth date: "+v)
	})
}

// IssueReceipt signs a receipt for record id with this device's key: the
// minimum data (registration ID, name in Latin form, year or date of birth,
// registration date, station, country), never nationality, category or
// vulnerabilities. Issuing again (a reissue) makes a new receipt; each issue
// is audit-logged with the receipt's ID. It fails for an unknown record, a
// locked session, a revoked device, or a receipt too large for its QR code.
func (s *Session) IssueReceipt(id string) (*receipt.Receipt, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	r, err := s.state(id)
	if err != nil {
		return nil, err
	}
	cred, err := s.d.credential()
	if err != nil {
		return nil, err
	}
	if err := s.d.checkNotRevoked(); err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	p := r.Person
	c := receipt.Content{RegistrationID: r.ID, FamilyName: p.FamilyName, GivenNames: p.GivenNames,
		Registered: r.Created().Time()}
	if p.BirthDate.Year > 0 {
		c.Birth = fmt.Sprintf("%04d", p.BirthDate.Year)
		if s.d.ReceiptFullBirthDate() && p.BirthDate.Precision() == "full" {
			c.Birth = p.BirthDate.String()
		}
	}
	s.mu.RLock()
	if s.k == nil {
		s.mu.RUnlock()
		return nil, ErrSessionLocked
	}
	key := slices.Clone(s.k.sign)
	s.mu.RUnlock()
	defer clear(key)
	rc, err := (&receipt.Issuer{Credential: cred, Key: ed25519.PrivateKey(key), Rand: s.d.opts.Rand}).Issue(c, now)
	if err != nil {
		return nil, fmt.Errorf("receipt for %s: %w", id, err)
	}
	if err := s.audit("receipt_issue", id, "receipt "+rc.ReceiptID); err != nil {
		return nil, err
	}
	rc.Centre = centreLine(r.Stay, s.d)
	return rc, nil
}

// centreLine is what a receipt prints of the centre a stay refers the
// person to: name, address and place ("" when the stay holds no place).
func centreLine(st *registry.Stay, d *Device) string {
	if !st.Open() {
		return ""
	}
	c, err := d.Centre(st.Centre)
	if err != nil {
		return st.Centre
	}
	return CentreAddress(c)
}

// CentreAddress is a centre's name, address and place on one line.
func CentreAddress(c *trust.Centre) string {
	parts := []string{c.Name}
	if c.Address != "" {
		parts = append(parts, c.Address)
	}
	if c.Place != "" && !strings.Contains(c.Address, c.Place) {
		parts = append(parts, c.Place)
	}
	return strings.Join(parts, ", ")
}

// ReceiptOutdated reports whether what a receipt of record id prints (the
// name and the date or year of birth) differs from the record as it is now
// on this device: the record was amended after the receipt was issued.
// Other changes (a family joined, a decision on a possible duplicate) do
// not make a receipt outdated. Nothing is audit-logged: the record's data
// is compared, not shown.
func (s *Session) ReceiptOutdated(f *receipt.Fields) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	id := f.RegistrationID
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	r, err := s.state(id)
	if err != nil {
		return false, err
	}
	p := r.Person
	if receipt.ICAOName(p.FamilyName, p.GivenNames) != f.Name {
		return true, nil
	}
	switch len(f.Birth) {
	case 0:
		return p.BirthDate.Year > 0, nil
	case 4:
		return f.Birth != fmt.Sprintf("%04d", p.BirthDate.Year), nil
	}
	return f.Birth != p.BirthDate.String(), nil
}

// TrustFile is the public trust this device verifies receipts with: its own
// authority's root key and latest revocation list, plus the other countries
// imported with ImportTrust. It needs no passphrase: nothing in it is secret.
func (d *Device) TrustFile() (*trust.File, error) {
	f := &trust.File{Format: trust.FileFormat}
	if b, err := d.st.GetMeta(metaForeignTrust); err == nil {
		if f, err = trust.ParseFile(b); err != nil {
			return nil, fmt.Errorf("stored trust of other countries is damaged: %w", err)
		}
	}
	root, err := d.st.GetMeta("root_public")
	if err != nil || len(root) != ed25519.PublicKeySize {
		return nil, errors.New("this device's authority root key is missing or damaged")
	}
	own := trust.Country{Country: d.info.Country, RootKeys: []ed25519.PublicKey{root}}
	if b, err := d.st.GetMeta(metaRevocations); err == nil {
		l, err := trust.UnmarshalRevocationList(b)
		if err != nil {
			return nil, err
		}
		own.Revocations = l
	}
	if err := own.Verify(); err != nil {
		return nil, err
	}
	f.Set(own)
	return f, nil
}

// VerifyReceipt verifies a receipt's text (typed by a scanner, pasted, or
// read from an image with receipt.ScanImage) with this device's trust at the
// device clock. It needs no unlocked session.
func (d *Device) VerifyReceipt(text string) (*receipt.Verdict, error) {
	tf, err := d.TrustFile()
	if err != nil {
		return nil, err
	}
	return receipt.Verify(text, tf, d.opts.Now()), nil
}

// HasRecord reports whether the registration id is held on this device (so
// a verified receipt's record can be opened). It reads no personal data.
func (d *Device) HasRecord(id string) bool {
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	_, err := d.st.Record(id)
	return err == nil
}

// TrustImport says what ImportTrust changed.
type TrustImport struct {
	Revocations []string // countries whose revocation list was replaced by a newer one
	Added       []string // countries whose root keys were added or changed
	Unchanged   []string // countries the file held nothing new for
}

// ImportTrust takes a trust file (trust.ParseFile checks it and every
// revocation list's signature) into this device's trust:
//   - for this device's own country, a newer revocation list signed by the
//     device's own root key replaces the stored one; a file naming another
//     root key for the country is refused;
//   - for other countries, a newer revocation list signed by the stored root
//     keys is taken from any officer, but adding a country or changing its
//     root keys needs a supervisor (ErrNotSupervisor).
//
// Nothing is changed unless the whole file is accepted. The import is
// audit-logged.
func (s *Session) ImportTrust(data []byte) (*TrustImport, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	in, err := trust.ParseFile(data)
	if err != nil {
		return nil, err
	}
	cur, err := s.d.TrustFile()
	if err != nil {
		return nil, err
	}
	foreign := &trust.File{Format: trust.FileFormat}
	for _, c := range cur.Countries {
		if c.Country != s.d.info.Country {
			foreign.Set(c)
		}
	}
	rep := &TrustImport{}
	var ownList *trust.RevocationList
	for _, c := range in.Countries {
		old := cur.Lookup(c.Country)
		newer := c.Revocations != nil && (old == nil || old.Revocations == nil || c.Revocations.Issued > old.Revocations.Issued)
		switch {
		case c.Country == s.d.info.Country:
			if !slices.ContainsFunc(c.RootKeys, func(k ed25519.PublicKey) bool { return k.Equal(old.RootKeys[0]) }) {
				return nil, fmt.Errorf("the file's root key for %s is not this device's authority: refused", c.Country)
			}
			if newer {
				if err := c.Revocations.Verify(old.RootKeys[0]); err != nil {
					return nil, fmt.Errorf("%s revocation list: %w", c.Country, err)
				}
				ownList = c.Revocations
				rep.Revocations = append(rep.Revocations, c.Country)
				continue
			}
		case old == nil || !slices.EqualFunc(old.RootKeys, c.RootKeys, func(a, b ed25519.PublicKey) bool { return a.Equal(b) }):
			if !s.officer.Supervisor {
				return nil, fmt.Errorf("%s: adding or changing a country's root keys: %w", c.Country, ErrNotSupervisor)
			}
			if old != nil && !newer {
				// Keep the stored newer list if the new root keys vouch for it.
				keep := c
				keep.Revocations = old.Revocations
				if keep.Verify() == nil {
					c = keep
				}
			}
			foreign.Set(c)
			rep.Added = append(rep.Added, c.Country)
			continue
		case newer:
			foreign.Set(c)
			rep.Revocations = append(rep.Revocations, c.Country)
			continue
		}
		rep.Unchanged = append(rep.Unchanged, c.Country)
	}
	fb, err := foreign.Marshal()
	if err != nil {
		return nil, err
	}
	if _, err := trust.ParseFile(fb); err != nil {
		return nil, fmt.Errorf("the merged trust would not be readable: %w", err)
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if ownList != nil {
			if err := tx.PutMeta(metaRevocations, ownList.Marshal()); err != nil {
				return err
			}
		}
		if len(rep.Added)+len(rep.Revocations) > 0 {
			if err := tx.PutMeta(metaForeignTrust, fb); err != nil {
				return err
			}
		}
		return s.auditTx(tx, "trust_import", "", fmt.Sprintf("revocations: %s; keys: %s",
			strings.Join(rep.Revocations, ","), strings.Join(rep.Added, ",")))
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

var errNoAuthority = errors.New("only the country authority can revoke devices: this device does not hold it (revoke at the hub)")

// RevokeDevice withdraws the authority's trust in device from at on: its
// receipts (and other signatures) made at or after at fail, earlier ones
// stay valid. Only a supervisor of a standalone device (which holds its
// country authority) can do this; a deployment with a hub revokes there.
// It stores the new signed revocation list and returns the trust file to
// hand to other devices (ImportTrust). Audit-logged.
func (s *Session) RevokeDevice(device string, at time.Time) (*trust.File, error) {
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	cur, err := s.d.TrustFile()
	if err != nil {
		return nil, err
	}
	var entries []trust.Revocation
	if l := cur.Lookup(s.d.info.Country).Revocations; l != nil {
		entries = slices.Clone(l.Entries)
	}
	entries = append(entries, trust.Revocation{DeviceID: device, RevokedAt: at.Unix()})
	now := s.d.opts.Now()
	if prev := cur.Lookup(s.d.info.Country).Revocations; prev != nil && now.Unix() <= prev.Issued {
		now = time.Unix(prev.Issued+1, 0) // a newer list must say so, even with a clock set back
	}
	// Signed under the session's lock: a lock in the meantime wipes the
	// root key, and a list signed with a wiped key would be stored.
	var l *trust.RevocationList
	err = s.withKeys(func(k *keys) error {
		if k.authority == nil {
			return errNoAuthority
		}
		var err error
		l, err = k.authority.SignRevocations(entries, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaRevocations, l.Marshal()); err != nil {
			return err
		}
		return s.auditTx(tx, "device_revoke", "", "device "+device+" from "+at.UTC().Format(time.RFC3339))
	})
	if err != nil {
		return nil, err
	}
	return s.d.TrustFile()
}
