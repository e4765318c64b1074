package device

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Digest is a SHA-256 over every record's folded state (fields, versions,
// conflicts, links) in record ID order: two replicas holding the same
// events have the same digest. It also checks that each stored projection
// equals a fresh fold of the record's events, and fails if one does not.
// It returns the digest in hex and the number of records.
func (s *Session) Digest() (string, int, error) {
	if err := s.check(); err != nil {
		return "", 0, err
	}
	ids, err := s.d.st.EventRecords()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	n := 0
	for _, id := range ids {
		if _, err := s.d.st.Erased(id); err == nil {
			continue // erased: nothing to fold
		}
		n++
		evs, err := s.d.st.RecordEvents(id)
		if err != nil {
			return "", 0, err
		}
		s.mu.RLock()
		if s.k == nil {
			s.mu.RUnlock()
			return "", 0, ErrSessionLocked
		}
		r, err := s.foldEvents(id, evs)
		s.mu.RUnlock()
		if err != nil {
			return "", 0, err
		}
		fresh, _ := json.Marshal(r)
		stored, err := s.state(id)
		if err != nil {
			return "", 0, fmt.Errorf("record %s: no projection: %w", id, err)
		}
		if b, _ := json.Marshal(stored); string(b) != string(fresh) {
			return "", 0, fmt.Errorf("record %s: stored projection differs from the fold of its events", id)
		}
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write(fresh)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}
