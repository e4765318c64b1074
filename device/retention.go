package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// Retention returns the retention rules this device applies: the
// authority's, verified against its root key, or the defaults of the
// Regulation (registry.DefaultRetention) when none have arrived. Issued is
// zero for the defaults.
func (d *Device) Retention() (rules registry.Retention, issued time.Time, err error) {
	r, err := held(d, trust.RetentionKind)
	if errors.Is(err, errNoDocument) {
		return registry.DefaultRetention, time.Time{}, nil
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	rules, err = r.Retention()
	return rules, time.Unix(r.Issued, 0).UTC(), err
}

// Due is when a record is to be erased under the rules: its category's
// period after registration, or the earlier date a supervisor set.
func Due(rules registry.Retention, m Summary) time.Time {
	var earlier time.Time
	if m.EraseBy != "" {
		earlier, _ = time.Parse(time.DateOnly, m.EraseBy)
	}
	return rules.Due(m.Category, m.Created.Time().UTC(), earlier)
}

// DueRecord is a record and when it is to be erased.
type DueRecord struct {
	ID  string    `json:"id"`
	Due time.Time `json:"due"`
}

// NextDue lists the records to be erased before until (or already due),
// soonest first, at most limit. Names are not part of it: IDs and dates.
func (s *Session) NextDue(ctx context.Context, until time.Time, limit int) ([]DueRecord, error) {
	rules, _, err := s.d.Retention()
	if err != nil {
		return nil, err
	}
	var out []DueRecord
	err = s.eachSummary(ctx, func(m Summary) error {
		if due := Due(rules, m); due.Before(until) {
			out = append(out, DueRecord{ID: m.ID, Due: due})
		}
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// eachSummary calls fn with the summary of every record, in ID order,
// reading them in one pass; a record whose summary does not open is
// skipped (audit verify names it).
func (s *Session) eachSummary(ctx context.Context, fn func(Summary) error) error {
	if err := s.check(); err != nil {
		return err
	}
	return s.d.st.Summaries(ctx, func(id string, sealed []byte) error {
		var m Summary
		err := s.withKeys(func(k *keys) error {
			pt, err := seal.Open(k.master, sealed, seal.AD("records", "summary", id))
			if err != nil || json.Unmarshal(pt, &m) != nil {
				m = Summary{} // damaged: skipped
			}
			return nil
		})
		if err != nil {
			return err
		}
		if m.ID == "" {
			return nil
		}
		return fn(m)
	})
}

// SweepExpired erases every record whose erasure date has come on this
// device's clock, under the authority's rules (or the Regulation's), with
// no event: every node sweeps on its own, so a device that never syncs
// again erases too. The tombstone's reason names the rule ("retention:
// irregular_crossing 5y" or "erasure date set by a supervisor"). It
// returns the IDs erased. The officer need not be a supervisor: the rule
// is the authority's, not the officer's.
func (s *Session) SweepExpired(ctx context.Context) ([]string, error) {
	rules, _, err := s.d.Retention()
	if err != nil {
		return nil, err
	}
	now := s.d.opts.Now()
	type due struct{ id, reason string }
	var todo []due
	err = s.eachSummary(ctx, func(m Summary) error {
		if Due(rules, m).After(now) {
			return nil
		}
		reason := "erasure date set by a supervisor"
		if p, ok := rules[m.Category]; ok && !p.Add(m.Created.Time().UTC()).After(now) {
			reason = "retention: " + m.Category + " " + p.String()
		} else if !ok {
			reason = "retention: longest period"
		}
		todo = append(todo, due{m.ID, reason})
		return nil
	})
	if err != nil || len(todo) == 0 {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return nil, ErrSessionLocked
	}
	ts, err := s.d.loadTrust()
	if err != nil {
		return nil, err
	}
	var done []string
	// In batches: one durable commit per batch, and the writer lock is not
	// held for the whole sweep.
	const batch = 1000
	for len(todo) > 0 {
		n := min(batch, len(todo))
		s.d.writeMu.Lock()
		err := s.d.st.Update(ctx, func(tx *store.Tx) error {
			for _, r := range todo[:n] {
				if err := s.eraseTx(tx, ts, registry.EventID{}, r.id, r.reason); err != nil {
					return err
				}
				if err := appendAudit(tx, s.k.audit, now, s.officer.ID, "erase", r.id, "retention period ended"); err != nil {
					return err
				}
			}
			return nil
		})
		s.d.writeMu.Unlock()
		if err != nil {
			return done, err
		}
		for _, r := range todo[:n] {
			done = append(done, r.id)
		}
		todo = todo[n:]
	}
	return done, s.d.st.Scrub()
}

// SetErasureDate sets an earlier erasure date on record id (a supervisor's
// decision, for reason): a signed erase_by event that spreads like any
// other. A date later than the one in force changes nothing (the earliest
// date wins everywhere); it is refused here so the supervisor knows. A date
// in the past erases at the next sweep.
func (s *Session) SetErasureDate(id string, date time.Time, reason string) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	x := &registry.Erasure{Reason: reason, Role: registry.RoleSupervisor, Date: date.UTC().Format(time.DateOnly)}
	if err := registry.CheckEraseBy(x); err != nil {
		return err
	}
	m, err := s.Summary(id)
	if err != nil {
		return err
	}
	rules, _, err := s.d.Retention()
	if err != nil {
		return err
	}
	if cur := Due(rules, m); !date.Before(cur) {
		return fmt.Errorf("%w: the record is erased on %s already; a date can only be brought forward", ErrEraseLater, cur.Format(time.DateOnly))
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.k == nil {
		return ErrSessionLocked
	}
	s.d.writeMu.Lock()
	defer s.d.writeMu.Unlock()
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if _, err := s.recordEvent(tx, id, registry.OpEraseBy, &registry.Change{Erase: x}); err != nil {
			return err
		}
		return appendAudit(tx, s.k.audit, s.d.opts.Now(), s.officer.ID, "erase_by", id, "erasure date "+x.Date)
	})
}

// ErrEraseLater refuses an erasure date that would extend the period.
var ErrEraseLater = errors.New("an erasure date cannot be later than the one in force")

// ErasureDue is when record r is to be erased on this device's rules.
func (d *Device) ErasureDue(r *registry.Record) (time.Time, error) {
	rules, _, err := d.Retention()
	if err != nil {
		return time.Time{}, err
	}
	return Due(rules, summaryOf(r)), nil
}
