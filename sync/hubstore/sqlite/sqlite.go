// Package sqlite is the hub's SQLite back end (hubstore.Store): one file in
// the hub's data directory, the zero-setup default. The events, settings
// and credentials use the device's schema (package store, versioned by
// PRAGMA user_version); the tables only a hub has (federation) are versioned
// in the schema_version table by the migrations here.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

var _ hubstore.Store = (*Store)(nil)

// FileName is the database file inside the hub's data directory.
const FileName = store.FileName

// migrations are the hub's own tables, in order; schema_version holds how
// many have run. The first adopts the federation tables that earlier
// builds created on demand, hence IF NOT EXISTS there and nowhere after.
var migrations = []string{
	`CREATE TABLE IF NOT EXISTS fed_records(country TEXT NOT NULL, ref TEXT NOT NULL, day TEXT NOT NULL, place TEXT NOT NULL,
		category TEXT NOT NULL, updated INTEGER NOT NULL, PRIMARY KEY(country, ref)) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS fed_tokens(token BLOB NOT NULL, country TEXT NOT NULL, ref TEXT NOT NULL, kind TEXT NOT NULL,
		PRIMARY KEY(token, country, ref)) WITHOUT ROWID;
	CREATE INDEX IF NOT EXISTS fed_tokens_ref ON fed_tokens(country, ref);
	CREATE TABLE IF NOT EXISTS fed_countries(client TEXT PRIMARY KEY, country TEXT NOT NULL, sharing TEXT NOT NULL) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS fed_details(country TEXT NOT NULL, ref TEXT NOT NULL, sealed BLOB NOT NULL, PRIMARY KEY(country, ref)) WITHOUT ROWID;
	CREATE TABLE IF NOT EXISTS fed_pushed(record TEXT PRIMARY KEY, n INTEGER NOT NULL, h INTEGER NOT NULL) WITHOUT ROWID;`,
	// The analysts' accounts of the web dashboard (reghub operator).
	`CREATE TABLE operators(name TEXT PRIMARY KEY, secret BLOB NOT NULL, created INTEGER NOT NULL) WITHOUT ROWID;`,
	// The sealed aggregate of the figures (stats.go, hubstore.PutCounted):
	// the device schema's plaintext stat_days and stat_months are emptied
	// into it by hubstore.SealPlainCells when the hub is opened.
	migrationSealedStats,
	// The records whose stored events the counting pass has not counted
	// yet (hubstore.Tx.AddPending).
	`CREATE TABLE count_queue(record TEXT PRIMARY KEY) WITHOUT ROWID;`,
}

// SchemaVersion is the version of the hub tables this build writes.
func SchemaVersion() int { return len(migrations) }

// Store is a hub database in one SQLite file. The reads that the device
// store serves without a context check it first: a cancelled operation
// stops before it starts, as on PostgreSQL.
type Store struct {
	st *store.Store
	db *sql.DB
	// mu serialises this process's writers: SQLite takes one at a time,
	// and a second would otherwise wait in its busy handler, which sleeps
	// in coarse steps.
	mu sync.Mutex
}

// Open opens (creating if needed) the hub database in dir and migrates it.
// A database from a newer reghub is refused with hubstore.ErrTooNew.
func Open(dir string) (*Store, error) {
	st, err := store.Open(dir)
	if errors.Is(err, store.ErrTooNew) {
		return nil, hubstore.ErrTooNew
	}
	if err != nil {
		return nil, err
	}
	s := &Store{st: st, db: st.DB()}
	if err := s.migrate(context.Background()); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)"); err != nil {
		return fmt.Errorf("hub store: %w", err)
	}
	return s.st.Update(ctx, func(tx *store.Tx) error {
		var v int
		err := tx.QueryRow("SELECT version FROM schema_version").Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			if _, err := tx.Exec("INSERT INTO schema_version(version) VALUES(0)"); err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("hub store: schema version: %w", err)
		}
		if v > len(migrations) {
			return hubstore.ErrTooNew
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(migrations[i]); err != nil {
				return fmt.Errorf("hub store: migration %d: %w", i+1, err)
			}
		}
		_, err = tx.Exec("UPDATE schema_version SET version = ?", len(migrations))
		return err
	})
}

// Backend is "sqlite".
func (s *Store) Backend() string { return "sqlite" }

// Close closes the file.
func (s *Store) Close() error { return s.st.Close() }

// Update runs fn in one immediate transaction, one writer of this process
// at a time.
func (s *Store) Update(ctx context.Context, fn func(hubstore.Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.Update(ctx, func(tx *store.Tx) error { return fn(&Tx{tx: tx}) })
}

func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, sql.ErrNoRows) {
		return hubstore.ErrNotFound
	}
	return err
}

// GetMeta reads a setting.
func (s *Store) GetMeta(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := s.st.GetMeta(key)
	return v, notFound(err)
}

// Metas lists every setting.
func (s *Store) Metas(ctx context.Context) (map[string][]byte, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT key, value FROM meta")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := map[string][]byte{}
	for rows.Next() {
		var k string
		var v []byte
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		m[k] = v
	}
	return m, rows.Err()
}

// Heads is the version vector of the stored events.
func (s *Store) Heads(ctx context.Context) (vector.Vector, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.st.Heads()
}

// EventRange calls fn for a range of one log.
func (s *Store) EventRange(ctx context.Context, r vector.Range, fn func(*registry.Event) error) error {
	return s.st.EventRange(ctx, r, fn)
}

// Events calls fn for every event.
func (s *Store) Events(ctx context.Context, fn func(*registry.Event) error) error {
	return s.st.Events(ctx, fn)
}

// RecordEvents returns a record's events.
func (s *Store) RecordEvents(ctx context.Context, record string) ([]*registry.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return s.st.RecordEvents(record)
}

// Records lists the record IDs.
func (s *Store) Records(ctx context.Context) ([]string, error) {
	return query(ctx, s.db, rowscan.String, "SELECT DISTINCT record FROM events ORDER BY record")
}

// MultiEventRecords lists the records with more than one event.
func (s *Store) MultiEventRecords(ctx context.Context) ([]string, error) {
	return query(ctx, s.db, rowscan.String, "SELECT record FROM events GROUP BY record HAVING COUNT(*) > 1 ORDER BY record")
}

// query runs q and reads every row with scan.
func query[T any](ctx context.Context, db *sql.DB, scan func(rowscan.Scanner) (T, error), q string, args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return rowscan.All(rows, scan)
}

// CountEvents counts the events.
func (s *Store) CountEvents(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.st.CountEvents()
}

// Quarantined lists the quarantined events, oldest first.
func (s *Store) Quarantined(ctx context.Context) ([]hubstore.QuarantineEntry, error) {
	return query(ctx, s.db, rowscan.Quarantine, "SELECT "+rowscan.QuarantineCols+" FROM quarantine ORDER BY received, origin, epoch, seq")
}

// Flags lists every event's remarks.
func (s *Store) Flags(ctx context.Context) ([]hubstore.FlagEntry, error) {
	return query(ctx, s.db, rowscan.Flag, "SELECT origin, epoch, seq, flag, at FROM event_flags ORDER BY origin, epoch, seq, flag")
}

// PushedRecords lists what was acknowledged upstream.
func (s *Store) PushedRecords(ctx context.Context) ([]hubstore.Pushed, error) {
	return query(ctx, s.db, rowscan.Pushed, "SELECT record, n, h FROM fed_pushed ORDER BY record")
}

// Entries calls fn for every record held of every country, with its
// tokens and data set.
func (s *Store) Entries(ctx context.Context, fn func(country string, e hubstore.Entry, updated time.Time) error) error {
	type held struct {
		country string
		e       hubstore.Entry
		updated int64
	}
	// The records are read whole first, then each one's tokens.
	all, err := query(ctx, s.db, func(sc rowscan.Scanner) (held, error) {
		var h held
		return h, sc.Scan(&h.country, &h.e.Ref, &h.e.Date, &h.e.Place, &h.e.Category, &h.updated, &h.e.Details)
	}, `SELECT r.country, r.ref, r.day, r.place, r.category, r.updated, d.sealed
		FROM fed_records r LEFT JOIN fed_details d ON d.country = r.country AND d.ref = r.ref ORDER BY r.country, r.ref`)
	if err != nil {
		return err
	}
	for _, h := range all {
		var err error
		h.e.Tokens, err = query(ctx, s.db, rowscan.Token, "SELECT token, kind FROM fed_tokens WHERE country = ? AND ref = ?", h.country, h.e.Ref)
		if err != nil {
			return err
		}
		if err := fn(h.country, h.e, time.Unix(h.updated, 0)); err != nil {
			return err
		}
	}
	return nil
}

// Holes lists the known-lost slots of a log.
func (s *Store) Holes(ctx context.Context, k vector.Key, from, to uint64, limit int) ([]registry.EventID, error) {
	return s.st.Holes(ctx, k, from, to, limit)
}

// CountFlags counts the events carrying flag.
func (s *Store) CountFlags(ctx context.Context, flag string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return s.st.CountFlags(flag)
}

// Credentials lists the credentials.
func (s *Store) Credentials(ctx context.Context) ([]hubstore.CredentialRow, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.st.Credentials()
	if err != nil {
		return nil, err
	}
	out := make([]hubstore.CredentialRow, len(rows))
	for i, r := range rows {
		out[i] = hubstore.CredentialRow(r)
	}
	return out, nil
}

// TouchCredential records a device's exchange.
func (s *Store) TouchCredential(ctx context.Context, device string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.st.TouchCredential(device, at)
}

// CountrySharing is a country client's sharing mode.
func (s *Store) CountrySharing(ctx context.Context, client string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT sharing FROM fed_countries WHERE client = ?", client).Scan(&v)
	return v, notFound(err)
}

// FedCountries lists the admitted country hubs.
func (s *Store) FedCountries(ctx context.Context) ([]hubstore.FedCountry, error) {
	return query(ctx, s.db, rowscan.FedCountry, `SELECT c.country, c.client, c.sharing, COALESCE(cr.revoked_at, 0),
		(SELECT COUNT(*) FROM fed_records r WHERE r.country = c.country),
		(SELECT COUNT(*) FROM fed_details d WHERE d.country = c.country)
		FROM fed_countries c LEFT JOIN credentials cr ON cr.device_id = c.client ORDER BY c.country, c.client`)
}

// FedDetails is a record's sealed data set.
func (s *Store) FedDetails(ctx context.Context, country, ref string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRowContext(ctx, "SELECT sealed FROM fed_details WHERE country = ? AND ref = ?", country, ref).Scan(&v)
	return v, notFound(err)
}

// TokenHits lists the records of other countries holding token.
func (s *Store) TokenHits(ctx context.Context, token []byte, asker string, limit int) ([]hubstore.TokenHit, error) {
	return query(ctx, s.db, rowscan.TokenHit, `SELECT t.country, t.ref, t.kind, r.day, r.place, r.category
		FROM fed_tokens t JOIN fed_records r ON r.country = t.country AND r.ref = t.ref
		WHERE t.token = ? AND t.country != ? LIMIT ?`, token, asker, limit)
}

// Unpushed lists records new or changed since the last push, walking the
// events_record index from after.
func (s *Store) Unpushed(ctx context.Context, after string, limit int) ([]hubstore.Pushed, error) {
	return query(ctx, s.db, rowscan.Pushed, `SELECT e.record, COUNT(*), MAX(e.hlc) FROM events e
		LEFT JOIN fed_pushed p ON p.record = e.record
		WHERE e.record > ? GROUP BY e.record
		HAVING p.record IS NULL OR p.n != COUNT(*) OR p.h != MAX(e.hlc) ORDER BY e.record LIMIT ?`, after, limit)
}

// CountUnpushed counts the records new or changed since the last push.
func (s *Store) CountUnpushed(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM
		(SELECT record, COUNT(*) AS n, MAX(hlc) AS h FROM events GROUP BY record) e
		LEFT JOIN fed_pushed p ON p.record = e.record
		WHERE p.record IS NULL OR p.n != e.n OR p.h != e.h`).Scan(&n)
	return n, err
}

// Tx is a write transaction.
type Tx struct{ tx *store.Tx }

// GetMeta reads a setting.
func (t *Tx) GetMeta(key string) ([]byte, error) {
	v, err := t.tx.GetMeta(key)
	return v, notFound(err)
}

// PutMeta writes a setting.
func (t *Tx) PutMeta(key string, value []byte) error { return t.tx.PutMeta(key, value) }

// DeleteSecretMeta deletes a setting, zeroing its bytes in the file.
func (t *Tx) DeleteSecretMeta(key string) error { return t.tx.PutSecretMeta(key, nil) }

// PutMetaOnce writes a setting unless it is set (writers are serialised).
func (t *Tx) PutMetaOnce(key string, value []byte) ([]byte, error) {
	if v, err := t.tx.GetMeta(key); err == nil {
		return v, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return value, t.tx.PutMeta(key, value)
}

// Ingest stores a chunk of arrivals (hubstore.IngestTx).
func (t *Tx) Ingest(evs []hubstore.Arrival, now time.Time) (hubstore.Ingested, error) {
	return hubstore.IngestTx(t, evs, now)
}

// InsertEvents stores each event unless its key is taken (a trigger
// advances the logs' high marks).
func (t *Tx) InsertEvents(evs []*registry.Event, received time.Time) ([]bool, error) {
	out := make([]bool, len(evs))
	for i, e := range evs {
		ins, err := t.tx.InsertEvent(e, received)
		if err != nil {
			return nil, err
		}
		out[i] = ins
	}
	return out, nil
}

// Event reads one event.
func (t *Tx) Event(id registry.EventID) (*registry.Event, error) {
	e, err := t.tx.Event(id)
	return e, notFound(err)
}

// Quarantine keeps an event that cannot be taken.
func (t *Tx) Quarantine(e *registry.Event, reason string, now time.Time) error {
	return t.tx.Quarantine(e, reason, now)
}

// Flag marks an event.
func (t *Tx) Flag(id registry.EventID, flag string, now time.Time) error {
	return t.tx.Flag(id, flag, now)
}

// AddHole records a known-lost slot (store's migration 5 keeps the marks).
func (t *Tx) AddHole(id registry.EventID, reason string, now time.Time) error {
	return t.tx.AddHole(id, reason, now)
}

// PutCredential inserts or replaces a credential.
func (t *Tx) PutCredential(c hubstore.CredentialRow) error {
	return t.tx.PutCredential(store.CredentialRow(c))
}

// SetRevoked marks a device revoked.
func (t *Tx) SetRevoked(device string, at time.Time) error {
	return notFound(t.tx.SetRevoked(device, at))
}

// AdmitCountry records a country client.
func (t *Tx) AdmitCountry(client, country, sharing string) error {
	_, err := t.tx.Exec("INSERT OR REPLACE INTO fed_countries(client, country, sharing) VALUES(?, ?, ?)", client, country, sharing)
	return err
}

// DropDetails forgets the data sets of a country.
func (t *Tx) DropDetails(country string) error {
	_, err := t.tx.Exec("DELETE FROM fed_details WHERE country = ?", country)
	return err
}

// PutEntry replaces what is held of one record of a country.
func (t *Tx) PutEntry(country string, e hubstore.Entry, updated time.Time) error {
	if _, err := t.tx.Exec("DELETE FROM fed_tokens WHERE country = ? AND ref = ?", country, e.Ref); err != nil {
		return err
	}
	if len(e.Details) > 0 {
		if _, err := t.tx.Exec("INSERT OR REPLACE INTO fed_details(country, ref, sealed) VALUES(?, ?, ?)", country, e.Ref, e.Details); err != nil {
			return err
		}
	} else if _, err := t.tx.Exec("DELETE FROM fed_details WHERE country = ? AND ref = ?", country, e.Ref); err != nil {
		return err
	}
	if _, err := t.tx.Exec("INSERT OR REPLACE INTO fed_records(country, ref, day, place, category, updated) VALUES(?, ?, ?, ?, ?, ?)",
		country, e.Ref, e.Date, e.Place, e.Category, updated.Unix()); err != nil {
		return err
	}
	for _, tk := range e.Tokens {
		if _, err := t.tx.Exec("INSERT OR IGNORE INTO fed_tokens(token, country, ref, kind) VALUES(?, ?, ?, ?)", tk.Token, country, e.Ref, tk.Kind); err != nil {
			return err
		}
	}
	return nil
}

// ForgetPushed makes every record be pushed again.
func (t *Tx) ForgetPushed() error {
	_, err := t.tx.Exec("DELETE FROM fed_pushed")
	return err
}

// MarkPushed records what was acknowledged of a record.
func (t *Tx) MarkPushed(p hubstore.Pushed) error {
	_, err := t.tx.Exec("INSERT OR REPLACE INTO fed_pushed(record, n, h) VALUES(?, ?, ?)", p.Record, p.N, p.HLC)
	return err
}

// Occupancy lists the counts of every centre's sections.
func (s *Store) Occupancy(context.Context) ([]hubstore.OccupancyRow, error) {
	rows, err := s.st.Occupancy()
	if err != nil {
		return nil, err
	}
	out := make([]hubstore.OccupancyRow, len(rows))
	for i, r := range rows {
		out[i] = hubstore.OccupancyRow{Centre: r.Centre, Section: r.Section, Residents: r.Residents, Referred: r.Referred, Absent: r.Absent,
			AsOf: time.UnixMilli(r.AsOf)}
	}
	return out, nil
}

// Stays calls fn for every sealed stay, in record order.
func (s *Store) Stays(ctx context.Context, fn func(record string, open bool, state []byte) error) error {
	return s.st.Stays(ctx, fn)
}

// Stay reads a sealed stay (SQLite's write transaction holds the lock).
func (t *Tx) Stay(record string) ([]byte, error) {
	b, err := t.tx.Stay(record)
	return b, notFound(err)
}

// PutStay writes a sealed stay.
func (t *Tx) PutStay(record string, open bool, state []byte) error {
	return t.tx.PutStay(record, open, state)
}

// DeleteStay forgets a stay.
func (t *Tx) DeleteStay(record string) error { return t.tx.DeleteStay(record) }

// AddOccupancy adds to a section's counts.
func (t *Tx) AddOccupancy(d hubstore.OccupancyRow) error {
	return t.tx.AddOccupancy(d.Centre, d.Section, d.Residents, d.Referred, d.Absent, d.AsOf.UnixMilli())
}

// PutOccupancy sets a section's counts.
func (t *Tx) PutOccupancy(r hubstore.OccupancyRow) error {
	return t.tx.PutOccupancy(store.OccupancyRow{Centre: r.Centre, Section: r.Section, Residents: r.Residents, Referred: r.Referred,
		Absent: r.Absent, AsOf: r.AsOf.UnixMilli()})
}

// Days lists the arrivals and departures of days from through to.
func (s *Store) Days(ctx context.Context, from, to string) ([]hubstore.DayRow, error) {
	rows, err := s.st.Days(ctx, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]hubstore.DayRow, len(rows))
	for i, r := range rows {
		out[i] = hubstore.DayRow(r)
	}
	return out, nil
}

// AddDay adds to (or sets) a centre's arrivals and departures of a day.
func (t *Tx) AddDay(r hubstore.DayRow, set bool) error { return t.tx.AddDay(store.DayRow(r), set) }

// Erased reads when record was erased.
func (s *Store) Erased(_ context.Context, record string) (time.Time, error) {
	tb, err := s.st.Erased(record)
	return tb.At, notFound(err)
}

// Tombstones calls fn for every erased record.
func (s *Store) Tombstones(_ context.Context, fn func(record string, at time.Time) error) error {
	return s.st.Tombstones(func(tb store.Tombstone) error { return fn(tb.Record, tb.At) })
}

// Scrub truncates the write-ahead log (store.Store.Scrub).
func (s *Store) Scrub(context.Context) error { return s.st.Scrub() }

// Erased reports whether record was erased.
func (t *Tx) Erased(record string) (bool, error) {
	_, err := t.tx.Erased(record)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// ErasedAmong returns which of records were erased, in a statement per
// batch of IDs (store.Tx.ErasedAmong).
func (t *Tx) ErasedAmong(records []string) (map[string]bool, error) {
	return t.tx.ErasedAmong(records)
}

// EraseRecord drops the record's payloads and writes its tombstone
// (store.Tx.EraseRecord; the hub keeps no reason beside the erase event's).
func (t *Tx) EraseRecord(record string, keep registry.EventID, drop func(*registry.Event) error, at time.Time) error {
	return t.tx.EraseRecord(record, keep, drop, store.Tombstone{Record: record, At: at}, at)
}

// DropEntry forgets one record of a country.
func (t *Tx) DropEntry(country, ref string) error {
	if _, err := t.tx.Exec("PRAGMA secure_delete = ON"); err != nil {
		return err
	}
	defer t.tx.Exec("PRAGMA secure_delete = FAST") //nolint:errcheck // restores the connection's default
	for _, q := range []string{
		"DELETE FROM fed_tokens WHERE country = ? AND ref = ?",
		"DELETE FROM fed_details WHERE country = ? AND ref = ?",
		"DELETE FROM fed_records WHERE country = ? AND ref = ?",
	} {
		if _, err := t.tx.Exec(q, country, ref); err != nil {
			return err
		}
	}
	return nil
}
