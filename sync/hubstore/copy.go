package hubstore

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// AllDays are the first and last day Days can be asked for: every day.
var AllDays = [2]string{"0000-01-01", "9999-12-31"}

// CopyReport says what Copy copied and found.
type CopyReport struct {
	Events, Credentials, Quarantined, Flags, Entries, Pushed, Settings, Holes, Stays, Tombstones, Operators, Pending int
}

// copyBatch is how many events one transaction of Copy stores.
const copyBatch = 2000

// Copy copies everything held in from into to, leaving out the settings
// skip names. It is idempotent and can be resumed: every row is written
// with insert-or-ignore (or as an upsert of the same value), in batches of
// their own transactions, so running it again after an interruption
// completes the copy. It then verifies the copy (Verify).
func Copy(ctx context.Context, from, to Store, skip func(key string) bool) (*CopyReport, error) {
	rep := &CopyReport{}
	metas, err := from.Metas(ctx)
	if err != nil {
		return nil, err
	}
	maps.DeleteFunc(metas, func(k string, _ []byte) bool { return skip != nil && skip(k) })
	creds, err := from.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	countries, err := from.FedCountries(ctx)
	if err != nil {
		return nil, err
	}
	ops, err := from.Operators(ctx)
	if err != nil {
		return nil, err
	}
	err = to.Update(ctx, func(tx Tx) error {
		for k, v := range metas {
			if err := tx.PutMeta(k, v); err != nil {
				return err
			}
		}
		for _, c := range creds {
			if err := tx.PutCredential(c); err != nil {
				return err
			}
		}
		for _, c := range countries {
			if err := tx.AdmitCountry(c.Client, c.Country, c.Sharing); err != nil {
				return err
			}
		}
		for _, o := range ops {
			if err := tx.PutOperator(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy settings and credentials: %w", err)
	}
	rep.Settings, rep.Credentials, rep.Operators = len(metas), len(creds), len(ops)
	for _, c := range creds {
		if !c.LastSync.IsZero() {
			if err := to.TouchCredential(ctx, c.DeviceID, c.LastSync); err != nil {
				return nil, err
			}
		}
	}

	var batch []*registry.Event
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := to.Update(ctx, func(tx Tx) error {
			_, err := tx.InsertEvents(batch, time.UnixMilli(0))
			return err
		})
		rep.Events += len(batch)
		batch = batch[:0]
		return err
	}
	err = from.Events(ctx, func(e *registry.Event) error {
		batch = append(batch, e)
		if len(batch) == copyBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return nil, fmt.Errorf("copy events: %w", err)
	}

	q, err := from.Quarantined(ctx)
	if err != nil {
		return nil, err
	}
	flags, err := from.Flags(ctx)
	if err != nil {
		return nil, err
	}
	pushed, err := from.PushedRecords(ctx)
	if err != nil {
		return nil, err
	}
	err = to.Update(ctx, func(tx Tx) error {
		for _, e := range q {
			if err := tx.Quarantine(e.Full, e.Reason, e.Received); err != nil {
				return err
			}
		}
		for _, f := range flags {
			if err := tx.Flag(f.Event, f.Flag, f.At); err != nil {
				return err
			}
		}
		for _, p := range pushed {
			if err := tx.MarkPushed(p); err != nil {
				return err
			}
		}
		// Revocations last: PutCredential never undoes one, and a
		// revocation is never lost on the way.
		for _, c := range creds {
			if !c.RevokedAt.IsZero() {
				if err := tx.SetRevoked(c.DeviceID, c.RevokedAt); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy quarantine and flags: %w", err)
	}
	rep.Quarantined, rep.Flags, rep.Pushed = len(q), len(flags), len(pushed)
	// Known-lost slots of the logs (their reasons stay in the quarantine).
	heads, err := from.Heads(ctx)
	if err != nil {
		return nil, err
	}
	for k := range heads {
		holes, err := from.Holes(ctx, k, 1, 1<<63-1, 1<<20)
		if err != nil {
			return nil, err
		}
		if len(holes) == 0 {
			continue
		}
		err = to.Update(ctx, func(tx Tx) error {
			for _, id := range holes {
				if err := tx.AddHole(id, "known lost (copied by reghub migrate)", time.UnixMilli(0)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("copy known-lost slots: %w", err)
		}
		rep.Holes += len(holes)
	}
	// The occupancy projection: each person's sealed stay and the counts.
	err = from.Stays(ctx, func(record string, open bool, state []byte) error {
		rep.Stays++
		return to.Update(ctx, func(tx Tx) error { return tx.PutStay(record, open, state) })
	})
	if err != nil {
		return nil, fmt.Errorf("copy the stays: %w", err)
	}
	occ, err := from.Occupancy(ctx)
	if err != nil {
		return nil, err
	}
	days, err := from.Days(ctx, AllDays[0], AllDays[1])
	if err != nil {
		return nil, err
	}
	err = to.Update(ctx, func(tx Tx) error {
		for _, r := range occ {
			if err := tx.PutOccupancy(r); err != nil {
				return err
			}
		}
		for _, r := range days {
			if err := tx.AddDay(r, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("copy the occupancy counts: %w", err)
	}
	// The records whose events were stored but not counted yet: the copy's
	// counting pass counts them (the stays above hold only what was counted).
	for after := ""; ; {
		ids, err := from.Pending(ctx, after, copyBatch)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			break
		}
		if err := to.Update(ctx, func(tx Tx) error { return tx.AddPending(ids) }); err != nil {
			return nil, fmt.Errorf("copy the records not counted yet: %w", err)
		}
		rep.Pending += len(ids)
		after = ids[len(ids)-1]
	}
	// Tombstones: the copied events are already without payloads.
	keepAll := func(*registry.Event) error { return nil }
	err = from.Tombstones(ctx, func(record string, at time.Time) error {
		rep.Tombstones++
		return to.Update(ctx, func(tx Tx) error { return tx.EraseRecord(record, registry.EventID{}, keepAll, at) })
	})
	if err != nil {
		return nil, fmt.Errorf("copy tombstones: %w", err)
	}
	err = from.Entries(ctx, func(country string, e Entry, updated time.Time) error {
		rep.Entries++
		return to.Update(ctx, func(tx Tx) error { return tx.PutEntry(country, e, updated) })
	})
	if err != nil {
		return nil, fmt.Errorf("copy the region's entries: %w", err)
	}
	return rep, Verify(ctx, from, to)
}

// Verify checks that to holds what from holds: the same version vector,
// the same number of events, records, credentials (with their
// revocations), quarantined events, remarks, dashboard accounts and
// regional entries.
func Verify(ctx context.Context, from, to Store) error {
	type count struct {
		name string
		fn   func(Store) (int, error)
	}
	counts := []count{
		{"events", func(s Store) (int, error) { return s.CountEvents(ctx) }},
		{"records", func(s Store) (int, error) { r, err := s.Records(ctx); return len(r), err }},
		{"revoked devices", func(s Store) (int, error) {
			cs, err := s.Credentials(ctx)
			n := 0
			for _, c := range cs {
				if !c.RevokedAt.IsZero() {
					n++
				}
			}
			return n, err
		}},
		{"credentials", func(s Store) (int, error) { c, err := s.Credentials(ctx); return len(c), err }},
		{"quarantined events", func(s Store) (int, error) { q, err := s.Quarantined(ctx); return len(q), err }},
		{"remarks", func(s Store) (int, error) { f, err := s.Flags(ctx); return len(f), err }},
		{"stays", func(s Store) (int, error) {
			n := 0
			err := s.Stays(ctx, func(string, bool, []byte) error { n++; return nil })
			return n, err
		}},
		{"arrivals and departures", func(s Store) (int, error) {
			rows, err := s.Days(ctx, AllDays[0], AllDays[1])
			n := 0
			for _, r := range rows {
				n += r.Arrivals + r.Departures
			}
			return n, err
		}},
		{"occupancy counts", func(s Store) (int, error) {
			rows, err := s.Occupancy(ctx)
			n := 0
			for _, r := range rows {
				n += r.Residents + r.Referred + r.Absent
			}
			return n, err
		}},
		{"erased records", func(s Store) (int, error) {
			n := 0
			err := s.Tombstones(ctx, func(string, time.Time) error { n++; return nil })
			return n, err
		}},
		{"dashboard accounts", func(s Store) (int, error) { o, err := s.Operators(ctx); return len(o), err }},
		{"regional entries", func(s Store) (int, error) {
			n := 0
			err := s.Entries(ctx, func(string, Entry, time.Time) error { n++; return nil })
			return n, err
		}},
	}
	for _, c := range counts {
		a, err := c.fn(from)
		if err != nil {
			return err
		}
		b, err := c.fn(to)
		if err != nil {
			return err
		}
		if a != b {
			return fmt.Errorf("verify: %d %s in the source, %d in the copy", a, c.name, b)
		}
	}
	va, err := from.Heads(ctx)
	if err != nil {
		return err
	}
	vb, err := to.Heads(ctx)
	if err != nil {
		return err
	}
	if !va.Dominates(vb) || !vb.Dominates(va) {
		return fmt.Errorf("verify: the version vectors differ (%d logs in the source, %d in the copy)", len(va), len(vb))
	}
	return nil
}
