package trust

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxContactField bounds each text field of Contacts, in bytes.
const MaxContactField = 400

// MaxContactsSize bounds the encoded size of Contacts.
const MaxContactsSize = 8 << 10

// Contacts is what the country authority tells every registered person
// about who holds their data (Eurodac recast Art. 42): the controller and
// its contact, the data protection officer, the supervisory authority to
// complain to, and the legal basis. The authority signs it with its root
// key; hubs hand it to devices with the trust list, by sync and in bundles,
// and devices print it on the information notice. A newer one (by Issued)
// replaces an older one. Nothing in it is secret.
type Contacts struct {
	Country           string `cbor:"1,keyasint" json:"country"`
	Issued            int64  `cbor:"2,keyasint" json:"issued"` // Unix seconds
	Controller        string `cbor:"3,keyasint" json:"controller"`
	ControllerContact string `cbor:"4,keyasint" json:"controller_contact"`
	DPO               string `cbor:"5,keyasint" json:"dpo"` // the data protection officer's contact
	Supervisor        string `cbor:"6,keyasint" json:"supervisor"`
	SupervisorContact string `cbor:"7,keyasint" json:"supervisor_contact"`
	LegalBasis        string `cbor:"8,keyasint" json:"legal_basis"`
	Signature         []byte `cbor:"9,keyasint,omitempty" json:"signature"`
}

// ErrContactsIncomplete refuses contacts with a required field empty: the
// controller, its contact, the DPO and the supervisory authority with its
// contact must all be given (the legal basis may be left empty).
var ErrContactsIncomplete = errors.New("trust: the controller, its contact, the data protection officer and the supervisory authority with its contact are all required")

func (c *Contacts) signedBytes() []byte {
	u := *c
	u.Signature = nil
	b, _ := encMode.Marshal(&u)
	return append([]byte("fieldreg notice contacts v1\x00"), b...)
}

func (c *Contacts) check() error {
	if !ValidCountry(c.Country) {
		return errors.New("trust: contacts name no valid country")
	}
	for _, f := range []struct{ name, v string }{
		{"controller", c.Controller}, {"controller contact", c.ControllerContact}, {"DPO", c.DPO},
		{"supervisory authority", c.Supervisor}, {"supervisory authority contact", c.SupervisorContact},
		{"legal basis", c.LegalBasis},
	} {
		if len(f.v) > MaxContactField {
			return fmt.Errorf("trust: contacts: the %s is longer than %d bytes", f.name, MaxContactField)
		}
		if !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, unicode.IsControl) {
			return fmt.Errorf("trust: contacts: the %s holds invalid UTF-8 or control characters", f.name)
		}
	}
	if strings.TrimSpace(c.Controller) == "" || strings.TrimSpace(c.ControllerContact) == "" || strings.TrimSpace(c.DPO) == "" ||
		strings.TrimSpace(c.Supervisor) == "" || strings.TrimSpace(c.SupervisorContact) == "" {
		return ErrContactsIncomplete
	}
	return nil
}

// SignContacts signs c for the authority's country, dated now (or after
// prev, the contacts c replaces, if any: NextIssued). It fails when a
// required field is empty, a field is too long or not plain text.
func (a *Authority) SignContacts(c Contacts, prev *Contacts, now time.Time) (*Contacts, error) {
	c.Country, c.Issued, c.Signature = a.Country, NextIssued(prev, now).Unix(), nil
	for _, f := range []*string{&c.Controller, &c.ControllerContact, &c.DPO, &c.Supervisor, &c.SupervisorContact, &c.LegalBasis} {
		*f = strings.TrimSpace(*f)
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	c.Signature = a.Sign(c.signedBytes())
	return &c, nil
}

// Verify checks the form of c and its signature against root.
func (c *Contacts) Verify(root ed25519.PublicKey) error {
	return verifyDoc(c, c.Signature, root)
}

// Marshal encodes c as CBOR.
func (c *Contacts) Marshal() []byte {
	b, _ := encMode.Marshal(c)
	return b
}

// Kind is ContactsKind.
func (c *Contacts) Kind() DocKind { return ContactsKind }

// Issuer is the country and the date of c.
func (c *Contacts) Issuer() (string, int64) {
	if c == nil {
		return "", 0
	}
	return c.Country, c.Issued
}

// UnmarshalContacts decodes CBOR contacts (untrusted input: it checks the
// form, not the signature; call Verify).
func UnmarshalContacts(b []byte) (*Contacts, error) {
	return unmarshalDoc[Contacts](b, MaxContactsSize, "contacts")
}

// ContactsInput is the JSON an operator writes to set the notice contacts
// (reghub contacts --set FILE, fieldreg contacts --set FILE):
//
//	{"controller": "...", "controller_contact": "...", "dpo": "...",
//	 "supervisor": "...", "supervisor_contact": "...", "legal_basis": "..."}
type ContactsInput struct {
	Controller        string `json:"controller"`
	ControllerContact string `json:"controller_contact"`
	DPO               string `json:"dpo"`
	Supervisor        string `json:"supervisor"`
	SupervisorContact string `json:"supervisor_contact"`
	LegalBasis        string `json:"legal_basis"`
}

// ParseContactsInput decodes an operator's contacts file (at most
// MaxContactsSize bytes, unknown keys refused) into unsigned Contacts.
func ParseContactsInput(b []byte) (Contacts, error) {
	if len(b) > MaxContactsSize {
		return Contacts{}, fmt.Errorf("trust: contacts file larger than %d bytes", MaxContactsSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in ContactsInput
	if err := dec.Decode(&in); err != nil {
		return Contacts{}, fmt.Errorf("trust: not a contacts file: %w", err)
	}
	return Contacts{Controller: in.Controller, ControllerContact: in.ControllerContact, DPO: in.DPO,
		Supervisor: in.Supervisor, SupervisorContact: in.SupervisorContact, LegalBasis: in.LegalBasis}, nil
}

// Input returns c's text fields in the operator's file form (for showing
// the contacts as JSON).
func (c *Contacts) Input() ContactsInput {
	return ContactsInput{Controller: c.Controller, ControllerContact: c.ControllerContact, DPO: c.DPO,
		Supervisor: c.Supervisor, SupervisorContact: c.SupervisorContact, LegalBasis: c.LegalBasis}
}
