package device

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/store"
)

// The device keeps the per-day aggregate of the figures (store/stats.go) up
// to date in the same transaction as each projection: a registration adds
// its cells, an amendment or a synced change takes back what the record
// was counted with (its fact, sealed under the master key) and adds what
// it is counted with now. Figures are then one scan of that table, not a
// decryption of every record. Records saved before this version are
// counted by the first Stats call (countUncounted).

// stations maps device IDs to their stations, read from the credentials
// the hub sent; a record counts at the station of the device that
// registered it.
type stations struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *Session) stationOf(origin string) string {
	if origin == s.d.info.DeviceID {
		return s.d.info.Station
	}
	st := &s.d.stations
	st.mu.Lock()
	defer st.mu.Unlock()
	if v, ok := st.m[origin]; ok {
		return v
	}
	if rows, err := s.d.st.Credentials(); err == nil {
		st.m = make(map[string]string, len(rows))
		for _, r := range rows {
			st.m[r.DeviceID] = r.Station
		}
	}
	if v, ok := st.m[origin]; ok {
		return v
	}
	return stats.Unknown
}

// fact is what record r is counted with.
func (s *Session) fact(r *registry.Record) stats.Fact {
	return stats.FactOf(r, s.stationOf(r.Versions[0].Event.Origin), s.k.search)
}

// counted seals r's fact and lists the cells it adds (a new record).
func (s *Session) counted(r *registry.Record) (store.Counted, error) {
	f := s.fact(r)
	b, _ := json.Marshal(f)
	sealed, err := seal.Seal(s.k.master, b, seal.AD("stats", "fact", r.ID))
	if err != nil {
		return store.Counted{}, err
	}
	return store.Counted{Record: r.ID, Fact: sealed, Cells: f.Cells()}, nil
}

// recount replaces, inside tx, what r was counted with by what it is
// counted with now.
func (s *Session) recount(tx *store.Tx, r *registry.Record) error {
	c, err := s.counted(r)
	if err != nil {
		return err
	}
	now := s.fact(r)
	var old *stats.Fact
	sealed, err := tx.RecordFact(r.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	default:
		b, err := seal.Open(s.k.master, sealed, seal.AD("stats", "fact", r.ID))
		if err != nil {
			return fmt.Errorf("record %s: counted fact: %w", r.ID, err)
		}
		old = new(stats.Fact)
		if err := json.Unmarshal(b, old); err != nil {
			return fmt.Errorf("record %s: counted fact malformed: %w", r.ID, err)
		}
	}
	c.Cells = stats.Delta(old, &now)
	if old != nil && len(c.Cells) == 0 {
		return nil
	}
	return tx.PutCounted([]store.Counted{c})
}

// countBatch is how many uncounted records one transaction counts.
const countBatch = 2000

// countedAll is the stat_facts row that says every record saved before
// the aggregate existed has been counted: every save counts its records
// in its own transaction, so one pass is enough. Registration IDs never
// start with "~".
const countedAll = "~all-counted"

// countUncounted counts the records saved before the aggregate existed,
// once.
func (s *Session) countUncounted() error {
	if _, err := s.d.st.StatFact(countedAll); err == nil || !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for {
		rows, err := s.d.st.Uncounted(countBatch)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
				return tx.PutCounted([]store.Counted{{Record: countedAll, Fact: []byte{1}}})
			})
		}
		cs := make([]store.Counted, 0, len(rows))
		for _, row := range rows {
			b, err := seal.Open(s.k.master, row.State, seal.AD("records", "state", row.ID))
			if err != nil {
				return fmt.Errorf("record %s: %w", row.ID, err)
			}
			var r registry.Record
			if err := json.Unmarshal(b, &r); err != nil || len(r.Versions) == 0 {
				return fmt.Errorf("record %s: stored state malformed", row.ID)
			}
			c, err := s.counted(&r)
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
			// Counted in between by a save: RecordFact finds it, skip.
			fresh := cs[:0]
			for _, c := range cs {
				if _, err := tx.RecordFact(c.Record); errors.Is(err, store.ErrNotFound) {
					fresh = append(fresh, c)
				} else if err != nil {
					return err
				}
			}
			return tx.PutCounted(fresh)
		})
		if err != nil {
			return err
		}
	}
}

// Stats works out the figures of q from this device's records: its own
// registrations and those sync brought. Supervisors only
// (ErrNotSupervisor). Counts are exact (the device's
// own data: nothing is suppressed). The 72-hour transmission figures are
// the hub's: a device gives none.
func (s *Session) Stats(ctx context.Context, q stats.Query) (*stats.Figures, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	err := s.withKeys(func(*keys) error { return s.countUncounted() })
	if err != nil {
		return nil, fmt.Errorf("statistics: %w", err)
	}
	return stats.Compute(ctx, q, s.d.st.StatCells)
}
