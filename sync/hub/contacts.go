package hub

import (
	"context"
	"errors"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// SetContacts signs c (controller, DPO, supervisory authority, legal basis)
// with the authority's root key and keeps it: every device receives it at
// its next sync or in its next bundle and prints it on the information
// notice. The new contacts are dated after any earlier ones, so devices
// always take them. Bad contacts are refused and nothing changes.
func (h *Hub) SetContacts(ctx context.Context, c trust.Contacts) (*trust.Contacts, error) {
	signed, err := signDocument(ctx, h, trust.ContactsKind, func(prev *trust.Contacts) (*trust.Contacts, error) {
		return h.auth.SignContacts(c, prev, h.opts.Now())
	})
	if err != nil {
		return nil, err
	}
	h.log.Info("notice contacts set", "issued", signed.Issued)
	return signed, nil
}

// ErrNoContacts says the authority has not set its notice contacts yet.
var ErrNoContacts = errors.New("no notice contacts are set: set them with 'reghub contacts set'")

// Contacts returns the authority's notice contacts, or ErrNoContacts.
func (h *Hub) Contacts(ctx context.Context) (*trust.Contacts, error) {
	c, err := heldDocument(func(key string) ([]byte, error) { return h.st.GetMeta(ctx, key) }, trust.ContactsKind)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil, ErrNoContacts
	}
	return c, err
}
