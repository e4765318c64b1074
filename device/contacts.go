package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// metaContacts holds the authority's signed notice contacts (CBOR
// trust.Contacts), as the hub sends them.
const metaContacts = "contacts"

// ErrNoContacts says the device has not received the authority's notice
// contacts (or, standalone, has not set them): notices are printed with
// blanks to fill in by hand.
var ErrNoContacts = errors.New("the authority's notice contacts (controller, data protection officer, supervisory authority) are not set on this device yet")

// errContactsAtHub refuses setting contacts on an enrolled device.
var errContactsAtHub = errors.New("only the country authority sets the notice contacts: set them at the hub (reghub contacts --set FILE); devices receive them at their next sync or bundle")

// Contacts returns the authority's notice contacts this device holds,
// verified against the authority's root key, or ErrNoContacts.
func (d *Device) Contacts() (*trust.Contacts, error) {
	b, err := d.st.GetMeta(metaContacts)
	if err != nil {
		return nil, ErrNoContacts
	}
	root, err := d.st.GetMeta("root_public")
	if err != nil {
		return nil, err
	}
	c, err := trust.UnmarshalContacts(b)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(root); err != nil {
		return nil, err
	}
	return c, nil
}

// newerContacts checks raw contacts from the hub against the authority's
// root and this device's country; it returns raw if they are newer than the
// ones held, nil if not (or if raw is empty), and an error if they do not
// verify.
func (d *Device) newerContacts(raw []byte, root ed25519.PublicKey) ([]byte, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	c, err := trust.UnmarshalContacts(raw)
	if err != nil {
		return nil, err
	}
	if err := c.Verify(root); err != nil {
		return nil, err
	}
	if c.Country != d.info.Country {
		return nil, errors.New("device: the notice contacts belong to another country")
	}
	if old, err := d.Contacts(); err == nil && c.Issued <= old.Issued {
		return nil, nil
	}
	return raw, nil
}

// SetContacts signs and stores the notice contacts on a standalone device,
// which is its own country authority (a supervisor's task). An enrolled
// device refuses: its authority is the hub.
func (s *Session) SetContacts(c trust.Contacts) (*trust.Contacts, error) {
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	if old, err := s.d.Contacts(); err == nil && now.Unix() <= old.Issued {
		now = time.Unix(old.Issued+1, 0) // newer contacts must say so, even with a clock set back
	}
	var signed *trust.Contacts
	err := s.withKeys(func(k *keys) error {
		if k.authority == nil {
			return errContactsAtHub
		}
		var err error
		signed, err = k.authority.SignContacts(c, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaContacts, signed.Marshal()); err != nil {
			return err
		}
		return s.auditTx(tx, "notice_contacts", "", "notice contacts set")
	})
	if err != nil {
		return nil, err
	}
	return signed, nil
}

// NoticeDetails is what the information notice says about one registration:
// its ID, the date it was made (UTC, ISO) and the station of the device that
// made it.
type NoticeDetails struct {
	ID, Date, Station string
}

// NoticeDetails returns the notice details of registration id, and
// audit-logs that a notice was made for it.
func (s *Session) NoticeDetails(id string) (NoticeDetails, error) {
	if err := s.check(); err != nil {
		return NoticeDetails{}, err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	r, err := s.state(id)
	if err != nil {
		return NoticeDetails{}, err
	}
	nd := NoticeDetails{ID: r.ID, Date: r.Created().Time().UTC().Format("2006-01-02"), Station: s.d.info.Station}
	if origin := r.Versions[0].Event.Origin; origin != s.d.info.DeviceID {
		if rows, err := s.d.st.Credentials(); err == nil {
			for _, row := range rows {
				if row.DeviceID == origin {
					nd.Station = row.Station
				}
			}
		}
	}
	if err := s.audit("notice", id, ""); err != nil {
		return NoticeDetails{}, err
	}
	return nd, nil
}
