package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// migrationOccupancy holds the occupancy projection (device/centres.go):
// each person's stay, sealed (who stays where is personal data), with a
// plaintext flag saying whether it holds a place (an occupancy operation in
// a plaintext event header says as much); and the counts per centre and
// section, which are figures, not personal data, kept up to date as events
// arrive so that the capacity view reads a few rows.
const migrationOccupancy = `CREATE TABLE stays(record TEXT PRIMARY KEY, open INTEGER NOT NULL, state BLOB NOT NULL) WITHOUT ROWID;
CREATE INDEX stays_open ON stays(open);
CREATE TABLE occupancy(
	centre TEXT NOT NULL, section TEXT NOT NULL,
	residents INTEGER NOT NULL DEFAULT 0, referred INTEGER NOT NULL DEFAULT 0, absent INTEGER NOT NULL DEFAULT 0,
	as_of INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(centre, section)) WITHOUT ROWID;
CREATE TABLE occupancy_days(day TEXT NOT NULL, centre TEXT NOT NULL, arrivals INTEGER NOT NULL DEFAULT 0,
	departures INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(day, centre)) WITHOUT ROWID;`

// OccupancyRow is the counts of one centre's section; AsOf is Unix
// milliseconds of the last event applied there.
type OccupancyRow struct {
	Centre, Section             string
	Residents, Referred, Absent int
	AsOf                        int64
}

// Stay reads a record's sealed stay; ErrNotFound when it has none.
func (t *Tx) Stay(record string) ([]byte, error) {
	var b []byte
	err := t.tx.QueryRow("SELECT state FROM stays WHERE record = ?", record).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: stay: %w", err)
	}
	return b, nil
}

// PutStay writes a record's sealed stay and whether it holds a place.
func (t *Tx) PutStay(record string, open bool, state []byte) error {
	if _, err := t.tx.Exec("INSERT OR REPLACE INTO stays(record, open, state) VALUES(?, ?, ?)", record, open, state); err != nil {
		return fmt.Errorf("store: stay: %w", err)
	}
	return nil
}

// DeleteStay forgets a record's stay (nothing happens when it has none).
func (t *Tx) DeleteStay(record string) error {
	if _, err := t.tx.Exec("DELETE FROM stays WHERE record = ?", record); err != nil {
		return fmt.Errorf("store: stay: %w", err)
	}
	return nil
}

// AddOccupancy adds to the counts of a centre's section and sets its as_of
// (Unix milliseconds) when later than the one held.
func (t *Tx) AddOccupancy(centre, section string, residents, referred, absent int, asOf int64) error {
	_, err := t.tx.Exec(`INSERT INTO occupancy(centre, section, residents, referred, absent, as_of) VALUES(?, ?, ?, ?, ?, ?)
		ON CONFLICT(centre, section) DO UPDATE SET residents = residents + excluded.residents,
		referred = referred + excluded.referred, absent = absent + excluded.absent, as_of = max(as_of, excluded.as_of)`,
		centre, section, residents, referred, absent, asOf)
	if err != nil {
		return fmt.Errorf("store: occupancy: %w", err)
	}
	return nil
}

// PutOccupancy sets the counts of a centre's section (copying a hub).
func (t *Tx) PutOccupancy(r OccupancyRow) error {
	_, err := t.tx.Exec(`INSERT OR REPLACE INTO occupancy(centre, section, residents, referred, absent, as_of) VALUES(?, ?, ?, ?, ?, ?)`,
		r.Centre, r.Section, r.Residents, r.Referred, r.Absent, r.AsOf)
	if err != nil {
		return fmt.Errorf("store: occupancy: %w", err)
	}
	return nil
}

// Stays calls fn for every stay, in record order.
func (s *Store) Stays(ctx context.Context, fn func(record string, open bool, state []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT record, open, state FROM stays ORDER BY record")
	if err != nil {
		return fmt.Errorf("store: stays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var open bool
		var b []byte
		if err := rows.Scan(&id, &open, &b); err != nil {
			return fmt.Errorf("store: stays: %w", err)
		}
		if err := fn(id, open, b); err != nil {
			return err
		}
	}
	return rows.Err()
}

// DayRow is the arrivals at and departures from a centre on a day (UTC,
// YYYY-MM-DD).
type DayRow struct {
	Day, Centre          string
	Arrivals, Departures int
}

// AddDay adds to a centre's arrivals and departures of a day; with set, it
// sets them instead (copying a hub).
func (t *Tx) AddDay(r DayRow, set bool) error {
	q := `INSERT INTO occupancy_days(day, centre, arrivals, departures) VALUES(?, ?, ?, ?)
		ON CONFLICT(day, centre) DO UPDATE SET arrivals = arrivals + excluded.arrivals, departures = departures + excluded.departures`
	if set {
		q = `INSERT OR REPLACE INTO occupancy_days(day, centre, arrivals, departures) VALUES(?, ?, ?, ?)`
	}
	if _, err := t.tx.Exec(q, r.Day, r.Centre, r.Arrivals, r.Departures); err != nil {
		return fmt.Errorf("store: occupancy days: %w", err)
	}
	return nil
}

// Days lists the arrivals and departures of the days from through to
// (YYYY-MM-DD, both included), by day and centre.
func (s *Store) Days(ctx context.Context, from, to string) ([]DayRow, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT day, centre, arrivals, departures FROM occupancy_days WHERE day >= ? AND day <= ? ORDER BY day, centre", from, to)
	if err != nil {
		return nil, fmt.Errorf("store: occupancy days: %w", err)
	}
	defer rows.Close()
	var out []DayRow
	for rows.Next() {
		var r DayRow
		if err := rows.Scan(&r.Day, &r.Centre, &r.Arrivals, &r.Departures); err != nil {
			return nil, fmt.Errorf("store: occupancy days: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Occupancy lists the counts of every centre's sections.
func (s *Store) Occupancy() ([]OccupancyRow, error) {
	rows, err := s.db.Query("SELECT centre, section, residents, referred, absent, as_of FROM occupancy ORDER BY centre, section")
	if err != nil {
		return nil, fmt.Errorf("store: occupancy: %w", err)
	}
	defer rows.Close()
	var out []OccupancyRow
	for rows.Next() {
		var r OccupancyRow
		if err := rows.Scan(&r.Centre, &r.Section, &r.Residents, &r.Referred, &r.Absent, &r.AsOf); err != nil {
			return nil, fmt.Errorf("store: occupancy: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// OpenStays calls fn for each stay that holds a place (a referral not yet
// closed, a resident), in record order.
func (s *Store) OpenStays(ctx context.Context, fn func(record string, state []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT record, state FROM stays WHERE open = 1 ORDER BY record")
	if err != nil {
		return fmt.Errorf("store: stays: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return fmt.Errorf("store: stays: %w", err)
		}
		if err := fn(id, b); err != nil {
			return err
		}
	}
	return rows.Err()
}
