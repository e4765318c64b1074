package sqlite

import (
	"context"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/hubstore"
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
