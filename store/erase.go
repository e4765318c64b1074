package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// migrationErased adds the tombstones of erased records. A tombstone keeps
// the registration ID (not personal data), when the record was erased and
// the reason, sealed by the caller (a reason is plain words, but typed by a
// person). Everything else of the record is gone: see EraseRecord.
const migrationErased = `
CREATE TABLE erased(record TEXT PRIMARY KEY, at INTEGER NOT NULL, reason BLOB NOT NULL) WITHOUT ROWID;
`

// Tombstone is what remains of an erased record.
type Tombstone struct {
	Record string
	At     time.Time
	Reason []byte // sealed by the caller
}

// EraseRecord removes a record's personal data inside the transaction: the
// payload of each of its events is dropped (drop returns the event as it
// is to be kept: registry.Event.EraseAs or Erase; an event drop refuses is
// deleted, its slot recorded as a hole so the log's high-water mark holds),
// the events of the record set aside in quarantine are deleted, and so are
// its projection, search tokens, the "registered elsewhere?" question and
// its answer, the identities of import lines that saved it and its conflict
// mark. keep names an event whose payload stays (the erase event itself);
// it may be the zero ID. Then the tombstone is written; erasing a record
// already erased changes nothing but its events that arrived since.
func (t *Tx) EraseRecord(record string, keep registry.EventID, drop func(*registry.Event) error, tomb Tombstone, now time.Time) error {
	// secure_delete is FAST on every connection: it zeroes what is deleted
	// on the b-tree pages written anyway, not on overflow pages (a photo)
	// that go to the free list. An erasure zeroes everything it frees.
	if _, err := t.tx.Exec("PRAGMA secure_delete = ON"); err != nil {
		return fmt.Errorf("store: erase: %w", err)
	}
	defer t.tx.Exec("PRAGMA secure_delete = FAST") //nolint:errcheck // restores the connection's default; a failure leaves it stricter
	evs, err := t.RecordEvents(record)
	if err != nil {
		return err
	}
	for _, e := range evs {
		if e.ID() == keep || e.Erased() {
			continue
		}
		if err := drop(e); err != nil {
			if _, err := t.tx.Exec("DELETE FROM events WHERE origin = ? AND epoch = ? AND seq = ?", e.Origin, int64(e.Epoch), int64(e.Seq)); err != nil {
				return err
			}
			if err := t.AddHole(e.ID(), "erased: the payload of a format 1 event cannot be kept verifiable", now); err != nil {
				return err
			}
			continue
		}
		if _, err := t.tx.Exec("UPDATE events SET payload = ? WHERE origin = ? AND epoch = ? AND seq = ?", e.Payload, e.Origin, int64(e.Epoch), int64(e.Seq)); err != nil {
			return err
		}
	}
	if err := t.deleteSearch(record); err != nil {
		return err
	}
	for _, q := range []string{
		"DELETE FROM records WHERE id = ?",
		"DELETE FROM quarantine WHERE record = ?",
		"DELETE FROM elsewhere WHERE record = ?",
		"DELETE FROM imports WHERE record = ?",
		"DELETE FROM conflicts WHERE record = ?",
		// The fact the record was counted with; the counts stay.
		"DELETE FROM stat_facts WHERE record = ?",
	} {
		if _, err := t.tx.Exec(q, record); err != nil {
			return fmt.Errorf("store: erase: %w", err)
		}
	}
	_, err = t.tx.Exec("INSERT OR IGNORE INTO erased(record, at, reason) VALUES(?, ?, ?)", record, tomb.At.UnixMilli(), nonNil(tomb.Reason))
	return err
}

// Erased reads a record's tombstone inside the transaction; ErrNotFound
// when the record was not erased.
func (t *Tx) Erased(record string) (Tombstone, error) {
	return scanTomb(t.queryRow(tombQuery, record))
}

// Erased reads a record's tombstone; ErrNotFound when it was not erased.
func (s *Store) Erased(record string) (Tombstone, error) {
	return scanTomb(s.db.QueryRow(tombQuery, record))
}

// CountErased counts the tombstones.
func (s *Store) CountErased() (int, error) {
	var n int
	err := s.db.QueryRow("SELECT COUNT(*) FROM erased").Scan(&n)
	return n, err
}

// Tombstones calls fn for every tombstone, by record ID.
func (s *Store) Tombstones(fn func(Tombstone) error) error {
	rows, err := s.db.Query("SELECT record, at, reason FROM erased ORDER BY record")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		tb, err := scanTomb(rows)
		if err != nil {
			return err
		}
		if err := fn(tb); err != nil {
			return err
		}
	}
	return rows.Err()
}

const tombQuery = "SELECT record, at, reason FROM erased WHERE record = ?"

func scanTomb(sc interface{ Scan(...any) error }) (Tombstone, error) {
	var tb Tombstone
	var at int64
	err := sc.Scan(&tb.Record, &at, &tb.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return tb, ErrNotFound
	}
	tb.At = time.UnixMilli(at).UTC()
	return tb, err
}

// Scrub makes what erasures left behind unreadable in the database files:
// a checkpoint that truncates the write-ahead log, whose frames still hold
// the pages as they were before the erasure. (The erasure itself zeroed
// what it freed in the database file: EraseRecord.)
func (s *Store) Scrub() error {
	if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("store: scrub: %w", err)
	}
	return nil
}

// Summaries calls fn with every record's ID and sealed summary, in ID
// order, reading them in one pass (the retention sweep opens them all).
// It stops early when fn returns an error, which it returns.
func (s *Store) Summaries(ctx context.Context, fn func(id string, sealed []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT id, summary FROM records ORDER BY id")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var sealed []byte
		if err := rows.Scan(&id, &sealed); err != nil {
			return err
		}
		if err := fn(id, sealed); err != nil {
			return err
		}
	}
	return rows.Err()
}
