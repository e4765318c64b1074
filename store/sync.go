package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
)

// migrationSync adds the tables of sync (migration 2).
//
//   - logs: per (origin, epoch), the highest seq such that every lower one is
//     stored. A trigger maintains it on every insert (including the device's
//     own registrations), advancing past later events when a gap closes.
//   - peer_heads: what a peer (the hub) acknowledged holding, per log; the
//     device's "events waiting" and 72-hour clock read it.
//   - quarantine: events that were signed correctly but cannot be taken: a
//     different event under an existing (origin, epoch, seq) (a forked log),
//     or a payload that does not open.
//   - event_flags: events accepted with a remark (stamped far in the future).
//   - credentials: the deployment's device credentials (the trust list). The
//     hub also keeps each device's scope, last sync and enrolment there.
//   - conflicts: IDs of records that may hold a conflict for a supervisor
//     (a registration ID is not personal data; the conflict itself is sealed
//     in the record's state).
const migrationSync = `
CREATE TABLE logs(origin TEXT NOT NULL, epoch INTEGER NOT NULL, high INTEGER NOT NULL,
	PRIMARY KEY(origin, epoch)) WITHOUT ROWID;
INSERT INTO logs(origin, epoch, high)
	SELECT l.origin, l.epoch, CASE WHEN l.lo = 1 THEN
		(SELECT e.seq FROM events e WHERE e.origin = l.origin AND e.epoch = l.epoch
			AND NOT EXISTS (SELECT 1 FROM events f WHERE f.origin = e.origin AND f.epoch = e.epoch AND f.seq = e.seq + 1)
			ORDER BY e.seq LIMIT 1)
		ELSE 0 END
	FROM (SELECT origin, epoch, MIN(seq) AS lo FROM events GROUP BY origin, epoch) l;
CREATE TRIGGER events_logs AFTER INSERT ON events BEGIN
	INSERT OR IGNORE INTO logs(origin, epoch, high) VALUES(NEW.origin, NEW.epoch, 0);
	UPDATE logs SET high = (SELECT e.seq FROM events e WHERE e.origin = NEW.origin AND e.epoch = NEW.epoch AND e.seq >= NEW.seq
			AND NOT EXISTS (SELECT 1 FROM events f WHERE f.origin = NEW.origin AND f.epoch = NEW.epoch AND f.seq = e.seq + 1)
			ORDER BY e.seq LIMIT 1)
		WHERE origin = NEW.origin AND epoch = NEW.epoch AND high = NEW.seq - 1;
END;
CREATE TABLE peer_heads(peer TEXT NOT NULL, origin TEXT NOT NULL, epoch INTEGER NOT NULL, high INTEGER NOT NULL,
	PRIMARY KEY(peer, origin, epoch)) WITHOUT ROWID;
CREATE TABLE quarantine(
	origin TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,
	officer TEXT NOT NULL, record TEXT NOT NULL, op TEXT NOT NULL, payload BLOB NOT NULL, sig BLOB NOT NULL,
	received INTEGER NOT NULL, reason TEXT NOT NULL, PRIMARY KEY(origin, epoch, seq, sig));
CREATE TABLE event_flags(origin TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, flag TEXT NOT NULL,
	at INTEGER NOT NULL, PRIMARY KEY(origin, epoch, seq, flag)) WITHOUT ROWID;
CREATE TABLE credentials(device_id TEXT PRIMARY KEY, credential BLOB NOT NULL, station TEXT NOT NULL DEFAULT '',
	scope TEXT NOT NULL DEFAULT 'all', enrolled INTEGER NOT NULL DEFAULT 0, last_sync INTEGER NOT NULL DEFAULT 0,
	revoked_at INTEGER NOT NULL DEFAULT 0);
CREATE TABLE conflicts(record TEXT PRIMARY KEY) WITHOUT ROWID;
`

// MaxHLC is the highest clock among the stored events, leaving out those
// flagged as stamped more than a day ahead: a device's clock starts from it
// when the device opens, and must not follow a tablet whose clock was wrong.
func (s *Store) MaxHLC() (int64, error) {
	var h int64
	err := s.db.QueryRow(`SELECT COALESCE(MAX(e.hlc), 0) FROM events e WHERE NOT EXISTS
		(SELECT 1 FROM event_flags f WHERE f.origin = e.origin AND f.epoch = e.epoch AND f.seq = e.seq AND f.flag = 'future')`).Scan(&h)
	return h, err
}

// Heads returns the version vector of the stored events from the maintained
// high-water marks: the same value as Vector, without reading every event.
func (s *Store) Heads() (vector.Vector, error) {
	return heads(s.db.Query("SELECT origin, epoch, high FROM logs WHERE high > 0"))
}

// Heads returns the version vector inside the transaction.
func (t *Tx) Heads() (vector.Vector, error) {
	return heads(t.tx.Query("SELECT origin, epoch, high FROM logs WHERE high > 0"))
}

func heads(rows *sql.Rows, err error) (vector.Vector, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	v := vector.Vector{}
	for rows.Next() {
		var k vector.Key
		var epoch, high int64
		if err := rows.Scan(&k.Origin, &epoch, &high); err != nil {
			return nil, err
		}
		k.Epoch = uint64(epoch)
		v[k] = uint64(high)
	}
	return v, rows.Err()
}

// EventRange calls fn for the stored events of log k with From <= seq <= To,
// in sequence order, reading them one at a time (memory does not grow with
// the range). It stops early when fn returns an error, which it returns.
func (s *Store) EventRange(ctx context.Context, r vector.Range, fn func(*registry.Event) error) error {
	return eachEvent(s.db.QueryContext(ctx, "SELECT "+eventCols+" FROM events WHERE origin = ? AND epoch = ? AND seq >= ? AND seq <= ? ORDER BY seq",
		r.Origin, int64(r.Epoch), int64(r.From), int64(r.To)))(fn)
}

// Event reads one stored event; ErrNotFound when absent.
func (t *Tx) Event(id registry.EventID) (*registry.Event, error) {
	e, err := scanEvent(t.tx.QueryRow("SELECT "+eventCols+" FROM events WHERE origin = ? AND epoch = ? AND seq = ?", id.Origin, int64(id.Epoch), int64(id.Seq)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return e, err
}

// Quarantine keeps an event that cannot be taken, with the reason (plain
// words, no personal data). The same event quarantined twice is kept once.
func (t *Tx) Quarantine(e *registry.Event, reason string, now time.Time) error {
	_, err := t.tx.Exec("INSERT OR IGNORE INTO quarantine(origin, epoch, seq, hlc, officer, record, op, payload, sig, received, reason) VALUES(?,?,?,?,?,?,?,?,?,?,?)",
		e.Origin, int64(e.Epoch), int64(e.Seq), int64(e.HLC), e.Officer, e.Record, e.Op, e.Payload, e.Sig, now.UnixMilli(), reason)
	return err
}

// QuarantineEntry is a quarantined event's header and reason.
type QuarantineEntry struct {
	Event    registry.EventID
	Record   string
	Reason   string
	Received time.Time
}

// Quarantined lists the quarantined events, oldest first.
func (s *Store) Quarantined() ([]QuarantineEntry, error) {
	rows, err := s.db.Query("SELECT origin, epoch, seq, record, reason, received FROM quarantine ORDER BY received")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QuarantineEntry
	for rows.Next() {
		var q QuarantineEntry
		var epoch, seq, at int64
		if err := rows.Scan(&q.Event.Origin, &epoch, &seq, &q.Record, &q.Reason, &at); err != nil {
			return nil, err
		}
		q.Event.Epoch, q.Event.Seq, q.Received = uint64(epoch), uint64(seq), time.UnixMilli(at)
		out = append(out, q)
	}
	return out, rows.Err()
}

// Flag marks a stored event with a remark such as "future".
func (t *Tx) Flag(id registry.EventID, flag string, now time.Time) error {
	_, err := t.tx.Exec("INSERT OR IGNORE INTO event_flags(origin, epoch, seq, flag, at) VALUES(?,?,?,?,?)", id.Origin, int64(id.Epoch), int64(id.Seq), flag, now.UnixMilli())
	return err
}

// CountFlags returns how many events carry flag.
func (s *Store) CountFlags(flag string) (int, error) {
	var n int
	err := s.db.QueryRow("SELECT COUNT(*) FROM event_flags WHERE flag = ?", flag).Scan(&n)
	return n, err
}

// RaisePeerHeads records that peer holds every event up to v, per log. Marks
// only ever go up: an older acknowledgement arriving late changes nothing.
func (t *Tx) RaisePeerHeads(peer string, v vector.Vector) error {
	for k, high := range v {
		if _, err := t.tx.Exec("INSERT INTO peer_heads(peer, origin, epoch, high) VALUES(?,?,?,?) ON CONFLICT(peer, origin, epoch) DO UPDATE SET high = MAX(high, excluded.high)",
			peer, k.Origin, int64(k.Epoch), int64(high)); err != nil {
			return err
		}
	}
	return nil
}

// PeerHeads returns what peer acknowledged holding.
func (s *Store) PeerHeads(peer string) (vector.Vector, error) {
	return heads(s.db.Query("SELECT origin, epoch, high FROM peer_heads WHERE peer = ?", peer))
}

// Unacknowledged calls fn for the events of log k above seq after, in order
// (the events a peer has not confirmed holding).
func (s *Store) Unacknowledged(k vector.Key, after uint64, fn func(*registry.Event) error) error {
	return s.EventRange(context.Background(), vector.Range{Key: k, From: after + 1, To: 1<<63 - 1}, fn)
}

// CredentialRow is a device of the deployment as the trust list holds it.
type CredentialRow struct {
	DeviceID   string
	Credential []byte // CBOR trust.Credential, signed by the root
	Station    string
	Scope      string    // hub: "all" or "station"
	Enrolled   time.Time // hub: when the enrolment package was made
	LastSync   time.Time // hub: the device's last successful request
	RevokedAt  time.Time // zero unless revoked
}

// PutCredential inserts or replaces a device's credential (the hub's
// bookkeeping columns are kept when the row exists).
func (t *Tx) PutCredential(c CredentialRow) error {
	_, err := t.tx.Exec(`INSERT INTO credentials(device_id, credential, station, scope, enrolled, revoked_at) VALUES(?,?,?,?,?,?)
		ON CONFLICT(device_id) DO UPDATE SET credential = excluded.credential, station = excluded.station, scope = excluded.scope,
		revoked_at = MAX(revoked_at, excluded.revoked_at)`,
		c.DeviceID, c.Credential, c.Station, nonEmpty(c.Scope, "all"), unixOrZero(c.Enrolled), unixOrZero(c.RevokedAt))
	return err
}

// SetRevoked marks a device revoked from at on.
func (t *Tx) SetRevoked(device string, at time.Time) error {
	return one(t.tx.Exec("UPDATE credentials SET revoked_at = ? WHERE device_id = ?", at.Unix(), device))
}

// TouchCredential records a device's successful sync.
func (s *Store) TouchCredential(device string, at time.Time) error {
	_, err := s.db.Exec("UPDATE credentials SET last_sync = ? WHERE device_id = ?", at.Unix(), device)
	return err
}

// Credentials lists the stored device credentials by device ID.
func (s *Store) Credentials() ([]CredentialRow, error) {
	rows, err := s.db.Query("SELECT device_id, credential, station, scope, enrolled, last_sync, revoked_at FROM credentials ORDER BY device_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CredentialRow
	for rows.Next() {
		var c CredentialRow
		var enrolled, last, revoked int64
		if err := rows.Scan(&c.DeviceID, &c.Credential, &c.Station, &c.Scope, &enrolled, &last, &revoked); err != nil {
			return nil, err
		}
		c.Enrolled, c.LastSync, c.RevokedAt = fromUnix(enrolled), fromUnix(last), fromUnix(revoked)
		out = append(out, c)
	}
	return out, rows.Err()
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func fromUnix(s int64) time.Time {
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(s, 0).UTC()
}

// MarkConflict notes that record holds (conflict=true) or no longer holds a
// conflict for a supervisor.
func (t *Tx) MarkConflict(record string, conflict bool) error {
	q := "DELETE FROM conflicts WHERE record = ?"
	if conflict {
		q = "INSERT OR IGNORE INTO conflicts(record) VALUES(?)"
	}
	_, err := t.exec(q, record)
	return err
}

// EventRecords lists, in order, the records that have at least one event.
func (s *Store) EventRecords() ([]string, error) {
	return scanStrings(s.db.Query("SELECT DISTINCT record FROM events ORDER BY record"))
}

// ConflictRecords lists the records marked as holding a conflict.
func (s *Store) ConflictRecords() ([]string, error) {
	return scanStrings(s.db.Query("SELECT record FROM conflicts ORDER BY record"))
}

// RecordExists reports whether record has a projection (inside tx).
func (t *Tx) RecordExists(record string) (bool, error) {
	var n int
	err := t.queryRow("SELECT COUNT(*) FROM records WHERE id = ?", record).Scan(&n)
	return n > 0, err
}

// migrationHoles (migration 6) lets an event log advance past a slot that is
// known lost: an event quarantined because its signature, payload or
// content is bad, delivered by its own origin device or signed by it (no
// valid event can ever take that slot from an honest origin). A log's high
// mark is then "every lower seq is stored or known lost", so one damaged
// event does not hold back the acknowledgement of the events behind it.
// A real event arriving later for a hole is still stored (insert-or-ignore
// on events is unaffected); docs/sync.md explains the semantics.
const migrationHoles = `
CREATE TABLE holes(origin TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL,
	reason TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(origin, epoch, seq)) WITHOUT ROWID;
DROP TRIGGER events_logs;
CREATE TRIGGER events_logs AFTER INSERT ON events BEGIN
	INSERT OR IGNORE INTO logs(origin, epoch, high) VALUES(NEW.origin, NEW.epoch, 0);
	UPDATE logs SET high = ` + nextHigh + `
		WHERE origin = NEW.origin AND epoch = NEW.epoch AND high = NEW.seq - 1;
END;
CREATE TRIGGER holes_logs AFTER INSERT ON holes BEGIN
	INSERT OR IGNORE INTO logs(origin, epoch, high) VALUES(NEW.origin, NEW.epoch, 0);
	UPDATE logs SET high = ` + nextHigh + `
		WHERE origin = NEW.origin AND epoch = NEW.epoch AND high = NEW.seq - 1;
END;
`

// nextHigh is, in a trigger on a new slot NEW, the end of the run of
// filled slots (stored events or holes) that starts at NEW.seq.
const nextHigh = `(SELECT s.seq FROM (
		SELECT seq FROM events WHERE origin = NEW.origin AND epoch = NEW.epoch AND seq >= NEW.seq
		UNION SELECT seq FROM holes WHERE origin = NEW.origin AND epoch = NEW.epoch AND seq >= NEW.seq) s
	WHERE NOT EXISTS (SELECT 1 FROM events f WHERE f.origin = NEW.origin AND f.epoch = NEW.epoch AND f.seq = s.seq + 1)
		AND NOT EXISTS (SELECT 1 FROM holes g WHERE g.origin = NEW.origin AND g.epoch = NEW.epoch AND g.seq = s.seq + 1)
	ORDER BY s.seq LIMIT 1)`

// AddHole records that slot id of its log is known lost, for reason (plain
// words, no personal data). Nothing happens when an event is stored in that
// slot, or the hole is known already.
func (t *Tx) AddHole(id registry.EventID, reason string, now time.Time) error {
	_, err := t.tx.Exec(`INSERT OR IGNORE INTO holes(origin, epoch, seq, reason, at) SELECT ?, ?, ?, ?, ?
		WHERE NOT EXISTS (SELECT 1 FROM events WHERE origin = ? AND epoch = ? AND seq = ?)`,
		id.Origin, int64(id.Epoch), int64(id.Seq), reason, now.UnixMilli(), id.Origin, int64(id.Epoch), int64(id.Seq))
	return err
}

// Holes lists the known-lost slots of log k with from <= seq <= to that hold
// no stored event, in sequence order, at most limit of them.
func (s *Store) Holes(ctx context.Context, k vector.Key, from, to uint64, limit int) ([]registry.EventID, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT seq FROM holes h WHERE origin = ? AND epoch = ? AND seq >= ? AND seq <= ?
		AND NOT EXISTS (SELECT 1 FROM events e WHERE e.origin = h.origin AND e.epoch = h.epoch AND e.seq = h.seq)
		ORDER BY seq LIMIT ?`, k.Origin, int64(k.Epoch), int64(from), int64(to), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []registry.EventID
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return nil, err
		}
		out = append(out, registry.EventID{Origin: k.Origin, Epoch: k.Epoch, Seq: uint64(seq)})
	}
	return out, rows.Err()
}

// Unknown returns the IDs of ids that name neither a record stored here
// nor an erased one, in the order given. It looks them up unknownBatch at
// a time (one query each cost more in the driver than in SQLite).
func (s *Store) Unknown(ids []string) ([]string, error) {
	known := map[string]bool{}
	for rest := ids; len(rest) > 0; {
		k := min(len(rest), unknownBatch)
		args := make([]any, k)
		for i, id := range rest[:k] {
			args[i] = id
		}
		in := "(?" + strings.Repeat(",?", k-1) + ")"
		found, err := scanStrings(s.db.Query("SELECT id FROM records WHERE id IN "+in+" UNION ALL SELECT record FROM erased WHERE record IN "+in, append(args, args...)...))
		if err != nil {
			return nil, fmt.Errorf("store: unknown records: %w", err)
		}
		for _, id := range found {
			known[id] = true
		}
		rest = rest[k:]
	}
	var out []string
	for _, id := range ids {
		if !known[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// RecordsExisting returns which of ids have a projection (inside tx),
// looked up unknownBatch at a time.
func (t *Tx) RecordsExisting(ids []string) (map[string]bool, error) {
	return t.among("SELECT id FROM records WHERE id IN ", ids)
}

// ErasedAmong returns which of ids were erased here (have a tombstone),
// looked up unknownBatch at a time.
func (t *Tx) ErasedAmong(ids []string) (map[string]bool, error) {
	return t.among("SELECT record FROM erased WHERE record IN ", ids)
}

// among runs query, which ends in "IN ", on ids unknownBatch at a time and
// returns the IDs it finds.
func (t *Tx) among(query string, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	for rest := ids; len(rest) > 0; {
		k := min(len(rest), unknownBatch)
		args := make([]any, k)
		for i, id := range rest[:k] {
			args[i] = id
		}
		found, err := scanStrings(t.tx.Query(query+"(?"+strings.Repeat(",?", k-1)+")", args...))
		if err != nil {
			return nil, fmt.Errorf("store: records among: %w", err)
		}
		for _, id := range found {
			out[id] = true
		}
		rest = rest[k:]
	}
	return out, nil
}

// unknownBatch is how many IDs one query of Unknown looks up (twice each:
// SQLite takes at most 32,766 parameters).
const unknownBatch = 500
