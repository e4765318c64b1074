package pg

import (
	"context"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// migrationStats: the same tables as the SQLite back end's (store/stats.go).
const migrationStats = `CREATE TABLE stat_days(day TEXT NOT NULL, station TEXT NOT NULL, category TEXT NOT NULL,
		dim TEXT NOT NULL, code TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(day, station, category, dim, code));
	CREATE TABLE stat_facts(record TEXT PRIMARY KEY, fact BYTEA NOT NULL);`

// statLock is the first key of the advisory locks that serialise the
// counting of one record across servers (the second is a hash of its ID).
const statLock = 0x73746174 // "stat"

// StatCells reads the aggregate of a period: totals per day, the rest
// added up over the period.
func (s *Store) StatCells(ctx context.Context, from, to string, fn func(stats.Cell) error) error {
	rows, err := s.pool.Query(ctx, `SELECT CASE WHEN dim = 'total' THEN day ELSE '' END, station, category, dim, code, SUM(n)::BIGINT
		FROM stat_days WHERE day >= $1 AND day <= $2 GROUP BY 1, 2, 3, 4, 5`, from, to)
	if err != nil {
		return unavailable(err)
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
	return unavailable(rows.Err())
}

// Uncounted lists records with events but no fact.
func (s *Store) Uncounted(ctx context.Context, after string, limit int) ([]string, error) {
	return s.strings(ctx, `SELECT DISTINCT e.record FROM events e
		WHERE e.record > $1 AND NOT EXISTS (SELECT 1 FROM stat_facts f WHERE f.record = e.record)
		ORDER BY e.record LIMIT $2`, after, limit)
}

// RecordEvents returns a record's events, this transaction's included.
func (t *Tx) RecordEvents(record string) ([]*registry.Event, error) {
	var out []*registry.Event
	rows, err := t.tx.Query(t.ctx, "SELECT "+eventCols+" FROM events WHERE record = $1", record)
	err = eachEvent(rows, err, func(e *registry.Event) error { out = append(out, e); return nil })
	return out, err
}

// Received is when a stored event was received.
func (t *Tx) Received(id registry.EventID) (time.Time, error) {
	var ms int64
	err := t.tx.QueryRow(t.ctx, "SELECT received FROM events WHERE origin = $1 AND epoch = $2 AND seq = $3",
		id.Origin, int64(id.Epoch), int64(id.Seq)).Scan(&ms)
	return time.UnixMilli(ms).UTC(), notFound(err)
}

// RecordFact locks the record's count for the transaction, then reads its
// fact: a second server counting the same record waits, and then sees the
// events and the fact the first committed.
func (t *Tx) RecordFact(record string) ([]byte, error) {
	if _, err := t.tx.Exec(t.ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", int32(statLock), record); err != nil {
		return nil, err
	}
	var b []byte
	err := t.tx.QueryRow(t.ctx, "SELECT fact FROM stat_facts WHERE record = $1", record).Scan(&b)
	return b, notFound(err)
}

// PutCounted writes records' facts and adds cells, each in one statement
// (the columns sent as arrays); cells in key order, so two servers touch
// shared rows in the same order (no deadlock).
func (t *Tx) PutCounted(facts []hubstore.Fact, cells []stats.Cell) error {
	if len(facts) > 0 {
		ids, sealed := make([]string, len(facts)), make([][]byte, len(facts))
		for i, f := range facts {
			ids[i], sealed[i] = f.Record, f.Sealed
		}
		if _, err := t.tx.Exec(t.ctx, `INSERT INTO stat_facts(record, fact) SELECT * FROM unnest($1::text[], $2::bytea[])
			ON CONFLICT (record) DO UPDATE SET fact = excluded.fact`, ids, sealed); err != nil {
			return err
		}
	}
	cells = stats.Merge(cells)
	if len(cells) == 0 {
		return nil
	}
	cols := make([][]string, 5)
	ns := make([]int64, len(cells))
	for i, c := range cells {
		for j, v := range []string{c.Day, c.Station, c.Category, c.Dim, c.Code} {
			cols[j] = append(cols[j], v)
		}
		ns[i] = c.N
	}
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO stat_days(day, station, category, dim, code, n)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
		ON CONFLICT (day, station, category, dim, code) DO UPDATE SET n = stat_days.n + excluded.n`,
		cols[0], cols[1], cols[2], cols[3], cols[4], ns); err != nil {
		return err
	}
	_, err := t.tx.Exec(t.ctx, `DELETE FROM stat_days d USING unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS k(day, station, category, dim, code)
		WHERE d.day = k.day AND d.station = k.station AND d.category = k.category AND d.dim = k.dim AND d.code = k.code AND d.n = 0`,
		cols[0], cols[1], cols[2], cols[3], cols[4])
	return err
}
