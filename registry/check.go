package registry

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadEvent is an event whose content breaks the rules a device applies
// when it writes one. Errors that wrap it name the rule, never a value.
var ErrBadEvent = errors.New("event content refused")

// CheckEvent checks the content of event e, whose payload opened to c, with
// the rules a device applies when it writes an event, so that a receiver (a
// hub taking a push or a bundle, a device taking another device's events)
// refuses what an honest device of the deployment could not have written,
// even when it is signed with a real device key:
//
//   - the record ID is a registration ID in canonical form, its check
//     character matches, and it names country (the deployment's);
//   - the change can be folded (CheckChange);
//   - a registration carries every required field and passes Validate;
//     an amendment's values pass Validate field by field (clearing an
//     optional field is allowed); a link names a valid registration ID;
//   - an occupancy event names a centre code, a section where one is
//     needed, a known check-out reason, and a group of registration IDs
//     that holds the record (checkOccupancy).
//
// Dates are judged against the time the event was signed (its HLC), as the
// device judged them: a late event is not refused for being old, and a
// device's clock that ran ahead is flagged elsewhere, not refused here.
// The error wraps ErrBadEvent and says which rule failed, without values.
func CheckEvent(e *Event, c *Change, country string) error {
	_, err := CheckEventPerson(e, c, country)
	return err
}

// CheckEventPerson is CheckEvent that also returns, for a registration or
// an amendment that passes, its fields decoded as a person: what Fold
// decodes from c.Fields alone, which it takes instead (Opened.Person) when
// the record is folded from this event only. It is nil for other
// operations.
func CheckEventPerson(e *Event, c *Change, country string) (*Person, error) {
	return checkEventPerson(e, c, nil, country)
}

// checkEventPerson is CheckEventPerson, reading the fields of a
// registration or an amendment from obj, the object c.Fields was read from
// (Payload), when it is not nil.
func checkEventPerson(e *Event, c *Change, obj []byte, country string) (*Person, error) {
	if err := checkRecordID(e.Record, country); err != nil {
		return nil, err
	}
	var p Person // a registration's or an amendment's fields, decoded once
	if err := checkChangeFrom(e.Op, c, obj, &p); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if err := checkEvent(e, c, &p); err != nil {
		return nil, err
	}
	if e.Op == OpRegister || e.Op == OpAmend {
		return &p, nil
	}
	return nil, nil
}

// checkEvent is the rest of CheckEvent, for a change whose fields (of a
// registration or an amendment) are decoded in p.
func checkEvent(e *Event, c *Change, p *Person) error {
	if err := checkOrigin(e, c); err != nil {
		return err
	}
	at := e.HLC.Time()
	switch e.Op {
	case OpRegister:
		if err := Validate(p, at); err != nil {
			return fmt.Errorf("%w: registration: %w", ErrBadEvent, err)
		}
	case OpAmend:
		if len(c.Fields) == 0 {
			return fmt.Errorf("%w: amendment without fields", ErrBadEvent)
		}
		var fe FieldErrors
		if err := Validate(p, at); errors.As(err, &fe) {
			bad := FieldErrors{}
			for f, msg := range fe {
				if v, changed := c.Fields[f]; changed && !isCleared(v) {
					bad[f] = msg
				}
			}
			if len(bad) > 0 {
				return fmt.Errorf("%w: amendment: %w", ErrBadEvent, bad)
			}
		}
	case OpLink:
		if _, err := ParseRegID(c.Link.Other); err != nil || c.Link.Other == e.Record {
			return fmt.Errorf("%w: link: the other record is not a valid registration ID", ErrBadEvent)
		}
	case OpRefer, OpCheckIn, OpAbsent, OpCheckOut, OpTransfer:
		if err := checkOccupancy(e, c.Stay); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrBadEvent, e.Op, err)
		}
	}
	return nil
}

// checkRecordID refuses a record ID that is not a canonical registration ID
// of country.
func checkRecordID(id, country string) error {
	canon, err := ParseRegID(id)
	switch {
	case errors.Is(err, ErrRegIDCheck):
		return fmt.Errorf("%w: record ID: check character does not match", ErrBadEvent)
	case err != nil, canon != id:
		return fmt.Errorf("%w: record ID is not a registration ID", ErrBadEvent)
	case !strings.EqualFold(id[:3], country):
		return fmt.Errorf("%w: record ID of another country (this deployment is %s)", ErrBadEvent, country)
	}
	return nil
}

// isCleared reports whether a field value is a cleared one (what Diff
// writes for a field removed by an amendment).
func isCleared(v []byte) bool {
	switch strings.TrimSpace(string(v)) {
	case `""`, "null", "false", "[]", "{}":
		return true
	}
	return false
}
