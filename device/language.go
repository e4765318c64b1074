package device

import (
	"context"
	"fmt"

	"github.com/fieldreg/fieldreg/internal/i18n"
	"github.com/fieldreg/fieldreg/store"
)

// Settings keys of the officers' languages. Each officer's choice is a
// setting of its own, apart from the officer's row (whose content other
// devices authenticate), so choosing a language never touches that row.
const (
	metaDefaultLanguage = "default_language"
	metaOfficerLanguage = "officer_language/" // + officer ID
)

// DefaultLanguage returns the tag of the device's default language: the
// unlock screen's, and that of officers who have chosen none. It is
// i18n.Default until a supervisor sets another (or if the stored one is no
// longer known).
func (d *Device) DefaultLanguage() string {
	return d.language(metaDefaultLanguage, i18n.Default)
}

// OfficerLanguage returns the tag of the language the officer id chose, or
// "" if they have chosen none. It needs no session: the unlock screen shows
// itself in the language of the officer who taps their name.
func (d *Device) OfficerLanguage(id string) string {
	return d.language(metaOfficerLanguage+id, "")
}

func (d *Device) language(key, unset string) string {
	v, err := d.st.GetMeta(key)
	if err != nil {
		return unset
	}
	l, err := i18n.Lookup(string(v))
	if err != nil {
		return unset
	}
	return l.Tag
}

// SetDefaultLanguage sets the device's default language (supervisors only).
// An unknown tag is refused with i18n.ErrUnknownLanguage and changes
// nothing.
func (s *Session) SetDefaultLanguage(tag string) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	l, err := i18n.Lookup(tag)
	if err != nil {
		return err
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta(metaDefaultLanguage, []byte(l.Tag)); err != nil {
			return err
		}
		return s.auditTx(tx, "setting", "", "default language "+l.Tag)
	})
}

// SetLanguage stores tag as the language of the session's officer (any
// officer chooses their own). An unknown tag is refused with
// i18n.ErrUnknownLanguage and changes nothing.
func (s *Session) SetLanguage(tag string) error {
	if err := s.check(); err != nil {
		return err
	}
	l, err := i18n.Lookup(tag)
	if err != nil {
		return err
	}
	if s.d.OfficerLanguage(s.officer.ID) == l.Tag {
		return nil
	}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		return tx.PutMeta(metaOfficerLanguage+s.officer.ID, []byte(l.Tag))
	})
	if err != nil {
		return fmt.Errorf("storing the officer's language: %w", err)
	}
	return nil
}
