package trust

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"
)

// Document is what the country authority signs with its root key for every
// device of its country: the notice contacts, the reception centres, the
// retention rules. Hubs keep one of each kind and carry it to devices by
// sync and in bundles; a device keeps the newest it has verified (by
// Issued). Nothing in a Document is secret.
type Document interface {
	// Kind is the document's kind.
	Kind() DocKind
	// Issuer is the country of the authority that signed the document and
	// when (Unix seconds); a nil document was issued at 0 by no country.
	Issuer() (country string, issued int64)
	// Verify checks the document's form and its signature against the
	// authority's root key; ErrBadSignature if the signature fails.
	Verify(root ed25519.PublicKey) error
	// Marshal encodes the document as CBOR.
	Marshal() []byte
}

// DocKind is one kind of Document, whatever its Go type: the name it is
// kept and carried under, and how it is decoded.
type DocKind interface {
	// Name is the key a device or a hub keeps the document under.
	Name() string
	// What names the document in messages ("notice contacts").
	What() string
	// MaxSize bounds the document's encoded size.
	MaxSize() int
	// Parse decodes raw, untrusted input: it checks the form, not the
	// signature (call Verify).
	Parse(raw []byte) (Document, error)
}

// Kind is the kind of the documents of Go type D.
type Kind[D Document] struct {
	name, what string
	max        int
	decode     func([]byte) (D, error)
}

// Name is the key a device or a hub keeps the document under.
func (k Kind[D]) Name() string { return k.name }

// What names the document in messages.
func (k Kind[D]) What() string { return k.what }

// MaxSize bounds the document's encoded size.
func (k Kind[D]) MaxSize() int { return k.max }

// Parse decodes raw, checking its form but not its signature.
func (k Kind[D]) Parse(raw []byte) (Document, error) {
	d, err := k.decode(raw)
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Decode decodes raw into its Go type, checking its form but not its
// signature.
func (k Kind[D]) Decode(raw []byte) (D, error) { return k.decode(raw) }

// The kinds of Document.
var (
	ContactsKind  = Kind[*Contacts]{name: "contacts", what: "notice contacts", max: MaxContactsSize, decode: UnmarshalContacts}
	CentresKind   = Kind[*Centres]{name: "centres", what: "reception centres", max: MaxCentresSize, decode: UnmarshalCentres}
	RetentionKind = Kind[*RetentionRules]{name: "retention", what: "retention rules", max: MaxRetentionSize, decode: UnmarshalRetention}
)

// DocKinds lists every kind of Document, in the order they travel.
var DocKinds = []DocKind{ContactsKind, CentresKind, RetentionKind}

// ErrOtherCountry refuses a document signed for another country than the
// receiver's.
var ErrOtherCountry = errors.New("trust: the document belongs to another country")

// OpenDocument decodes raw, a document of kind k received from a hub
// (untrusted), and checks it against the authority's root key and the
// receiver's country. It returns the document, or nil if raw is empty (the
// hub sent none); an error if it is malformed, does not verify or is of
// another country.
func OpenDocument(k DocKind, raw []byte, root ed25519.PublicKey, country string) (Document, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d, err := k.Parse(raw)
	if err != nil {
		return nil, err
	}
	if err := d.Verify(root); err != nil {
		return nil, err
	}
	if c, _ := d.Issuer(); c != country {
		return nil, ErrOtherCountry
	}
	return d, nil
}

// Replaces says whether d, verified, is to replace held (nil: none held):
// newest wins, so only a document issued after held replaces it, and an
// older one replayed changes nothing.
func Replaces(d, held Document) bool {
	if d == nil {
		return false
	}
	if held == nil {
		return true
	}
	_, a := d.Issuer()
	_, b := held.Issuer()
	return a > b
}

// NextIssued is the date to sign the successor of prev (nil: none) with:
// now, or one second after prev's date when the clock says otherwise (set
// back, or twice in a second), so that devices always take the successor.
func NextIssued(prev Document, now time.Time) time.Time {
	if prev == nil {
		return now
	}
	if _, issued := prev.Issuer(); now.Unix() <= issued {
		return time.Unix(issued+1, 0)
	}
	return now
}

// signedDoc is a document's own part of Verify and Unmarshal: its form
// check and the bytes its signature covers.
type signedDoc interface {
	check() error
	signedBytes() []byte
}

// verifyDoc checks d's form and its signature sig against root.
func verifyDoc(d signedDoc, sig []byte, root ed25519.PublicKey) error {
	if err := d.check(); err != nil {
		return err
	}
	if len(root) != ed25519.PublicKeySize || !ed25519.Verify(root, d.signedBytes(), sig) {
		return ErrBadSignature
	}
	return nil
}

// unmarshalDoc decodes b, at most max bytes of CBOR, into a T and checks
// its form (not its signature); what names it in errors.
func unmarshalDoc[T any, P interface {
	*T
	signedDoc
}](b []byte, max int, what string) (P, error) {
	if len(b) > max {
		return nil, fmt.Errorf("trust: %s too large", what)
	}
	var v T
	if err := decMode.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("trust: %s malformed: %w", what, err)
	}
	if err := P(&v).check(); err != nil {
		return nil, err
	}
	return &v, nil
}
