package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fieldreg/fieldreg/stats"
)

// migrationStats: per record, the sealed fact it was counted with, so an
// amendment takes back exactly what was counted (a record erased later
// keeps its counts: the cells hold no link to it). stat_days and
// stat_months held a hub's aggregate in plaintext in earlier builds; the
// hub now seals it (sync/hubstore, stat_rows) and empties them when it
// opens the file.
//
// A device keeps its aggregate sealed instead, one row per day
// (stat_sealed, sealed by the caller under its master key): a stolen
// tablet's per-day counts beside the plaintext registration times could
// otherwise tell a person's category or vulnerabilities on a quiet day.
const migrationStats = `CREATE TABLE IF NOT EXISTS stat_days(
		dim TEXT NOT NULL, day TEXT NOT NULL, station TEXT NOT NULL, category TEXT NOT NULL, code TEXT NOT NULL,
		n INTEGER NOT NULL, PRIMARY KEY(dim, day, station, category, code)) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS stat_months(
		dim TEXT NOT NULL, month TEXT NOT NULL, station TEXT NOT NULL, category TEXT NOT NULL, code TEXT NOT NULL,
		n INTEGER NOT NULL, PRIMARY KEY(dim, month, station, category, code)) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS stat_facts(record TEXT PRIMARY KEY, fact BLOB NOT NULL) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS stat_sealed(day TEXT PRIMARY KEY, cells BLOB NOT NULL) WITHOUT ROWID;`

// migrationFactsOnRecords moves a device's counted facts onto the rows of
// their records (records.fact): stat_facts is keyed by the registration
// ID, random by design, so every new registration wrote a row on a random
// page of it (at 100,000 records, most of its pages rewritten by every
// batch of 5,000); the records row is written anyway, at the end of its
// table. stat_facts keeps the facts of records without a projection (a
// hub's) and the marker rows (countedAll).
const migrationFactsOnRecords = `ALTER TABLE records ADD COLUMN fact BLOB;
	UPDATE records SET fact = (SELECT f.fact FROM stat_facts f WHERE f.record = records.id);
	DELETE FROM stat_facts WHERE record IN (SELECT id FROM records WHERE fact IS NOT NULL);`

// Counted is what a record contributes to the aggregate: its fact, sealed
// by the caller, and the cells to add (negative counts take back). A nil
// Fact adds the cells only: the fact went with the record's row
// (RecordRow.Fact, PutNewRecords).
type Counted struct {
	Record string
	Fact   []byte
	Cells  []stats.Cell
}

// RecordFact reads the sealed fact a record was counted with; ErrNotFound
// when it was not counted yet.
func (t *Tx) RecordFact(id string) ([]byte, error) {
	return scanFact(t.queryRow(factQuery, id))
}

// factQuery reads a record's fact: on its row (a device's records), else
// in stat_facts (a hub's records, which have no row, and marker rows).
const factQuery = `SELECT coalesce((SELECT fact FROM records WHERE id = ?1), (SELECT fact FROM stat_facts WHERE record = ?1))`

// scanFact scans factQuery's answer; ErrNotFound when it is NULL.
func scanFact(row rowScanner) ([]byte, error) {
	var b []byte
	if err := row.Scan(&b); err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrNotFound
	}
	return b, nil
}

// StatFact reads a record's sealed fact outside a transaction;
// ErrNotFound when it was not counted yet.
func (s *Store) StatFact(id string) ([]byte, error) {
	return scanFact(s.db.QueryRow(factQuery, id))
}

// PutCounted writes records' facts (on the record's row when it has one,
// else in stat_facts; a nil Fact is not written) and adds their cells, all of them
// added up first (one write per row touched), to the sealed per-day rows,
// merge taking a day's sealed cells (nil: none yet) and the cells to add
// and returning the day sealed anew. With merge nil (a hub, whose
// aggregate is sealed by sync/hubstore) only the facts are written.
func (t *Tx) PutCounted(cs []Counted, merge func(day string, sealed []byte, add []stats.Cell) ([]byte, error)) error {
	sums := stats.Sums{}
	for _, c := range cs {
		sums.Add(c.Cells)
		if c.Fact == nil {
			continue
		}
		res, err := t.exec("UPDATE records SET fact = ? WHERE id = ?", c.Fact, c.Record)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			continue
		}
		if _, err := t.exec("INSERT INTO stat_facts(record, fact) VALUES(?,?) ON CONFLICT(record) DO UPDATE SET fact = excluded.fact", c.Record, c.Fact); err != nil {
			return err
		}
	}
	if merge == nil {
		return nil
	}
	all := sums.Cells()
	for len(all) > 0 {
		day := all[0].Day
		n := 1
		for n < len(all) && all[n].Day == day {
			n++
		}
		var old []byte
		if err := t.tx.QueryRow("SELECT cells FROM stat_sealed WHERE day = ?", day).Scan(&old); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b, err := merge(day, old, all[:n])
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec("INSERT INTO stat_sealed(day, cells) VALUES(?,?) ON CONFLICT(day) DO UPDATE SET cells = excluded.cells", day, b); err != nil {
			return err
		}
		all = all[n:]
	}
	return nil
}

// SealedDays calls fn with each sealed day of from..to (a device's
// aggregate), in order.
func (s *Store) SealedDays(ctx context.Context, from, to string, fn func(day string, sealed []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT day, cells FROM stat_sealed WHERE day >= ? AND day <= ? ORDER BY day", from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var day string
		var b []byte
		if err := rows.Scan(&day, &b); err != nil {
			return err
		}
		if err := fn(day, b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Uncounted lists up to limit records with a projection but no fact yet
// (saved before this version); their states are folded from their events.
func (s *Store) Uncounted(limit int) ([]RecordRow, error) {
	rows, err := s.db.Query(`SELECT r.id, r.created, r.updated FROM records r
		WHERE r.fact IS NULL AND NOT EXISTS (SELECT 1 FROM stat_facts f WHERE f.record = r.id) LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecordRow
	for rows.Next() {
		var r RecordRow
		if err := rows.Scan(&r.ID, &r.Created, &r.Updated); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// UncountedEvents lists up to limit records after the record ID after
// that have events but no fact (the hub's aggregate: its records have no
// projection).
func (s *Store) UncountedEvents(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT e.record FROM events e
		WHERE e.record > ? AND NOT EXISTS (SELECT 1 FROM stat_facts f WHERE f.record = e.record)
			AND NOT EXISTS (SELECT 1 FROM erased x WHERE x.record = e.record)
		ORDER BY e.record LIMIT ?`, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
