package device

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// RecordConflicts is a record holding concurrent edits of identity fields.
type RecordConflicts struct {
	ID        string
	Summary   Summary
	Conflicts []registry.Conflict // each: the field, the competing values and who wrote them
}

// Conflicts lists the records that hold a conflict for a supervisor to
// resolve (ResolveConflict). Opening them is not audit-logged as a view:
// the list shows summaries only.
func (s *Session) Conflicts() ([]RecordConflicts, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	ids, err := s.d.st.ConflictRecords()
	if err != nil {
		return nil, err
	}
	var out []RecordConflicts
	for _, id := range ids {
		r, err := s.state(id)
		if err != nil {
			return nil, err
		}
		if len(r.Conflicts) == 0 {
			continue
		}
		out = append(out, RecordConflicts{ID: id, Summary: summaryOf(r), Conflicts: r.Conflicts})
	}
	return out, nil
}

// ResolveConflict settles a conflict on field of record id with value (the
// JSON value of the field: one of the conflict's values, or a merge the
// supervisor typed). It writes an amendment that names the current writer
// of the field as seen, which the fold takes as a resolution. Supervisors
// only; audit-logged. It fails if the field holds no conflict or the value
// does not validate.
func (s *Session) ResolveConflict(id, field string, value json.RawMessage) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	if canon, err := registry.ParseRegID(id); err == nil {
		id = canon
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	now := s.d.opts.Now()
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		cur, err := s.foldTx(tx, id)
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(cur.Conflicts, func(c registry.Conflict) bool { return c.Field == field }) {
			return fmt.Errorf("record %s holds no conflict on %s", id, field)
		}
		// Check the value by applying it to the current person.
		m := map[string]json.RawMessage{}
		b, _ := json.Marshal(&cur.Person)
		_ = json.Unmarshal(b, &m)
		m[field] = value
		b, _ = json.Marshal(m)
		var p registry.Person
		if err := json.Unmarshal(b, &p); err != nil {
			return registry.FieldErrors{field: "is not a valid value for this field"}
		}
		if err := registry.Validate(&p, now); err != nil {
			return err
		}
		ch := &registry.Change{Fields: map[string]json.RawMessage{field: value},
			Prev: map[string]registry.EventID{field: cur.Writers[field]}, Reason: "conflict resolved by a supervisor"}
		r, err := s.recordEvent(tx, id, registry.OpAmend, ch)
		if err != nil {
			return err
		}
		if err := tx.MarkConflict(id, len(r.Conflicts) > 0); err != nil {
			return err
		}
		return appendAudit(tx, s.k.audit, now, s.officer.ID, "conflict_resolve", id, "field: "+field)
	})
}
