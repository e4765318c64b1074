// Package pg is the hub's PostgreSQL back end (hubstore.Store), with
// github.com/jackc/pgx/v5. Several reghub serve processes may share one
// database: an event's key is unique (origin, epoch, seq) and inserted with
// ON CONFLICT DO NOTHING, every chunk is one transaction, and the logs' high
// marks are advanced under a row lock taken in a fixed order, so that two
// servers storing the same log at once leave it gapless and right.
//
// The schema is versioned in schema_version; Open migrates an older
// database under an advisory lock (two servers starting at once migrate it
// once) and refuses a newer one with hubstore.ErrTooNew.
package pg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

var _ hubstore.Store = (*Store)(nil)

// migrations, in order; schema_version holds how many have run.
var migrations = []string{
	`CREATE TABLE meta(key TEXT PRIMARY KEY, value BYTEA NOT NULL);
	CREATE TABLE events(origin TEXT NOT NULL, epoch BIGINT NOT NULL, seq BIGINT NOT NULL, hlc BIGINT NOT NULL,
		officer TEXT NOT NULL, record TEXT NOT NULL, op TEXT NOT NULL, payload BYTEA NOT NULL, sig BYTEA NOT NULL,
		received BIGINT NOT NULL, PRIMARY KEY(origin, epoch, seq));
	CREATE INDEX events_record ON events(record);
	CREATE TABLE logs(origin TEXT NOT NULL, epoch BIGINT NOT NULL, high BIGINT NOT NULL, PRIMARY KEY(origin, epoch));
	CREATE TABLE quarantine(origin TEXT NOT NULL, epoch BIGINT NOT NULL, seq BIGINT NOT NULL, hlc BIGINT NOT NULL,
		officer TEXT NOT NULL, record TEXT NOT NULL, op TEXT NOT NULL, payload BYTEA NOT NULL, sig BYTEA NOT NULL,
		received BIGINT NOT NULL, reason TEXT NOT NULL, PRIMARY KEY(origin, epoch, seq, sig));
	CREATE TABLE event_flags(origin TEXT NOT NULL, epoch BIGINT NOT NULL, seq BIGINT NOT NULL, flag TEXT NOT NULL,
		at BIGINT NOT NULL, PRIMARY KEY(origin, epoch, seq, flag));
	CREATE TABLE credentials(device_id TEXT PRIMARY KEY, credential BYTEA NOT NULL, station TEXT NOT NULL DEFAULT '',
		scope TEXT NOT NULL DEFAULT 'all', enrolled BIGINT NOT NULL DEFAULT 0, last_sync BIGINT NOT NULL DEFAULT 0,
		revoked_at BIGINT NOT NULL DEFAULT 0);
	CREATE TABLE fed_records(country TEXT NOT NULL, ref TEXT NOT NULL, day TEXT NOT NULL, place TEXT NOT NULL,
		category TEXT NOT NULL, updated BIGINT NOT NULL, PRIMARY KEY(country, ref));
	CREATE TABLE fed_tokens(token BYTEA NOT NULL, country TEXT NOT NULL, ref TEXT NOT NULL, kind TEXT NOT NULL,
		PRIMARY KEY(token, country, ref));
	CREATE INDEX fed_tokens_ref ON fed_tokens(country, ref);
	CREATE TABLE fed_countries(client TEXT PRIMARY KEY, country TEXT NOT NULL, sharing TEXT NOT NULL);
	CREATE TABLE fed_details(country TEXT NOT NULL, ref TEXT NOT NULL, sealed BYTEA NOT NULL, PRIMARY KEY(country, ref));
	CREATE TABLE fed_pushed(record TEXT PRIMARY KEY, n BIGINT NOT NULL, h BIGINT NOT NULL);`,
	// 2: known-lost slots of event logs: a log's high mark is "every lower
	// seq is stored or known lost" (the same rule as store's migration 5).
	`CREATE TABLE holes(origin TEXT NOT NULL, epoch BIGINT NOT NULL, seq BIGINT NOT NULL,
		reason TEXT NOT NULL, at BIGINT NOT NULL, PRIMARY KEY(origin, epoch, seq));`,
	// 3: tombstones of erased records (docs/erasure.md).
	`CREATE TABLE erased(record TEXT PRIMARY KEY, at BIGINT NOT NULL);`,
	// 4: the per-day aggregate of the figures and the sealed fact each
	// record is counted with (stats.go).
	migrationStats,
	// The analysts' accounts of the web dashboard (reghub operator).
	`CREATE TABLE operators(name TEXT PRIMARY KEY, secret BYTEA NOT NULL, created BIGINT NOT NULL);`,
	// 6: the occupancy projection (the same as store's stays and
	// occupancy): sealed stays per person, counts per centre and section.
	`CREATE TABLE stays(record TEXT PRIMARY KEY, open BOOLEAN NOT NULL, state BYTEA NOT NULL);
	CREATE TABLE occupancy(centre TEXT NOT NULL, section TEXT NOT NULL, residents BIGINT NOT NULL DEFAULT 0,
		referred BIGINT NOT NULL DEFAULT 0, absent BIGINT NOT NULL DEFAULT 0, as_of BIGINT NOT NULL DEFAULT 0,
		PRIMARY KEY(centre, section));
	CREATE TABLE occupancy_days(day TEXT NOT NULL, centre TEXT NOT NULL, arrivals BIGINT NOT NULL DEFAULT 0,
		departures BIGINT NOT NULL DEFAULT 0, PRIMARY KEY(day, centre));`,
	// The sealed aggregate of the figures (stats.go): the plaintext
	// stat_days and stat_months are emptied into it by
	// hubstore.SealPlainCells when the hub is opened.
	migrationSealedStats,
	// The records whose stored events the counting pass has not
	// counted yet (hubstore.Tx.AddPending).
	`CREATE TABLE count_queue(record TEXT PRIMARY KEY);`,
}

// SchemaVersion is the schema this build writes.
func SchemaVersion() int { return len(migrations) }

// migrateLock is the advisory lock key held while migrating.
const migrateLock = 0x66726567 // "freg"

// Store is a hub database on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at dsn (postgres://USER@HOST:PORT/DB?...)
// and migrates it. An unreachable database is an error wrapping
// hubstore.ErrUnavailable, within the context's deadline.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("hub database address: %w", err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("hub database: %w", err)
	}
	s := &Store{pool: pool}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w (%s): %w", hubstore.ErrUnavailable, Redact(dsn), err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Redact is dsn without its password, for messages.
func Redact(dsn string) string {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return "an unparsable address"
	}
	host := cfg.Host
	if !strings.HasPrefix(host, "/") {
		host = net.JoinHostPort(host, fmt.Sprint(cfg.Port))
	}
	return fmt.Sprintf("postgres://%s@%s/%s", cfg.User, host, cfg.Database)
}

func (s *Store) migrate(ctx context.Context) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrateLock)); err != nil {
			return fmt.Errorf("hub store: %w", err)
		}
		if _, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"); err != nil {
			return fmt.Errorf("hub store: %w", err)
		}
		var v int
		err := tx.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v)
		if errors.Is(err, pgx.ErrNoRows) {
			if _, err := tx.Exec(ctx, "INSERT INTO schema_version(version) VALUES(0)"); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("hub store: schema version: %w", err)
		}
		if v > len(migrations) {
			return hubstore.ErrTooNew
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("hub store: migration %d: %w", i+1, err)
			}
		}
		_, err = tx.Exec(ctx, "UPDATE schema_version SET version = $1", len(migrations))
		return err
	})
}

// Backend is "postgres".
func (s *Store) Backend() string { return "postgres" }

// Close closes the connections.
func (s *Store) Close() error { s.pool.Close(); return nil }

// Pool is the connection pool (benchmarks load data with COPY through it).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// retryable reports a failure that running the transaction again can cure:
// a serialisation failure or a deadlock between servers.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// unavailable marks a failure to reach the database (a restart, a network
// cut): the caller answers "try again".
func unavailable(err error) error {
	if err == nil || errors.Is(err, hubstore.ErrUnavailable) {
		return err
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		// 57P01-57P03: the server is shutting down or starting.
		if strings.HasPrefix(pe.Code, "57P") || strings.HasPrefix(pe.Code, "08") {
			return fmt.Errorf("%w: %w", hubstore.ErrUnavailable, err)
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) || errors.Is(err, errConnClosed) || strings.Contains(err.Error(), "conn closed") {
		return fmt.Errorf("%w: %w", hubstore.ErrUnavailable, err)
	}
	return err
}

var errConnClosed = errors.New("conn closed")

// Update runs fn in one transaction (READ COMMITTED), again after a
// deadlock or serialisation failure (at most three times).
func (s *Store) Update(ctx context.Context, fn func(hubstore.Tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			t := &Tx{ctx: ctx, tx: tx}
			if err := fn(t); err != nil {
				return err
			}
			return t.advance()
		})
		if !retryable(err) {
			break
		}
	}
	return unavailable(err)
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return hubstore.ErrNotFound
	}
	return unavailable(err)
}

// GetMeta reads a setting.
func (s *Store) GetMeta(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	return v, notFound(s.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v))
}

// Metas lists every setting.
func (s *Store) Metas(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.pool.Query(ctx, "SELECT key, value FROM meta")
	if err != nil {
		return nil, unavailable(err)
	}
	m := map[string][]byte{}
	var k string
	var v []byte
	_, err = pgx.ForEachRow(rows, []any{&k, &v}, func() error { m[k] = v; return nil })
	return m, unavailable(err)
}

// Heads is the version vector of the stored events.
func (s *Store) Heads(ctx context.Context) (vector.Vector, error) {
	rows, err := s.pool.Query(ctx, "SELECT origin, epoch, high FROM logs WHERE high > 0")
	if err != nil {
		return nil, unavailable(err)
	}
	v := vector.Vector{}
	var k vector.Key
	var epoch, high int64
	_, err = pgx.ForEachRow(rows, []any{&k.Origin, &epoch, &high}, func() error {
		v[vector.Key{Origin: k.Origin, Epoch: uint64(epoch)}] = uint64(high)
		return nil
	})
	return v, unavailable(err)
}

const eventCols = "origin, epoch, seq, hlc, officer, record, op, payload, sig"

func eachEvent(rows pgx.Rows, err error, fn func(*registry.Event) error) error {
	if err != nil {
		return unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return unavailable(rows.Err())
}

func scanEvent(sc pgx.Row) (*registry.Event, error) {
	var e registry.Event
	var epoch, seq, hlc int64
	if err := sc.Scan(&e.Origin, &epoch, &seq, &hlc, &e.Officer, &e.Record, &e.Op, &e.Payload, &e.Sig); err != nil {
		return nil, err
	}
	e.Epoch, e.Seq, e.HLC = uint64(epoch), uint64(seq), registry.HLC(hlc)
	return &e, nil
}

// EventRange calls fn for a range of one log.
func (s *Store) EventRange(ctx context.Context, r vector.Range, fn func(*registry.Event) error) error {
	to := r.To
	if to > 1<<63-1 {
		to = 1<<63 - 1
	}
	rows, err := s.pool.Query(ctx, "SELECT "+eventCols+" FROM events WHERE origin = $1 AND epoch = $2 AND seq >= $3 AND seq <= $4 ORDER BY seq",
		r.Origin, int64(r.Epoch), int64(r.From), int64(to))
	return eachEvent(rows, err, fn)
}

// Events calls fn for every event.
func (s *Store) Events(ctx context.Context, fn func(*registry.Event) error) error {
	rows, err := s.pool.Query(ctx, "SELECT "+eventCols+" FROM events ORDER BY origin, epoch, seq")
	return eachEvent(rows, err, fn)
}

// RecordEvents returns a record's events.
func (s *Store) RecordEvents(ctx context.Context, record string) ([]*registry.Event, error) {
	var out []*registry.Event
	rows, err := s.pool.Query(ctx, "SELECT "+eventCols+" FROM events WHERE record = $1", record)
	err = eachEvent(rows, err, func(e *registry.Event) error { out = append(out, e); return nil })
	return out, err
}

// query runs q and reads every row with scan.
func query[T any](ctx context.Context, s *Store, scan func(rowscan.Scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, unavailable(err)
	}
	defer rows.Close()
	out, err := rowscan.All(rows, scan)
	return out, unavailable(err)
}

// Records lists the record IDs.
func (s *Store) Records(ctx context.Context) ([]string, error) {
	return query(ctx, s, rowscan.String, "SELECT DISTINCT record FROM events ORDER BY record")
}

// MultiEventRecords lists the records with more than one event.
func (s *Store) MultiEventRecords(ctx context.Context) ([]string, error) {
	return query(ctx, s, rowscan.String, "SELECT record FROM events GROUP BY record HAVING COUNT(*) > 1 ORDER BY record")
}

func (s *Store) count(ctx context.Context, q string, args ...any) (int, error) {
	var n int64
	err := s.pool.QueryRow(ctx, q, args...).Scan(&n)
	return int(n), unavailable(err)
}

// CountEvents counts the events.
func (s *Store) CountEvents(ctx context.Context) (int, error) {
	return s.count(ctx, "SELECT COUNT(*) FROM events")
}

// Quarantined lists the quarantined events, oldest first.
func (s *Store) Quarantined(ctx context.Context) ([]hubstore.QuarantineEntry, error) {
	return query(ctx, s, rowscan.Quarantine, "SELECT "+rowscan.QuarantineCols+" FROM quarantine ORDER BY received, origin, epoch, seq")
}

// Flags lists every event's remarks.
func (s *Store) Flags(ctx context.Context) ([]hubstore.FlagEntry, error) {
	return query(ctx, s, rowscan.Flag, "SELECT origin, epoch, seq, flag, at FROM event_flags ORDER BY origin, epoch, seq, flag")
}

// PushedRecords lists what was acknowledged upstream.
func (s *Store) PushedRecords(ctx context.Context) ([]hubstore.Pushed, error) {
	return query(ctx, s, rowscan.Pushed, "SELECT record, n, h FROM fed_pushed ORDER BY record")
}

// Entries calls fn for every record held of every country.
func (s *Store) Entries(ctx context.Context, fn func(country string, e hubstore.Entry, updated time.Time) error) error {
	rows, err := s.pool.Query(ctx, `SELECT r.country, r.ref, r.day, r.place, r.category, r.updated, d.sealed,
		COALESCE((SELECT array_agg(t.token ORDER BY t.token, t.kind) FROM fed_tokens t WHERE t.country = r.country AND t.ref = r.ref), '{}'),
		COALESCE((SELECT array_agg(t.kind ORDER BY t.token, t.kind) FROM fed_tokens t WHERE t.country = r.country AND t.ref = r.ref), '{}')
		FROM fed_records r LEFT JOIN fed_details d ON d.country = r.country AND d.ref = r.ref ORDER BY r.country, r.ref`)
	if err != nil {
		return unavailable(err)
	}
	defer rows.Close()
	for rows.Next() {
		var country string
		var e hubstore.Entry
		var updated int64
		var toks [][]byte
		var kinds []string
		if err := rows.Scan(&country, &e.Ref, &e.Date, &e.Place, &e.Category, &updated, &e.Details, &toks, &kinds); err != nil {
			return err
		}
		for i := range toks {
			e.Tokens = append(e.Tokens, hubstore.Token{Token: toks[i], Kind: kinds[i]})
		}
		if err := fn(country, e, time.Unix(updated, 0)); err != nil {
			return err
		}
	}
	return unavailable(rows.Err())
}

// CountFlags counts the events carrying flag.
func (s *Store) CountFlags(ctx context.Context, flag string) (int, error) {
	return s.count(ctx, "SELECT COUNT(*) FROM event_flags WHERE flag = $1", flag)
}

// Credentials lists the credentials by device ID.
func (s *Store) Credentials(ctx context.Context) ([]hubstore.CredentialRow, error) {
	return query(ctx, s, func(sc rowscan.Scanner) (hubstore.CredentialRow, error) {
		var c hubstore.CredentialRow
		var enrolled, last, revoked int64
		err := sc.Scan(&c.DeviceID, &c.Credential, &c.Station, &c.Scope, &enrolled, &last, &revoked)
		c.Enrolled, c.LastSync, c.RevokedAt = fromUnix(enrolled), fromUnix(last), fromUnix(revoked)
		return c, err
	}, "SELECT device_id, credential, station, scope, enrolled, last_sync, revoked_at FROM credentials ORDER BY device_id")
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// TouchCredential records a device's exchange.
func (s *Store) TouchCredential(ctx context.Context, device string, at time.Time) error {
	_, err := s.pool.Exec(ctx, "UPDATE credentials SET last_sync = GREATEST(last_sync, $1) WHERE device_id = $2", at.Unix(), device)
	return unavailable(err)
}

// CountrySharing is a country client's sharing mode.
func (s *Store) CountrySharing(ctx context.Context, client string) (string, error) {
	var v string
	return v, notFound(s.pool.QueryRow(ctx, "SELECT sharing FROM fed_countries WHERE client = $1", client).Scan(&v))
}

// FedCountries lists the admitted country hubs.
func (s *Store) FedCountries(ctx context.Context) ([]hubstore.FedCountry, error) {
	return query(ctx, s, rowscan.FedCountry, `SELECT c.country, c.client, c.sharing, COALESCE(cr.revoked_at, 0),
		(SELECT COUNT(*) FROM fed_records r WHERE r.country = c.country),
		(SELECT COUNT(*) FROM fed_details d WHERE d.country = c.country)
		FROM fed_countries c LEFT JOIN credentials cr ON cr.device_id = c.client ORDER BY c.country, c.client`)
}

// FedDetails is a record's sealed data set.
func (s *Store) FedDetails(ctx context.Context, country, ref string) ([]byte, error) {
	var v []byte
	return v, notFound(s.pool.QueryRow(ctx, "SELECT sealed FROM fed_details WHERE country = $1 AND ref = $2", country, ref).Scan(&v))
}

// TokenHits lists the records of other countries holding token.
func (s *Store) TokenHits(ctx context.Context, token []byte, asker string, limit int) ([]hubstore.TokenHit, error) {
	return query(ctx, s, rowscan.TokenHit, `SELECT t.country, t.ref, t.kind, r.day, r.place, r.category
		FROM fed_tokens t JOIN fed_records r ON r.country = t.country AND r.ref = t.ref
		WHERE t.token = $1 AND t.country != $2 LIMIT $3`, token, asker, limit)
}

// Unpushed lists records new or changed since the last push.
func (s *Store) Unpushed(ctx context.Context, after string, limit int) ([]hubstore.Pushed, error) {
	return query(ctx, s, rowscan.Pushed, `SELECT e.record, COUNT(*), MAX(e.hlc) FROM events e
		LEFT JOIN fed_pushed p ON p.record = e.record
		WHERE e.record > $1 GROUP BY e.record, p.record, p.n, p.h
		HAVING p.record IS NULL OR p.n != COUNT(*) OR p.h != MAX(e.hlc) ORDER BY e.record LIMIT $2`, after, limit)
}

// CountUnpushed counts the records new or changed since the last push.
func (s *Store) CountUnpushed(ctx context.Context) (int, error) {
	return s.count(ctx, `SELECT COUNT(*) FROM
		(SELECT record, COUNT(*) AS n, MAX(hlc) AS h FROM events GROUP BY record) e
		LEFT JOIN fed_pushed p ON p.record = e.record
		WHERE p.record IS NULL OR p.n != e.n OR p.h != e.h`)
}

// Tx is a write transaction.
type Tx struct {
	ctx     context.Context
	tx      pgx.Tx
	touched map[vector.Key]bool // logs that received events: their high marks advance at commit
}

// GetMeta reads a setting.
func (t *Tx) GetMeta(key string) ([]byte, error) {
	var v []byte
	return v, notFound(t.tx.QueryRow(t.ctx, "SELECT value FROM meta WHERE key = $1 FOR UPDATE", key).Scan(&v))
}

// PutMetaOnce writes a setting unless it is set.
func (t *Tx) PutMetaOnce(key string, value []byte) ([]byte, error) {
	if _, err := t.tx.Exec(t.ctx, "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT DO NOTHING", key, value); err != nil {
		return nil, err
	}
	return t.GetMeta(key)
}

// DeleteSecretMeta deletes a setting (the old row version stays until
// VACUUM reuses its space: hubstore.Tx).
func (t *Tx) DeleteSecretMeta(key string) error {
	_, err := t.tx.Exec(t.ctx, "DELETE FROM meta WHERE key = $1", key)
	return err
}

// PutMeta writes a setting.
func (t *Tx) PutMeta(key string, value []byte) error {
	_, err := t.tx.Exec(t.ctx, "INSERT INTO meta(key, value) VALUES($1, $2) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

// Ingest stores a chunk of arrivals (hubstore.IngestTx).
func (t *Tx) Ingest(evs []hubstore.Arrival, now time.Time) (hubstore.Ingested, error) {
	return hubstore.IngestTx(t, evs, now)
}

// InsertEvents stores the events with one statement (the columns sent as
// arrays), each unless its key is taken; the keys stored come back.
func (t *Tx) InsertEvents(evs []*registry.Event, received time.Time) ([]bool, error) {
	n := len(evs)
	origins, officers, records, ops := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	epochs, seqs, hlcs := make([]int64, n), make([]int64, n), make([]int64, n)
	payloads, sigs := make([][]byte, n), make([][]byte, n)
	at := make(map[registry.EventID]int, n)
	for i, e := range evs {
		origins[i], officers[i], records[i], ops[i] = e.Origin, e.Officer, e.Record, e.Op
		epochs[i], seqs[i], hlcs[i] = int64(e.Epoch), int64(e.Seq), int64(e.HLC)
		payloads[i], sigs[i] = e.Payload, e.Sig
		if _, dup := at[e.ID()]; !dup {
			at[e.ID()] = i // the first of a key twice in evs is the one stored
		}
	}
	rows, err := t.tx.Query(t.ctx, `INSERT INTO events(origin, epoch, seq, hlc, officer, record, op, payload, sig, received)
		SELECT o, e, s, h, f, r, p, pl, sg, $10 FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[],
			$6::text[], $7::text[], $8::bytea[], $9::bytea[]) AS x(o, e, s, h, f, r, p, pl, sg)
		ON CONFLICT DO NOTHING RETURNING origin, epoch, seq`,
		origins, epochs, seqs, hlcs, officers, records, ops, payloads, sigs, received.UnixMilli())
	if err != nil {
		return nil, err
	}
	out := make([]bool, n)
	var id registry.EventID
	var epoch, seq int64
	_, err = pgx.ForEachRow(rows, []any{&id.Origin, &epoch, &seq}, func() error {
		id.Epoch, id.Seq = uint64(epoch), uint64(seq)
		if i, ok := at[id]; ok {
			out[i] = true
			if t.touched == nil {
				t.touched = map[vector.Key]bool{}
			}
			t.touched[vector.Key{Origin: id.Origin, Epoch: id.Epoch}] = true
		}
		return nil
	})
	return out, err
}

// advance raises the high marks of the logs that received events. Each
// log's row is locked first (in key order, so two servers never deadlock
// on them); the statement after the lock reads the events every committed
// transaction stored, so a gap closed by another server is seen.
func (t *Tx) advance() error {
	keys := make([]vector.Key, 0, len(t.touched))
	for k := range t.touched {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b vector.Key) int {
		if c := strings.Compare(a.Origin, b.Origin); c != 0 {
			return c
		}
		return int(min(max(int64(a.Epoch)-int64(b.Epoch), -1), 1))
	})
	for _, k := range keys {
		var high int64
		if _, err := t.tx.Exec(t.ctx, "INSERT INTO logs(origin, epoch, high) VALUES($1, $2, 0) ON CONFLICT DO NOTHING", k.Origin, int64(k.Epoch)); err != nil {
			return err
		}
		if err := t.tx.QueryRow(t.ctx, "SELECT high FROM logs WHERE origin = $1 AND epoch = $2 FOR UPDATE", k.Origin, int64(k.Epoch)).Scan(&high); err != nil {
			return err
		}
		// The filled slots above the mark (events, known-lost holes),
		// numbered in order: those with seq - number = high continue it
		// without a gap.
		if _, err := t.tx.Exec(t.ctx, `UPDATE logs SET high = COALESCE((SELECT MAX(seq) FROM
			(SELECT seq, seq - row_number() OVER (ORDER BY seq) AS g FROM
				(SELECT seq FROM events WHERE origin = $1 AND epoch = $2 AND seq > $3
				UNION SELECT seq FROM holes WHERE origin = $1 AND epoch = $2 AND seq > $3) u) x
			WHERE g = $3), $3) WHERE origin = $1 AND epoch = $2`, k.Origin, int64(k.Epoch), high); err != nil {
			return err
		}
	}
	return nil
}

// AddHole records that slot id of its log is known lost, for reason
// (plain words, no personal data); nothing happens when an event is stored
// in that slot or the hole is known already. The log's mark may pass it.
func (t *Tx) AddHole(id registry.EventID, reason string, now time.Time) error {
	tag, err := t.tx.Exec(t.ctx, `INSERT INTO holes(origin, epoch, seq, reason, at) SELECT $1, $2, $3, $4, $5
		WHERE NOT EXISTS (SELECT 1 FROM events WHERE origin = $1 AND epoch = $2 AND seq = $3) ON CONFLICT DO NOTHING`,
		id.Origin, int64(id.Epoch), int64(id.Seq), reason, now.UnixMilli())
	if err == nil && tag.RowsAffected() == 1 {
		if t.touched == nil {
			t.touched = map[vector.Key]bool{}
		}
		t.touched[vector.Key{Origin: id.Origin, Epoch: id.Epoch}] = true
	}
	return err
}

// Holes lists the known-lost slots of log k with from <= seq <= to that
// hold no stored event, in order, at most limit.
func (s *Store) Holes(ctx context.Context, k vector.Key, from, to uint64, limit int) ([]registry.EventID, error) {
	return query(ctx, s, func(sc rowscan.Scanner) (registry.EventID, error) {
		var seq int64
		err := sc.Scan(&seq)
		return registry.EventID{Origin: k.Origin, Epoch: k.Epoch, Seq: uint64(seq)}, err
	}, `SELECT seq FROM holes h WHERE origin = $1 AND epoch = $2 AND seq >= $3 AND seq <= $4
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.origin = h.origin AND e.epoch = h.epoch AND e.seq = h.seq)
		ORDER BY seq LIMIT $5`, k.Origin, int64(k.Epoch), int64(from), int64(min(to, 1<<63-1)), limit)
}

// Event reads one event.
func (t *Tx) Event(id registry.EventID) (*registry.Event, error) {
	e, err := scanEvent(t.tx.QueryRow(t.ctx, "SELECT "+eventCols+" FROM events WHERE origin = $1 AND epoch = $2 AND seq = $3", id.Origin, int64(id.Epoch), int64(id.Seq)))
	return e, notFound(err)
}

// Quarantine keeps an event that cannot be taken.
func (t *Tx) Quarantine(e *registry.Event, reason string, now time.Time) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO quarantine(origin, epoch, seq, hlc, officer, record, op, payload, sig, received, reason)
		VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) ON CONFLICT DO NOTHING`,
		e.Origin, int64(e.Epoch), int64(e.Seq), int64(e.HLC), e.Officer, e.Record, e.Op, e.Payload, e.Sig, now.UnixMilli(), reason)
	return err
}

// Flag marks an event.
func (t *Tx) Flag(id registry.EventID, flag string, now time.Time) error {
	_, err := t.tx.Exec(t.ctx, "INSERT INTO event_flags(origin, epoch, seq, flag, at) VALUES($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING",
		id.Origin, int64(id.Epoch), int64(id.Seq), flag, now.UnixMilli())
	return err
}

// PutCredential inserts or replaces a credential.
func (t *Tx) PutCredential(c hubstore.CredentialRow) error {
	scope := c.Scope
	if scope == "" {
		scope = "all"
	}
	_, err := t.tx.Exec(t.ctx, `INSERT INTO credentials(device_id, credential, station, scope, enrolled, revoked_at) VALUES($1,$2,$3,$4,$5,$6)
		ON CONFLICT(device_id) DO UPDATE SET credential = excluded.credential, station = excluded.station, scope = excluded.scope,
		revoked_at = GREATEST(credentials.revoked_at, excluded.revoked_at)`,
		c.DeviceID, c.Credential, c.Station, scope, unixOrZero(c.Enrolled), unixOrZero(c.RevokedAt))
	return err
}

// SetRevoked marks a device revoked.
func (t *Tx) SetRevoked(device string, at time.Time) error {
	tag, err := t.tx.Exec(t.ctx, "UPDATE credentials SET revoked_at = $1 WHERE device_id = $2", at.Unix(), device)
	if err == nil && tag.RowsAffected() == 0 {
		return hubstore.ErrNotFound
	}
	return err
}

// AdmitCountry records a country client.
func (t *Tx) AdmitCountry(client, country, sharing string) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO fed_countries(client, country, sharing) VALUES($1, $2, $3)
		ON CONFLICT(client) DO UPDATE SET country = excluded.country, sharing = excluded.sharing`, client, country, sharing)
	return err
}

// DropDetails forgets the data sets of a country.
func (t *Tx) DropDetails(country string) error {
	_, err := t.tx.Exec(t.ctx, "DELETE FROM fed_details WHERE country = $1", country)
	return err
}

// PutEntry replaces what is held of one record of a country.
func (t *Tx) PutEntry(country string, e hubstore.Entry, updated time.Time) error {
	b := &pgx.Batch{}
	b.Queue("DELETE FROM fed_tokens WHERE country = $1 AND ref = $2", country, e.Ref)
	if len(e.Details) > 0 {
		b.Queue(`INSERT INTO fed_details(country, ref, sealed) VALUES($1, $2, $3)
			ON CONFLICT(country, ref) DO UPDATE SET sealed = excluded.sealed`, country, e.Ref, e.Details)
	} else {
		b.Queue("DELETE FROM fed_details WHERE country = $1 AND ref = $2", country, e.Ref)
	}
	b.Queue(`INSERT INTO fed_records(country, ref, day, place, category, updated) VALUES($1, $2, $3, $4, $5, $6)
		ON CONFLICT(country, ref) DO UPDATE SET day = excluded.day, place = excluded.place, category = excluded.category, updated = excluded.updated`,
		country, e.Ref, e.Date, e.Place, e.Category, updated.Unix())
	for _, tk := range e.Tokens {
		b.Queue("INSERT INTO fed_tokens(token, country, ref, kind) VALUES($1, $2, $3, $4) ON CONFLICT DO NOTHING", tk.Token, country, e.Ref, tk.Kind)
	}
	return t.tx.SendBatch(t.ctx, b).Close()
}

// ForgetPushed makes every record be pushed again.
func (t *Tx) ForgetPushed() error {
	_, err := t.tx.Exec(t.ctx, "DELETE FROM fed_pushed")
	return err
}

// MarkPushed records what was acknowledged of a record.
func (t *Tx) MarkPushed(p hubstore.Pushed) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO fed_pushed(record, n, h) VALUES($1, $2, $3)
		ON CONFLICT(record) DO UPDATE SET n = excluded.n, h = excluded.h`, p.Record, p.N, p.HLC)
	return err
}

// Occupancy lists the counts of every centre's sections.
func (s *Store) Occupancy(ctx context.Context) ([]hubstore.OccupancyRow, error) {
	rows, err := s.pool.Query(ctx, "SELECT centre, section, residents, referred, absent, as_of FROM occupancy ORDER BY centre, section")
	if err != nil {
		return nil, unavailable(err)
	}
	var out []hubstore.OccupancyRow
	var r hubstore.OccupancyRow
	var res, ref, abs, at int64
	_, err = pgx.ForEachRow(rows, []any{&r.Centre, &r.Section, &res, &ref, &abs, &at}, func() error {
		o := r
		o.Residents, o.Referred, o.Absent, o.AsOf = int(res), int(ref), int(abs), time.UnixMilli(at)
		out = append(out, o)
		return nil
	})
	return out, unavailable(err)
}

// Stays calls fn for every sealed stay, in record order. A row a
// transaction locked without writing (an empty state) is no stay.
func (s *Store) Stays(ctx context.Context, fn func(record string, open bool, state []byte) error) error {
	rows, err := s.pool.Query(ctx, "SELECT record, open, state FROM stays WHERE length(state) > 0 ORDER BY record")
	if err != nil {
		return unavailable(err)
	}
	var id string
	var open bool
	var b []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &open, &b}, func() error { return fn(id, open, slices.Clone(b)) })
	return unavailable(err)
}

// Stay reads a sealed stay and locks its row until the transaction ends.
// A person without one gets an empty row first, so that two servers taking
// that person's first events at once wait for each other here.
func (t *Tx) Stay(record string) ([]byte, error) {
	if _, err := t.tx.Exec(t.ctx, "INSERT INTO stays(record, open, state) VALUES($1, false, ''::bytea) ON CONFLICT DO NOTHING", record); err != nil {
		return nil, err
	}
	var b []byte
	if err := t.tx.QueryRow(t.ctx, "SELECT state FROM stays WHERE record = $1 FOR UPDATE", record).Scan(&b); err != nil {
		return nil, notFound(err)
	}
	if len(b) == 0 {
		return nil, hubstore.ErrNotFound
	}
	return b, nil
}

// PutStay writes a sealed stay.
func (t *Tx) PutStay(record string, open bool, state []byte) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO stays(record, open, state) VALUES($1, $2, $3)
		ON CONFLICT(record) DO UPDATE SET open = excluded.open, state = excluded.state`, record, open, state)
	return err
}

// DeleteStay forgets a stay.
func (t *Tx) DeleteStay(record string) error {
	_, err := t.tx.Exec(t.ctx, "DELETE FROM stays WHERE record = $1", record)
	return err
}

// AddOccupancy adds to a section's counts in one statement, so servers
// adding at once lose nothing.
func (t *Tx) AddOccupancy(d hubstore.OccupancyRow) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO occupancy(centre, section, residents, referred, absent, as_of) VALUES($1, $2, $3, $4, $5, $6)
		ON CONFLICT(centre, section) DO UPDATE SET residents = occupancy.residents + excluded.residents,
		referred = occupancy.referred + excluded.referred, absent = occupancy.absent + excluded.absent,
		as_of = GREATEST(occupancy.as_of, excluded.as_of)`,
		d.Centre, d.Section, d.Residents, d.Referred, d.Absent, d.AsOf.UnixMilli())
	return err
}

// PutOccupancy sets a section's counts.
func (t *Tx) PutOccupancy(r hubstore.OccupancyRow) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO occupancy(centre, section, residents, referred, absent, as_of) VALUES($1, $2, $3, $4, $5, $6)
		ON CONFLICT(centre, section) DO UPDATE SET residents = excluded.residents, referred = excluded.referred,
		absent = excluded.absent, as_of = excluded.as_of`,
		r.Centre, r.Section, r.Residents, r.Referred, r.Absent, r.AsOf.UnixMilli())
	return err
}

// Days lists the arrivals and departures of days from through to.
func (s *Store) Days(ctx context.Context, from, to string) ([]hubstore.DayRow, error) {
	rows, err := s.pool.Query(ctx, "SELECT day, centre, arrivals, departures FROM occupancy_days WHERE day >= $1 AND day <= $2 ORDER BY day, centre", from, to)
	if err != nil {
		return nil, unavailable(err)
	}
	var out []hubstore.DayRow
	var r hubstore.DayRow
	var a, d int64
	_, err = pgx.ForEachRow(rows, []any{&r.Day, &r.Centre, &a, &d}, func() error {
		o := r
		o.Arrivals, o.Departures = int(a), int(d)
		out = append(out, o)
		return nil
	})
	return out, unavailable(err)
}

// AddDay adds to (or sets) a centre's arrivals and departures of a day in one statement.
func (t *Tx) AddDay(r hubstore.DayRow, set bool) error {
	q := `INSERT INTO occupancy_days(day, centre, arrivals, departures) VALUES($1, $2, $3, $4)
		ON CONFLICT(day, centre) DO UPDATE SET arrivals = occupancy_days.arrivals + excluded.arrivals,
		departures = occupancy_days.departures + excluded.departures`
	if set {
		q = `INSERT INTO occupancy_days(day, centre, arrivals, departures) VALUES($1, $2, $3, $4)
		ON CONFLICT(day, centre) DO UPDATE SET arrivals = excluded.arrivals, departures = excluded.departures`
	}
	_, err := t.tx.Exec(t.ctx, q, r.Day, r.Centre, r.Arrivals, r.Departures)
	return err
}

// Erased reads when record was erased.
func (s *Store) Erased(ctx context.Context, record string) (time.Time, error) {
	var at int64
	err := s.pool.QueryRow(ctx, "SELECT at FROM erased WHERE record = $1", record).Scan(&at)
	return time.UnixMilli(at).UTC(), notFound(unavailable(err))
}

// Tombstones calls fn for every erased record.
func (s *Store) Tombstones(ctx context.Context, fn func(record string, at time.Time) error) error {
	rows, err := s.pool.Query(ctx, "SELECT record, at FROM erased ORDER BY record")
	if err != nil {
		return unavailable(err)
	}
	var rec string
	var at int64
	_, err = pgx.ForEachRow(rows, []any{&rec, &at}, func() error { return fn(rec, time.UnixMilli(at).UTC()) })
	return unavailable(err)
}

// Scrub does nothing on PostgreSQL: an updated or deleted row stays in its
// table file until VACUUM reuses the space, and in the write-ahead log and
// base backups until they are recycled (docs/erasure.md).
func (s *Store) Scrub(context.Context) error { return nil }

// Erased reports whether record was erased.
func (t *Tx) Erased(record string) (bool, error) {
	var n int
	err := t.tx.QueryRow(t.ctx, "SELECT COUNT(*) FROM erased WHERE record = $1", record).Scan(&n)
	return n > 0, err
}

// ErasedAmong returns which of records were erased, in one statement.
func (t *Tx) ErasedAmong(records []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(records) == 0 {
		return out, nil
	}
	rows, err := t.tx.Query(t.ctx, "SELECT record FROM erased WHERE record = ANY($1::text[])", records)
	if err != nil {
		return nil, err
	}
	var r string
	_, err = pgx.ForEachRow(rows, []any{&r}, func() error { out[r] = true; return nil })
	return out, err
}

// EraseRecord drops the record's payloads and writes its tombstone.
func (t *Tx) EraseRecord(record string, keep registry.EventID, drop func(*registry.Event) error, at time.Time) error {
	rows, err := t.tx.Query(t.ctx, "SELECT "+eventCols+" FROM events WHERE record = $1", record)
	if err != nil {
		return err
	}
	var evs []*registry.Event
	err = eachEvent(rows, nil, func(e *registry.Event) error { evs = append(evs, e); return nil })
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.ID() == keep || e.Erased() {
			continue
		}
		if drop(e) != nil {
			if _, err := t.tx.Exec(t.ctx, "DELETE FROM events WHERE origin = $1 AND epoch = $2 AND seq = $3", e.Origin, int64(e.Epoch), int64(e.Seq)); err != nil {
				return err
			}
			if err := t.AddHole(e.ID(), "erased: the payload of a format 1 event cannot be kept verifiable", at); err != nil {
				return err
			}
			continue
		}
		if _, err := t.tx.Exec(t.ctx, "UPDATE events SET payload = $1 WHERE origin = $2 AND epoch = $3 AND seq = $4", e.Payload, e.Origin, int64(e.Epoch), int64(e.Seq)); err != nil {
			return err
		}
	}
	// The quarantined copies, and the fact the record was counted with
	// (the counts stay).
	for _, q := range []string{"DELETE FROM quarantine WHERE record = $1", "DELETE FROM stat_facts WHERE record = $1"} {
		if _, err := t.tx.Exec(t.ctx, q, record); err != nil {
			return err
		}
	}
	_, err = t.tx.Exec(t.ctx, "INSERT INTO erased(record, at) VALUES($1, $2) ON CONFLICT DO NOTHING", record, at.UnixMilli())
	return err
}

// DropEntry forgets one record of a country.
func (t *Tx) DropEntry(country, ref string) error {
	b := &pgx.Batch{}
	b.Queue("DELETE FROM fed_tokens WHERE country = $1 AND ref = $2", country, ref)
	b.Queue("DELETE FROM fed_details WHERE country = $1 AND ref = $2", country, ref)
	b.Queue("DELETE FROM fed_records WHERE country = $1 AND ref = $2", country, ref)
	return t.tx.SendBatch(t.ctx, b).Close()
}
