package device

import (
	"context"
	"errors"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// ErrNoContacts says the device has not received the authority's notice
// contacts (or, standalone, has not set them): notices are printed with
// blanks to fill in by hand.
var ErrNoContacts = errors.New("the authority's notice contacts (controller, data protection officer, supervisory authority) are not set on this device yet")

// errContactsAtHub refuses setting contacts on an enrolled device.
var errContactsAtHub = errors.New("only the country authority sets the notice contacts: set them at the hub (reghub contacts --set FILE); devices receive them at their next sync or bundle")

// Contacts returns the authority's notice contacts this device holds,
// verified against the authority's root key, or ErrNoContacts.
func (d *Device) Contacts() (*trust.Contacts, error) {
	c, err := held(d, trust.ContactsKind)
	if errors.Is(err, errNoDocument) {
		return nil, ErrNoContacts
	}
	return c, err
}

// SetContacts signs and stores the notice contacts on a standalone device,
// which is its own country authority (a supervisor's task). An enrolled
// device refuses: its authority is the hub.
func (s *Session) SetContacts(c trust.Contacts) (*trust.Contacts, error) {
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	old, _ := s.d.Contacts() // none, or damaged: replaced
	var signed *trust.Contacts
	err := s.withKeys(func(k *keys) error {
		if k.authority == nil {
			return errContactsAtHub
		}
		var err error
		signed, err = k.authority.SignContacts(c, old, s.d.opts.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := putDocument(tx, trust.ContactsKind, signed.Marshal()); err != nil {
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
