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
