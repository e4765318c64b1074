package device

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// RecordProblem is a record that fails the integrity check of this
// device's own data: named by registration ID, with the problem in plain
// words (never a value of the record).
type RecordProblem struct {
	Record  string `json:"record"`
	Problem string `json:"problem"`
}

// CheckIntegrity checks the device's records against their signed events:
// every event's signature verifies under its origin's key (this device's
// own signing key for its own log; for another device, its credential,
// itself checked against the authority's root), its payload opens under
// the records key, and each record's stored projection (what every screen
// and search reads) equals a fresh fold of its events. An event row
// damaged on disk, or edited after it was written or synced, or a
// projection edited or left without events, is found here; the sync would
// otherwise carry the damage to the hub, where it is quarantined. It
// returns how many records it checked and those affected, in ID order.
// VerifyAudit runs it.
func (s *Session) CheckIntegrity(ctx context.Context) (int, []RecordProblem, error) {
	if err := s.check(); err != nil {
		return 0, nil, err
	}
	keyOf, err := s.eventKeys()
	if err != nil {
		return 0, nil, err
	}
	ids, err := s.d.st.RecordIDs(ctx)
	if err != nil {
		return 0, nil, err
	}
	var out []RecordProblem
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		problem, err := s.checkRecord(id, keyOf)
		if err != nil {
			return 0, nil, err
		}
		if problem != "" {
			out = append(out, RecordProblem{Record: id, Problem: problem})
		}
	}
	return len(ids), out, nil
}

// eventKeys returns the function that gives the key an origin's events
// must verify under (nil: an origin this device has no valid credential of).
func (s *Session) eventKeys() (func(origin string) ed25519.PublicKey, error) {
	var own ed25519.PublicKey
	if err := s.withKeys(func(k *keys) error {
		own = k.sign.Public().(ed25519.PublicKey)
		return nil
	}); err != nil {
		return nil, err
	}
	root, _ := s.d.st.GetMeta("root_public")
	rows, err := s.d.st.Credentials()
	if err != nil {
		return nil, err
	}
	creds := map[string]ed25519.PublicKey{}
	for _, r := range rows {
		// A credential row is plain text on disk: it counts only with the
		// authority's signature, at the time it was issued.
		if c, err := trust.UnmarshalCredential(r.Credential); err == nil && c.DeviceID == r.DeviceID &&
			c.Verify(root, time.Unix(c.IssuedAt, 0)) == nil {
			creds[r.DeviceID] = c.PublicKey
		}
	}
	self := s.d.info.DeviceID
	return func(origin string) ed25519.PublicKey {
		if origin == self {
			return own
		}
		return creds[origin]
	}, nil
}

// checkRecord says what is wrong with record id ("" if nothing).
func (s *Session) checkRecord(id string, keyOf func(string) ed25519.PublicKey) (string, error) {
	evs, err := s.d.st.RecordEvents(id)
	if err != nil {
		return "", err
	}
	if _, err := s.d.st.Erased(id); err == nil {
		return s.checkErased(id, evs, keyOf)
	}
	if len(evs) == 0 {
		return "a record without any event (its row was added or its events removed)", nil
	}
	for _, e := range evs {
		pub := keyOf(e.Origin)
		if pub == nil {
			return fmt.Sprintf("event %s comes from a device this one holds no credential of", e.ID()), nil
		}
		if e.Verify(pub) != nil {
			return fmt.Sprintf("event %s: signature does not verify (the event was changed or damaged on this device)", e.ID()), nil
		}
	}
	var fresh *registry.Record
	if err := s.withKeys(func(*keys) error {
		fresh, err = s.foldEvents(id, evs)
		return nil
	}); err != nil {
		return "", err
	}
	if err != nil {
		return "its events do not open or fold (damaged): " + plainCause(err), nil
	}
	stored, err := s.state(id)
	if errors.Is(err, store.ErrNotFound) {
		return "no stored projection: the record is missing from lists and search", nil
	}
	if errors.Is(err, ErrSessionLocked) {
		return "", err
	}
	if err != nil {
		return "its stored projection does not open (damaged or edited)", nil
	}
	a, _ := json.Marshal(stored)
	b, _ := json.Marshal(fresh)
	if string(a) != string(b) {
		return "its stored projection differs from the fold of its events (edited or damaged)", nil
	}
	// The list and search read the summary, sealed apart from the state.
	sum, err := s.Summary(id)
	if errors.Is(err, ErrSessionLocked) {
		return "", err
	}
	if err != nil {
		return "its stored summary does not open (damaged or edited): lists and search skip it", nil
	}
	a, _ = json.Marshal(sum)
	b, _ = json.Marshal(summaryOf(fresh))
	if string(a) != string(b) {
		return "its stored summary differs from the fold of its events (edited or damaged)", nil
	}
	return "", nil
}

// plainCause is the outcome of a failed fold in words without values.
func plainCause(err error) string {
	if errors.Is(err, registry.ErrBadChange) {
		return "a change is malformed"
	}
	return "a payload does not open under the records key"
}

// checkErased says what is wrong with erased record id ("" if nothing):
// its events still verify (format 2 signs the payload's hash, so a dropped
// payload leaves the signature checkable), none but erase events holds a
// payload, and no projection is left.
func (s *Session) checkErased(id string, evs []*registry.Event, keyOf func(string) ed25519.PublicKey) (string, error) {
	for _, e := range evs {
		pub := keyOf(e.Origin)
		if pub == nil {
			return fmt.Sprintf("event %s comes from a device this one holds no credential of", e.ID()), nil
		}
		if e.Verify(pub) != nil {
			return fmt.Sprintf("event %s: signature does not verify (the event was changed or damaged on this device)", e.ID()), nil
		}
		if e.Op != registry.OpErase && !e.Erased() {
			return fmt.Sprintf("erased, yet event %s still holds its payload", e.ID()), nil
		}
	}
	if _, err := s.d.st.Record(id); err == nil {
		return "erased, yet its projection is still stored", nil
	}
	return "", nil
}
