package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
)

// migrationStats: the per-day aggregate of the figures (stats.Cell rows:
// counts only, no personal data) and, per record, the sealed fact it was
// counted with, so an amendment takes back exactly what was counted. A
// record erased later keeps its counts: the cells hold no link to it.
const migrationStats = `CREATE TABLE stat_days(
		day TEXT NOT NULL, station TEXT NOT NULL, category TEXT NOT NULL, dim TEXT NOT NULL, code TEXT NOT NULL,
		n INTEGER NOT NULL, PRIMARY KEY(day, station, category, dim, code)) WITHOUT ROWID;
	CREATE TABLE stat_facts(record TEXT PRIMARY KEY, fact BLOB NOT NULL) WITHOUT ROWID;`

// Counted is what a record contributes to the aggregate: its fact, sealed
// by the caller, and the cells to add (negative counts take back).
type Counted struct {
	Record string
	Fact   []byte
	Cells  []stats.Cell
}

// RecordFact reads the sealed fact a record was counted with; ErrNotFound
// when it was not counted yet.
func (t *Tx) RecordFact(id string) ([]byte, error) {
	var b []byte
	err := t.tx.QueryRow("SELECT fact FROM stat_facts WHERE record = ?", id).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return b, err
}

// PutCounted writes records' facts and adds their cells to the aggregate,
// the cells of all of them added up first (one write per row touched).
func (t *Tx) PutCounted(cs []Counted) error {
	var all []stats.Cell
	for _, c := range cs {
		if _, err := t.tx.Exec("INSERT INTO stat_facts(record, fact) VALUES(?,?) ON CONFLICT(record) DO UPDATE SET fact = excluded.fact", c.Record, c.Fact); err != nil {
			return err
		}
		all = append(all, c.Cells...)
	}
	return t.AddCells(stats.Merge(all))
}

// AddCells adds counts to the aggregate; a row that comes to zero is
// removed.
func (t *Tx) AddCells(cells []stats.Cell) error {
	for _, c := range cells {
		if _, err := t.tx.Exec(`INSERT INTO stat_days(day, station, category, dim, code, n) VALUES(?,?,?,?,?,?)
			ON CONFLICT(day, station, category, dim, code) DO UPDATE SET n = n + excluded.n`,
			c.Day, c.Station, c.Category, c.Dim, c.Code, c.N); err != nil {
			return err
		}
		if c.N < 0 {
			if _, err := t.tx.Exec("DELETE FROM stat_days WHERE day = ? AND station = ? AND category = ? AND dim = ? AND code = ? AND n = 0",
				c.Day, c.Station, c.Category, c.Dim, c.Code); err != nil {
				return err
			}
		}
	}
	return nil
}

// StatCells reads the aggregate of the days from..to as stats.Scan
// describes: totals per day, the rest added up over the period.
func (s *Store) StatCells(ctx context.Context, from, to string, fn func(stats.Cell) error) error {
	return scanCells(ctx, s.db, from, to, fn)
}

// CellsQuery is the statement StatCells runs, with the first and last day
// as its two parameters; the hub's SQLite back end runs it too.
const CellsQuery = `SELECT CASE WHEN dim = 'total' THEN day ELSE '' END, station, category, dim, code, SUM(n)
	FROM stat_days WHERE day >= ? AND day <= ? GROUP BY 1, 2, 3, 4, 5`

func scanCells(ctx context.Context, db *sql.DB, from, to string, fn func(stats.Cell) error) error {
	rows, err := db.QueryContext(ctx, CellsQuery, from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c stats.Cell
		if err := rows.Scan(&c.Day, &c.Station, &c.Category, &c.Dim, &c.Code, &c.N); err != nil {
			return err
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Uncounted lists up to limit records with a projection but no fact yet
// (saved before this version), with their sealed states.
func (s *Store) Uncounted(limit int) ([]RecordRow, error) {
	rows, err := s.db.Query(`SELECT r.id, r.created, r.updated, r.state FROM records r
		WHERE NOT EXISTS (SELECT 1 FROM stat_facts f WHERE f.record = r.id) LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecordRow
	for rows.Next() {
		var r RecordRow
		if err := rows.Scan(&r.ID, &r.Created, &r.Updated, &r.State); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Received is when a stored event was received (milliseconds since the
// epoch); ErrNotFound when absent.
func (t *Tx) Received(id registry.EventID) (int64, error) {
	var ms int64
	err := t.tx.QueryRow("SELECT received FROM events WHERE origin = ? AND epoch = ? AND seq = ?", id.Origin, int64(id.Epoch), int64(id.Seq)).Scan(&ms)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return ms, err
}

// UncountedEvents lists up to limit records after the record ID after
// that have events but no fact (the hub's aggregate: its records have no
// projection).
func (s *Store) UncountedEvents(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT e.record FROM events e
		WHERE e.record > ? AND NOT EXISTS (SELECT 1 FROM stat_facts f WHERE f.record = e.record)
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
