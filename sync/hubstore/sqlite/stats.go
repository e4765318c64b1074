package sqlite

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

// The aggregate of the figures lives in the device schema's tables
// (store/stats.go): stat_days and stat_facts.

// StatCells reads the aggregate of a period.
func (s *Store) StatCells(ctx context.Context, f stats.Filter, fn func(stats.Cell) error) error {
	return s.st.StatCells(ctx, f, fn)
}

// Uncounted lists records not counted yet.
func (s *Store) Uncounted(ctx context.Context, after string, limit int) ([]string, error) {
	return s.st.UncountedEvents(ctx, after, limit)
}

// Pending lists records not counted since their last events.
func (s *Store) Pending(ctx context.Context, after string, limit int) ([]string, error) {
	return query(ctx, s.db, rowscan.String, "SELECT record FROM count_queue WHERE record > ? ORDER BY record LIMIT ?", after, limit)
}

// AddPending queues records for the counting pass, in one statement (the
// IDs sent as one JSON array).
func (t *Tx) AddPending(records []string) error {
	if len(records) == 0 {
		return nil
	}
	ids, _ := json.Marshal(records)
	_, err := t.tx.Exec("INSERT OR IGNORE INTO count_queue(record) SELECT value FROM json_each(?)", string(ids))
	return err
}

// TakePending takes records off the queue (writers are serialised: there
// is nothing to skip).
func (t *Tx) TakePending(limit int, _ bool) ([]string, error) {
	rows, err := t.tx.Query("DELETE FROM count_queue WHERE record IN (SELECT record FROM count_queue ORDER BY record LIMIT ?) RETURNING record", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := rowscan.All(rows, rowscan.String)
	slices.Sort(out) // RETURNING promises no order
	return out, err
}

// ToCount reads records' tombstones, facts and events in three
// statements (the IDs sent as one JSON array); writers are serialised, so
// nothing is locked.
func (t *Tx) ToCount(records []string) ([]hubstore.Counting, error) {
	out, at := hubstore.NewCountings(records)
	if len(records) == 0 {
		return out, nil
	}
	ids, _ := json.Marshal(records)
	in := " WHERE record IN (SELECT value FROM json_each(?))"
	erased, err := t.tx.Query("SELECT record FROM erased"+in, string(ids))
	if err != nil {
		return nil, err
	}
	gone, err := rowscan.All(erased, rowscan.String)
	erased.Close()
	if err != nil {
		return nil, err
	}
	for _, r := range gone {
		out[at[r]].Erased = true
	}
	facts, err := t.tx.Query("SELECT record, fact FROM stat_facts"+in, string(ids))
	if err != nil {
		return nil, err
	}
	for facts.Next() {
		var r string
		var b []byte
		if err := facts.Scan(&r, &b); err != nil {
			facts.Close()
			return nil, err
		}
		out[at[r]].Fact = b
	}
	facts.Close()
	if err := facts.Err(); err != nil {
		return nil, err
	}
	evs, err := t.tx.Query("SELECT "+rowscan.ReceivedCols+" FROM events"+in, string(ids))
	if err != nil {
		return nil, err
	}
	defer evs.Close()
	for evs.Next() {
		e, got, err := rowscan.Received(evs)
		if err != nil {
			return nil, err
		}
		c := &out[at[e.Record]]
		c.Events, c.Received = append(c.Events, e), append(c.Received, got)
	}
	return out, evs.Err()
}

// RecordEvents returns a record's events, this transaction's included.
func (t *Tx) RecordEvents(record string) ([]*registry.Event, error) { return t.tx.RecordEvents(record) }

// Received is when a stored event was received.
func (t *Tx) Received(id registry.EventID) (time.Time, error) {
	ms, err := t.tx.Received(id)
	return time.UnixMilli(ms).UTC(), notFound(err)
}

// RecordFact reads a record's sealed fact (writers are serialised: no lock
// is needed).
func (t *Tx) RecordFact(record string) ([]byte, error) {
	b, err := t.tx.RecordFact(record)
	return b, notFound(err)
}

// PutCounted writes records' facts and adds cells.
func (t *Tx) PutCounted(facts []hubstore.Fact, cells []stats.Cell) error {
	cs := make([]store.Counted, len(facts), len(facts)+1)
	for i, f := range facts {
		cs[i] = store.Counted{Record: f.Record, Fact: f.Sealed}
	}
	if err := t.tx.PutCounted(cs, nil); err != nil {
		return err
	}
	return t.tx.AddCells(stats.Merge(cells))
}
