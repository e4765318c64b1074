package device

import (
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// errNoDocument says the device holds no document of a kind (the public
// errors say which: ErrNoContacts, ErrNoCentres).
var errNoDocument = errors.New("device: no such document held")

// heldDocument returns the authority's document of kind k this device
// holds, verified against the authority's root key, or errNoDocument.
func (d *Device) heldDocument(k trust.DocKind) (trust.Document, error) {
	b, err := d.st.GetMeta(k.Name())
	if err != nil {
		return nil, errNoDocument
	}
	root, err := d.st.GetMeta("root_public")
	if err != nil {
		return nil, err
	}
	doc, err := k.Parse(b)
	if err == nil {
		err = doc.Verify(root)
	}
	if err != nil {
		return nil, fmt.Errorf("device: the stored %s do not verify: %w", k.What(), err)
	}
	return doc, nil
}

// held is heldDocument of a kind known by its Go type.
func held[D trust.Document](d *Device, k trust.Kind[D]) (D, error) {
	doc, err := d.heldDocument(k)
	if err != nil {
		var none D
		return none, err
	}
	return doc.(D), nil
}

// rawDocument is an authority document as it arrived, kept byte for byte
// (what the authority signed).
type rawDocument struct {
	kind trust.DocKind
	raw  []byte
}

// newerDocuments checks the authority's documents a hub sent (by sync or
// in a bundle; doc gives the raw one of each kind, nil for none) against
// the authority's root and this device's country, and returns those newer
// than the ones held (newest wins: one replayed, or older, is left out).
// A document that does not verify refuses them all; the error names its
// kind.
func (d *Device) newerDocuments(doc func(trust.DocKind) []byte, root ed25519.PublicKey) ([]rawDocument, error) {
	var out []rawDocument
	for _, k := range trust.DocKinds {
		raw := doc(k)
		got, err := trust.OpenDocument(k, raw, root, d.info.Country)
		if err != nil {
			return nil, &documentError{kind: k, err: err}
		}
		old, err := d.heldDocument(k)
		if err != nil {
			old = nil // none, or damaged: a verified one replaces it
		}
		if trust.Replaces(got, old) {
			out = append(out, rawDocument{k, raw})
		}
	}
	return out, nil
}

// documentError is a document from the hub that does not verify.
type documentError struct {
	kind trust.DocKind
	err  error
}

func (e *documentError) Error() string {
	return fmt.Sprintf("the hub sent %s that do not verify", e.kind.What())
}

func (e *documentError) Unwrap() error { return e.err }

// putDocument keeps raw, a verified document of kind k, inside tx, in
// place of the one held.
func putDocument(tx *store.Tx, k trust.DocKind, raw []byte) error {
	return tx.PutMeta(k.Name(), raw)
}
