package pg

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/registry"
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

// StatCells reads the aggregate that f selects: the same statements as
// the SQLite back end's (store/stats.go, statQueries), with PostgreSQL's
// parameters.
func (s *Store) StatCells(ctx context.Context, f stats.Filter, fn func(stats.Cell) error) error {
	const only = ` AND ($3 = '' OR station = $3) AND ($4 = '' OR category = $4)`
	in := "'" + strings.Join(stats.MonthlyDims, "','") + "'"
	p := stats.PlanOf(f.From, f.To)
	type query struct {
		sql      string
		from, to string
	}
	qs := []query{
		{`SELECT day, station, category, dim, code, n FROM stat_days WHERE dim = 'total' AND day >= $1 AND day <= $2` + only, f.From, f.To},
		{`SELECT '', '', '', 'group', 'groups', COUNT(DISTINCT code) FROM stat_days WHERE dim = 'group' AND day >= $1 AND day <= $2 AND n > 0` + only + `
			UNION ALL SELECT '', '', '', 'group', 'people', COALESCE(SUM(n), 0)::BIGINT FROM stat_days WHERE dim = 'group' AND day >= $1 AND day <= $2` + only, f.From, f.To},
	}
	if p.FirstMonth != "" {
		qs = append(qs, query{`SELECT '', station, category, dim, code, SUM(n)::BIGINT FROM stat_months
			WHERE dim IN (` + in + `) AND month >= $1 AND month <= $2` + only + ` GROUP BY dim, station, category, code`, p.FirstMonth, p.LastMonth})
	}
	for _, d := range p.Days {
		qs = append(qs, query{`SELECT '', station, category, dim, code, SUM(n)::BIGINT FROM stat_days
			WHERE dim IN (` + in + `) AND day >= $1 AND day <= $2` + only + ` GROUP BY dim, station, category, code`, d[0], d[1]})
	}
	for _, q := range qs {
		rows, err := s.pool.Query(ctx, q.sql, q.from, q.to, f.Station, f.Category)
		if err != nil {
			return unavailable(err)
		}
		for rows.Next() {
			var c stats.Cell
			if err := rows.Scan(&c.Day, &c.Station, &c.Category, &c.Dim, &c.Code, &c.N); err != nil {
				rows.Close()
				return err
			}
			if err := fn(c); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return unavailable(err)
		}
	}
	return nil
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
	if err := t.addCells("stat_days", "day", cells, func(c stats.Cell) string { return c.Day }); err != nil {
		return err
	}
	var monthly []stats.Cell
	for _, c := range cells {
		if stats.Monthly(c.Dim) {
			c.Day = stats.Month(c.Day)
			monthly = append(monthly, c)
		}
	}
	return t.addCells("stat_months", "month", stats.Merge(monthly), func(c stats.Cell) string { return c.Day })
}

// addCells adds cells (unique keys) to table in one statement, and removes
// the rows that came to zero.
func (t *Tx) addCells(table, col string, cells []stats.Cell, when func(stats.Cell) string) error {
	if len(cells) == 0 {
		return nil
	}
	cols := make([][]string, 5)
	ns := make([]int64, len(cells))
	for i, c := range cells {
		for j, v := range []string{c.Dim, when(c), c.Station, c.Category, c.Code} {
			cols[j] = append(cols[j], v)
		}
		ns[i] = c.N
	}
	if _, err := t.tx.Exec(t.ctx, `INSERT INTO `+table+`(dim, `+col+`, station, category, code, n)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[])
		ON CONFLICT (dim, `+col+`, station, category, code) DO UPDATE SET n = `+table+`.n + excluded.n`,
		cols[0], cols[1], cols[2], cols[3], cols[4], ns); err != nil {
		return err
	}
	_, err := t.tx.Exec(t.ctx, `DELETE FROM `+table+` d USING unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS k(dim, w, station, category, code)
		WHERE d.dim = k.dim AND d.`+col+` = k.w AND d.station = k.station AND d.category = k.category AND d.code = k.code AND d.n = 0`,
		cols[0], cols[1], cols[2], cols[3], cols[4])
	return err
}
