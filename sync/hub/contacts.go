package hub

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// metaContacts holds the authority's signed notice contacts (CBOR
// trust.Contacts), as devices keep them.
const metaContacts = "contacts"

// SetContacts signs c (controller, DPO, supervisory authority, legal basis)
// with the authority's root key and keeps it: every device receives it at
// its next sync or in its next bundle and prints it on the information
// notice. The new contacts are dated after any earlier ones, so devices
// always take them. Bad contacts are refused and nothing changes.
func (h *Hub) SetContacts(ctx context.Context, c trust.Contacts) (*trust.Contacts, error) {
	var signed *trust.Contacts
	err := h.st.Update(ctx, func(tx hubstore.Tx) error {
		issued := h.opts.Now()
		if b, err := tx.GetMeta(metaContacts); err == nil {
			if old, err := trust.UnmarshalContacts(b); err == nil && issued.Unix() <= old.Issued {
				issued = time.Unix(old.Issued+1, 0)
			}
		}
		var err error
		if signed, err = h.auth.SignContacts(c, issued); err != nil {
			return err
		}
		return tx.PutMeta(metaContacts, signed.Marshal())
	})
	if err != nil {
		return nil, fmt.Errorf("hub: notice contacts: %w", err)
	}
	h.log.Info("notice contacts set", "issued", signed.Issued)
	return signed, nil
}

// ErrNoContacts says the authority has not set its notice contacts yet.
var ErrNoContacts = errors.New("no notice contacts are set: set them with 'reghub contacts set'")

// Contacts returns the authority's notice contacts, or ErrNoContacts.
func (h *Hub) Contacts(ctx context.Context) (*trust.Contacts, error) {
	b, err := h.st.GetMeta(ctx, metaContacts)
	if err != nil {
		return nil, ErrNoContacts
	}
	return trust.UnmarshalContacts(b)
}
