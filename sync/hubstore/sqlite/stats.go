package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"slices"

	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

// migrationSealedStats: the hub's aggregate of the figures, sealed per
// kind and period (hubstore.PutCounted); the records' facts stay in the
// device schema's stat_facts.
const migrationSealedStats = `CREATE TABLE stat_rows(kind TEXT NOT NULL, period TEXT NOT NULL, cells BLOB NOT NULL,
	PRIMARY KEY(kind, period)) WITHOUT ROWID;`

// StatRows reads the sealed rows of kind whose period is from..to.
func (s *Store) StatRows(ctx context.Context, kind, from, to string, fn func(string, []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT period, cells FROM stat_rows WHERE kind = ? AND period >= ? AND period <= ? ORDER BY period", kind, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var b []byte
		if err := rows.Scan(&p, &b); err != nil {
			return err
		}
		if err := fn(p, b); err != nil {
			return err
		}
	}
	return rows.Err()
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

// RecordFact reads a record's sealed fact (writers are serialised: no lock
// is needed).
func (t *Tx) RecordFact(record string) ([]byte, error) {
	b, err := t.tx.RecordFact(record)
	return b, notFound(err)
}

// PutFacts writes records' sealed facts.
func (t *Tx) PutFacts(facts []hubstore.Fact) error {
	cs := make([]store.Counted, len(facts))
	for i, f := range facts {
		cs[i] = store.Counted{Record: f.Record, Fact: f.Sealed}
	}
	return t.tx.PutCounted(cs, nil)
}

// StatRows reads sealed rows of the aggregate (writers are serialised: no
// lock is needed).
func (t *Tx) StatRows(kind string, periods []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(periods))
	for _, p := range periods {
		var b []byte
		err := t.tx.QueryRow("SELECT cells FROM stat_rows WHERE kind = ? AND period = ?", kind, p).Scan(&b)
		if err = notFound(err); errors.Is(err, hubstore.ErrNotFound) {
			continue
		} else if err != nil {
			return nil, err
		}
		out[p] = b
	}
	return out, nil
}

// PutStatRows writes sealed rows of the aggregate; nil ones are deleted.
func (t *Tx) PutStatRows(kind string, rows map[string][]byte) error {
	for p, b := range rows {
		var err error
		if b == nil {
			_, err = t.tx.Exec("DELETE FROM stat_rows WHERE kind = ? AND period = ?", kind, p)
		} else {
			_, err = t.tx.Exec("INSERT INTO stat_rows(kind, period, cells) VALUES(?,?,?) ON CONFLICT(kind, period) DO UPDATE SET cells = excluded.cells", kind, p, b)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// TakePlainCells empties the plaintext aggregate of an earlier reghub
// (the device schema's stat_days and stat_months), overwriting what it
// frees, and returns its daily rows.
func (t *Tx) TakePlainCells() ([]stats.Cell, error) {
	var out []stats.Cell
	rows, err := t.tx.Query("SELECT day, station, category, dim, code, n FROM stat_days")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var c stats.Cell
		if err := rows.Scan(&c.Day, &c.Station, &c.Category, &c.Dim, &c.Code, &c.N); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return nil, err
	}
	if _, err := t.tx.Exec("PRAGMA secure_delete = ON"); err != nil {
		return nil, err
	}
	defer t.tx.Exec("PRAGMA secure_delete = FAST") //nolint:errcheck // restores the connection's default
	for _, q := range []string{"DELETE FROM stat_days", "DELETE FROM stat_months"} {
		if _, err := t.tx.Exec(q); err != nil {
			return nil, err
		}
	}
	return out, nil
}
