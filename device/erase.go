package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// ErrRecordErased is a record that was erased on this device: what remains
// is its tombstone (ErasedError says when and why).
var ErrRecordErased = errors.New("record erased")

// ErasedError is returned for a record that was erased. It wraps
// ErrRecordErased.
type ErasedError struct {
	ID     string
	At     time.Time
	Reason string // as the erasure gave it; empty if it cannot be read
}

func (e *ErasedError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("record %s erased on %s", e.ID, e.At.Format(time.DateOnly))
	}
	return fmt.Sprintf("record %s erased on %s (%s)", e.ID, e.At.Format(time.DateOnly), e.Reason)
}

func (e *ErasedError) Unwrap() error { return ErrRecordErased }

// Erase erases record id on a supervisor's order, for reason (a court
// decision, a data subject's request, the person became a citizen; plain
// words without personal data, at most registry.MaxEraseReason bytes). It
// writes a signed erase event that spreads like any other, then drops the
// payloads of the record's other events, its projection, search tokens and
// queued question, and keeps a tombstone (docs/erasure.md). An officer who
// is not a supervisor gets ErrNotSupervisor; an unknown ID store.ErrNotFound;
// a record already erased an *ErasedError. Nothing is changed then.
func (s *Session) Erase(id, reason string) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	x := &registry.Erasure{Reason: reason, Role: registry.RoleSupervisor}
	if err := registry.CheckErasure(x); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	ts, err := s.d.loadTrust()
	if err != nil {
		return err
	}
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Erased(id); err == nil {
			return s.erasedError(tx, id)
		}
		if ok, err := tx.RecordExists(id); err != nil {
			return err
		} else if !ok {
			return fmt.Errorf("record %s: %w", id, store.ErrNotFound)
		}
		e, err := s.newEvent(tx, id, registry.OpErase, &registry.Change{Erase: x})
		if err != nil {
			return err
		}
		if err := s.eraseTx(tx, ts, e.ID(), id, reason); err != nil {
			return err
		}
		return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, "erase", id, "ordered by a supervisor")
	})
	if err != nil {
		return err
	}
	return s.d.st.Scrub()
}

// eraseTx removes record id's personal data inside tx and writes its
// tombstone (store.Tx.EraseRecord). keep is the erase event, whose payload
// stays. The caller holds s.mu (read) with the keys open.
func (s *Session) eraseTx(tx *store.Tx, ts *trustState, keep registry.EventID, id, reason string) error {
	sealed, err := seal.Seal(s.k.master, []byte(reason), seal.AD("erased", "reason", id))
	if err != nil {
		return err
	}
	now := s.d.opts.Now()
	// The person's accommodation entries go with the record.
	if err := s.ForgetStay(tx, id); err != nil {
		return err
	}
	return tx.EraseRecord(id, keep, func(e *registry.Event) error {
		return registry.EraseV2(e, s.eventKey(ts, e.Origin))
	}, store.Tombstone{Record: id, At: now, Reason: sealed}, now)
}

// takeErased stores an event that arrives for a record erased here, or
// whose payload its sender already dropped, without its payload; c is its
// opened payload (nil for one that arrived erased). An erase event keeps
// its payload (a reason, no personal data).
// A format 1 event cannot be kept verifiable without its payload: its slot
// is recorded as known lost instead (a hole), so the log's mark moves on.
func (s *Session) takeErased(tx *store.Tx, ts *trustState, e *registry.Event, c *registry.Change, now time.Time) error {
	if e.Op != registry.OpErase || e.Erased() || c == nil {
		if err := registry.EraseV2(e, s.eventKey(ts, e.Origin)); err != nil {
			if _, err := tx.Event(e.ID()); err == nil {
				return nil
			}
			return tx.AddHole(e.ID(), "erased: the payload of a format 1 event cannot be kept verifiable", now)
		}
	}
	_, err := tx.InsertEvent(e, now)
	return err
}

// eventKey is the public key that signs origin's events: this device's own,
// or another device's from its credential (nil if unknown).
func (s *Session) eventKey(ts *trustState, origin string) ed25519.PublicKey {
	if origin == s.d.info.DeviceID {
		return s.k.sign.Public().(ed25519.PublicKey)
	}
	if c := ts.creds[origin]; c != nil {
		return c.PublicKey
	}
	return nil
}

// erasedError reads record id's tombstone into an *ErasedError.
func (s *Session) erasedError(tx *store.Tx, id string) error {
	tb, err := tx.Erased(id)
	if err != nil {
		return err
	}
	return s.tombError(tb)
}

func (s *Session) tombError(tb store.Tombstone) error {
	e := &ErasedError{ID: tb.Record, At: tb.At}
	if s.k != nil {
		if r, err := seal.Open(s.k.master, tb.Reason, seal.AD("erased", "reason", tb.Record)); err == nil {
			e.Reason = string(r)
		}
	}
	return e
}

// Erased returns record id's tombstone as an *ErasedError, or nil when the
// record was not erased on this device.
func (s *Session) Erased(id string) error {
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	tb, err := s.d.st.Erased(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tombError(tb)
}
