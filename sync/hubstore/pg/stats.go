package pg

import (
	"context"
	"slices"

	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

// migrationStats: the same tables as the SQLite back end's (store/stats.go).
const migrationStats = `CREATE TABLE stat_days(dim TEXT NOT NULL, day TEXT NOT NULL, station TEXT NOT NULL, category TEXT NOT NULL,
		code TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(dim, day, station, category, code));
	CREATE TABLE stat_months(dim TEXT NOT NULL, month TEXT NOT NULL, station TEXT NOT NULL, category TEXT NOT NULL,
		code TEXT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(dim, month, station, category, code));
	CREATE TABLE stat_facts(record TEXT PRIMARY KEY, fact BYTEA NOT NULL);`

// statLock is the first key of the advisory locks that serialise the
// counting of one record across servers (the second is a hash of its ID).
const statLock = 0x73746174 // "stat"

// migrationSealedStats: the aggregate sealed per kind and period
// (hubstore.PutCounted), as in the SQLite back end.
const migrationSealedStats = `CREATE TABLE stat_rows(kind TEXT NOT NULL, period TEXT NOT NULL, cells BYTEA NOT NULL,
	PRIMARY KEY(kind, period));`

// StatRows reads the sealed rows of kind whose period is from..to.
func (s *Store) StatRows(ctx context.Context, kind, from, to string, fn func(string, []byte) error) error {
	rows, err := s.pool.Query(ctx, "SELECT period, cells FROM stat_rows WHERE kind = $1 AND period >= $2 AND period <= $3 AND cells <> ''::bytea ORDER BY period", kind, from, to)
	if err != nil {
		return unavailable(err)
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
	return unavailable(rows.Err())
}

// Uncounted lists records with events but no fact.
func (s *Store) Uncounted(ctx context.Context, after string, limit int) ([]string, error) {
	return query(ctx, s, rowscan.String, `SELECT DISTINCT e.record FROM events e
		WHERE e.record > $1 AND NOT EXISTS (SELECT 1 FROM stat_facts f WHERE f.record = e.record)
			AND NOT EXISTS (SELECT 1 FROM erased x WHERE x.record = e.record)
		ORDER BY e.record LIMIT $2`, after, limit)
}

// Pending lists records not counted since their last events.
func (s *Store) Pending(ctx context.Context, after string, limit int) ([]string, error) {
	return query(ctx, s, rowscan.String, "SELECT record FROM count_queue WHERE record > $1 ORDER BY record LIMIT $2", after, limit)
}

// AddPending queues records for the counting pass in one statement. A
// record another server is taking off the queue right now waits for it,
// then is queued again: its new events are counted by the next pass.
func (t *Tx) AddPending(records []string) error {
	if len(records) == 0 {
		return nil
	}
	_, err := t.tx.Exec(t.ctx, "INSERT INTO count_queue(record) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", records)
	return err
}

// TakePending takes records off the queue; those another server is
// taking are waited for, or with skipLocked left to it.
func (t *Tx) TakePending(limit int, skipLocked bool) ([]string, error) {
	lock := "FOR UPDATE"
	if skipLocked {
		lock += " SKIP LOCKED"
	}
	rows, err := t.tx.Query(t.ctx, "DELETE FROM count_queue WHERE record IN (SELECT record FROM count_queue ORDER BY record LIMIT $1 "+lock+") RETURNING record", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := rowscan.All(rows, rowscan.String)
	slices.Sort(out) // RETURNING promises no order
	return out, err
}

// ToCount locks records' counts (in the order given, so two servers never
// deadlock on them), then reads their tombstones, facts and events: four
// statements for the whole batch.
func (t *Tx) ToCount(records []string) ([]hubstore.Counting, error) {
	out, at := hubstore.NewCountings(records)
	if len(records) == 0 {
		return out, nil
	}
	if _, err := t.tx.Exec(t.ctx, "SELECT pg_advisory_xact_lock($1, hashtext(r)) FROM unnest($2::text[]) AS r", int32(statLock), records); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(t.ctx, "SELECT record FROM erased WHERE record = ANY($1::text[])", records)
	if err != nil {
		return nil, err
	}
	gone, err := rowscan.All(rows, rowscan.String)
	rows.Close()
	if err != nil {
		return nil, err
	}
	for _, r := range gone {
		out[at[r]].Erased = true
	}
	rows, err = t.tx.Query(t.ctx, "SELECT record, fact FROM stat_facts WHERE record = ANY($1::text[])", records)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var r string
		var b []byte
		if err := rows.Scan(&r, &b); err != nil {
			rows.Close()
			return nil, err
		}
		out[at[r]].Fact = b
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = t.tx.Query(t.ctx, "SELECT "+rowscan.ReceivedCols+" FROM events WHERE record = ANY($1::text[])", records)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		e, got, err := rowscan.Received(rows)
		if err != nil {
			return nil, err
		}
		c := &out[at[e.Record]]
		c.Events, c.Received = append(c.Events, e), append(c.Received, got)
	}
	return out, rows.Err()
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

// PutFacts writes records' sealed facts in one statement (the columns
// sent as arrays).
func (t *Tx) PutFacts(facts []hubstore.Fact) error {
	ids, sealed := make([]string, len(facts)), make([][]byte, len(facts))
	for i, f := range facts {
		ids[i], sealed[i] = f.Record, f.Sealed
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO stat_facts(record, fact) SELECT * FROM unnest($1::text[], $2::bytea[])
		ON CONFLICT (record) DO UPDATE SET fact = excluded.fact`, ids, sealed)
	return err
}

// StatRows locks and reads sealed rows of the aggregate: a row not there
// yet is first inserted empty, so that a second server adding to the
// same period waits for this one's commit and then reads its row.
// Periods come in order: two servers lock shared rows in the same order.
func (t *Tx) StatRows(kind string, periods []string) (map[string][]byte, error) {
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO stat_rows(kind, period, cells) SELECT $1, p, ''::bytea FROM unnest($2::text[]) AS p
		ON CONFLICT (kind, period) DO NOTHING`, kind, periods); err != nil {
		return nil, err
	}
	rows, err := t.tx.Query(t.ctx, "SELECT period, cells FROM stat_rows WHERE kind = $1 AND period = ANY($2) ORDER BY period FOR UPDATE", kind, periods)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[string][]byte, len(periods))
	for rows.Next() {
		var p string
		var b []byte
		if err := rows.Scan(&p, &b); err != nil {
			return nil, err
		}
		if len(b) > 0 {
			out[p] = b
		}
	}
	return out, rows.Err()
}

// PutStatRows writes sealed rows of the aggregate in one statement, and
// deletes the nil ones in another.
func (t *Tx) PutStatRows(kind string, rows map[string][]byte) error {
	var put, gone []string
	var cells [][]byte
	for p, b := range rows {
		if b == nil {
			gone = append(gone, p)
		} else {
			put, cells = append(put, p), append(cells, b)
		}
	}
	if len(put) > 0 {
		if _, err := t.tx.Exec(t.ctx, `INSERT INTO stat_rows(kind, period, cells) SELECT $1, * FROM unnest($2::text[], $3::bytea[])
			ON CONFLICT (kind, period) DO UPDATE SET cells = excluded.cells`, kind, put, cells); err != nil {
			return err
		}
	}
	if len(gone) > 0 {
		if _, err := t.tx.Exec(t.ctx, "DELETE FROM stat_rows WHERE kind = $1 AND period = ANY($2)", kind, gone); err != nil {
			return err
		}
	}
	return nil
}

// TakePlainCells deletes the plaintext aggregate of an earlier reghub and
// returns its daily rows. Two servers at once: the second's DELETE waits
// for the first's and then finds nothing. PostgreSQL keeps the deleted
// row versions until VACUUM reclaims them (docs/statistics.md).
func (t *Tx) TakePlainCells() ([]stats.Cell, error) {
	rows, err := t.tx.Query(t.ctx, "DELETE FROM stat_days RETURNING day, station, category, dim, code, n")
	if err != nil {
		return nil, err
	}
	var out []stats.Cell
	for rows.Next() {
		var c stats.Cell
		if err := rows.Scan(&c.Day, &c.Station, &c.Category, &c.Dim, &c.Code, &c.N); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := t.tx.Exec(t.ctx, "DELETE FROM stat_months"); err != nil {
		return nil, err
	}
	return out, nil
}
