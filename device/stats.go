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

// projectNew projects (with t) and counts a record new to the store: its fact goes
// with its row (PutNewRecords writes both), the Counted returned adds its
// cells only.
func (s *Session) projectNew(t *tokenizer, r *registry.Record) (store.RecordRow, [][]byte, store.Counted, error) {
	row, toks, err := s.projection(t, r)
	if err != nil {
		return row, nil, store.Counted{}, err
	}
	c, err := s.counted(r)
	if err != nil {
		return row, nil, store.Counted{}, err
	}
	row.Fact, c.Fact = c.Fact, nil
	return row, toks, c, nil
}

// recount replaces, inside tx, what r was counted with by what it is
// counted with now. A "registered elsewhere" hit counted before stays:
// it is a fact of the answer, not of the record.
func (s *Session) recount(tx *store.Tx, r *registry.Record) error {
	old, err := s.countedFact(tx, r.ID)
	if err != nil {
		return err
	}
	now := s.fact(r)
	if old != nil {
		now.ElsewhereDay = old.ElsewhereDay
	}
	return s.putFact(tx, r.ID, old, &now)
}

// countedFact opens the fact record id was counted with; nil when it was
// not counted yet.
func (s *Session) countedFact(tx *store.Tx, id string) (*stats.Fact, error) {
	sealed, err := tx.RecordFact(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	b, err := seal.Open(s.k.master, sealed, seal.AD("stats", "fact", id))
	if err != nil {
		return nil, fmt.Errorf("record %s: counted fact: %w", id, err)
	}
	f := new(stats.Fact)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("record %s: counted fact malformed: %w", id, err)
	}
	return f, nil
}

// putFact seals now as record id's fact and applies the difference from
// old (nil: not counted yet).
func (s *Session) putFact(tx *store.Tx, id string, old, now *stats.Fact) error {
	cells := stats.Delta(old, now)
	if old != nil && len(cells) == 0 {
		return nil
	}
	b, _ := json.Marshal(now)
	sealed, err := seal.Seal(s.k.master, b, seal.AD("stats", "fact", id))
	if err != nil {
		return err
	}
	return tx.PutCounted([]store.Counted{{Record: id, Fact: sealed, Cells: cells}}, s.mergeDay)
}

// countHit counts, inside tx, the first "registered elsewhere" hit answered
// for record id, on day. Called with the session's keys held.
func (s *Session) countHit(tx *store.Tx, id, day string) error {
	old, err := s.countedFact(tx, id)
	if err != nil || old == nil || old.ElsewhereDay != "" {
		return err
	}
	now := *old
	now.ElsewhereDay = day
	return s.putFact(tx, id, old, &now)
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
				return tx.PutCounted([]store.Counted{{Record: countedAll, Fact: []byte{1}}}, s.mergeDay)
			})
		}
		cs := make([]store.Counted, 0, len(rows))
		for _, row := range rows {
			// The caller holds the keys (withKeys): fold without locking.
			evs, err := s.d.st.RecordEvents(row.ID)
			if err != nil {
				return err
			}
			r, err := s.foldEvents(row.ID, evs)
			if err != nil {
				return fmt.Errorf("record %s: %w", row.ID, err)
			}
			c, err := s.counted(r)
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
			return tx.PutCounted(fresh, s.mergeDay)
		})
		if err != nil {
			return err
		}
	}
}

// Stats works out the figures of q from this device's records: its own
// registrations and those sync brought. Supervisors only
// (ErrNotSupervisor). Counts are exact (the device's
// own data: nothing is suppressed). The 72-hour figures count the
// registrations made within 72 hours of the encounter (stats.Transmission).
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
	return stats.Compute(ctx, q, s.scan)
}

// dayCells is one day of the device's aggregate as an earlier version
// sealed it (JSON): the cells' keys without the day, and their counts.
// Days are now sealed in stats.EncodeCells' form, and read in either.
type dayCells []stats.Cell

// mergeDay adds cells to a sealed day of the aggregate (nil: none yet)
// and seals it anew under the master key, bound to its day. Called inside
// a store transaction with the session's keys held.
func (s *Session) mergeDay(day string, sealed []byte, add []stats.Cell) ([]byte, error) {
	cells, err := s.openDay(day, sealed)
	if err != nil {
		return nil, err
	}
	for i := range cells {
		cells[i].Day = ""
	}
	own := make([]stats.Cell, len(add))
	for i, c := range add {
		c.Day = ""
		own[i] = c
	}
	return seal.Seal(s.k.master, stats.EncodeCells(stats.AddSorted(cells, own)), seal.AD("stats", "day", day))
}

// openDay opens a sealed day of the aggregate.
func (s *Session) openDay(day string, sealed []byte) ([]stats.Cell, error) {
	if sealed == nil {
		return nil, nil
	}
	b, err := seal.Open(s.k.master, sealed, seal.AD("stats", "day", day))
	if err != nil {
		return nil, fmt.Errorf("statistics of %s: %w", day, err)
	}
	var cells []stats.Cell
	if len(b) > 0 && (b[0] == '[' || b[0] == 'n') {
		// Written by an earlier version, as JSON.
		var old dayCells
		err = json.Unmarshal(b, &old)
		cells = old
	} else {
		cells, err = stats.DecodeCells(b)
	}
	if err != nil {
		return nil, fmt.Errorf("statistics of %s: malformed", day)
	}
	for i := range cells {
		cells[i].Day = day
	}
	return cells, nil
}

// scan reads the sealed days of a period for stats.Compute.
func (s *Session) scan(ctx context.Context, f stats.Filter, fn func(stats.Cell) error) error {
	return stats.SumCells(f, func(each func(stats.Cell) error) error {
		return s.withKeys(func(*keys) error {
			return s.d.st.SealedDays(ctx, f.From, f.To, func(day string, sealed []byte) error {
				cells, err := s.openDay(day, sealed)
				if err != nil {
					return err
				}
				for _, c := range cells {
					if err := each(c); err != nil {
						return err
					}
				}
				return nil
			})
		})
	}, fn)
}
