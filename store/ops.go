package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
)

// GetMeta reads a setting; ErrNotFound when absent.
func (s *Store) GetMeta(key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRow("SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return v, err
}

// PutMeta writes a setting.
func (t *Tx) PutMeta(key string, value []byte) error {
	_, err := t.tx.Exec("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value)
	return err
}

// PutSecretMeta writes a setting that holds a secret to be destroyed later
// (nil deletes it): what it overwrites or deletes is zeroed in the
// database file (secure_delete ON, overflow pages included); Store.Scrub
// afterwards clears the copies in the write-ahead log.
func (t *Tx) PutSecretMeta(key string, value []byte) error {
	if _, err := t.tx.Exec("PRAGMA secure_delete = ON"); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	defer t.tx.Exec("PRAGMA secure_delete = FAST") //nolint:errcheck // restores the connection's default; a failure leaves it stricter
	if value == nil {
		_, err := t.tx.Exec("DELETE FROM meta WHERE key = ?", key)
		return err
	}
	return t.PutMeta(key, value)
}

// GetMeta reads a setting inside a transaction.
func (t *Tx) GetMeta(key string) ([]byte, error) {
	var v []byte
	err := t.tx.QueryRow("SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return v, err
}

// Officer is an officer row. Wrap is the master key wrapped under the
// officer's passphrase. MAC authenticates ID, Name, Supervisor, Wrap,
// Created and Removed under a key only an unlocked device holds (see
// device/officers.go); Failed, NotBefore and Locked change before unlock
// and are not covered.
type Officer struct {
	ID         string
	Name       string
	Supervisor bool
	Wrap       []byte
	Failed     int
	NotBefore  time.Time
	Locked     bool
	Created    time.Time
	Removed    bool
	MAC        []byte
}

const officerCols = "id, name, supervisor, wrap, failed, not_before, locked, created, removed, mac"

func scanOfficer(sc interface{ Scan(...any) error }) (Officer, error) {
	var o Officer
	var nb, created int64
	err := sc.Scan(&o.ID, &o.Name, &o.Supervisor, &o.Wrap, &o.Failed, &nb, &o.Locked, &created, &o.Removed, &o.MAC)
	o.NotBefore = time.UnixMilli(nb)
	o.Created = time.Unix(created, 0)
	return o, err
}

func scanOfficers(rows *sql.Rows, err error) ([]Officer, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Officer
	for rows.Next() {
		o, err := scanOfficer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Officers lists the officers not removed, by name.
func (s *Store) Officers() ([]Officer, error) {
	return scanOfficers(s.db.Query("SELECT " + officerCols + " FROM officers WHERE removed = 0 ORDER BY name COLLATE NOCASE"))
}

// AllOfficers lists every officer row, removed ones too, by ID.
func (s *Store) AllOfficers() ([]Officer, error) {
	return scanOfficers(s.db.Query("SELECT " + officerCols + " FROM officers ORDER BY id"))
}

// AllOfficers lists every officer row inside the transaction, by ID.
func (t *Tx) AllOfficers() ([]Officer, error) {
	return scanOfficers(t.tx.Query("SELECT " + officerCols + " FROM officers ORDER BY id"))
}

// Officer reads one officer (removed ones are ErrNotFound).
func (s *Store) Officer(id string) (Officer, error) {
	o, err := scanOfficer(s.db.QueryRow("SELECT "+officerCols+" FROM officers WHERE id = ? AND removed = 0", id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

// Officer reads one officer inside the transaction, removed ones too.
func (t *Tx) Officer(id string) (Officer, error) {
	o, err := scanOfficer(t.tx.QueryRow("SELECT "+officerCols+" FROM officers WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, ErrNotFound
	}
	return o, err
}

// InsertOfficer adds an officer.
func (t *Tx) InsertOfficer(o Officer) error {
	_, err := t.tx.Exec("INSERT INTO officers(id, name, supervisor, wrap, created, removed, mac) VALUES(?, ?, ?, ?, ?, ?, ?)",
		o.ID, o.Name, o.Supervisor, o.Wrap, o.Created.Unix(), o.Removed, nonNil(o.MAC))
	return err
}

// UpdateOfficer rewrites the row of o.ID with o's values.
func (t *Tx) UpdateOfficer(o Officer) error {
	return one(t.tx.Exec("UPDATE officers SET name = ?, supervisor = ?, wrap = ?, failed = ?, not_before = ?, locked = ?, created = ?, removed = ?, mac = ? WHERE id = ?",
		o.Name, o.Supervisor, nonNil(o.Wrap), o.Failed, o.NotBefore.UnixMilli(), o.Locked, o.Created.Unix(), o.Removed, nonNil(o.MAC), o.ID))
}

// nonNil stores a nil slice as an empty BLOB (the columns are NOT NULL).
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// SetOfficerFailures records failed unlock attempts (count, earliest next try, locked).
func (s *Store) SetOfficerFailures(id string, failed int, notBefore time.Time, locked bool) error {
	return one(s.db.Exec("UPDATE officers SET failed = ?, not_before = ?, locked = ? WHERE id = ?", failed, notBefore.UnixMilli(), locked, id))
}

// ClearOfficerLock unlocks a locked-out officer.
func (t *Tx) ClearOfficerLock(id string) error {
	return one(t.tx.Exec("UPDATE officers SET failed = 0, not_before = 0, locked = 0 WHERE id = ? AND removed = 0", id))
}

func one(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// NextSeq returns the next sequence number for (origin, epoch), read outside
// any transaction.
func (s *Store) NextSeq(origin string, epoch uint64) (uint64, error) {
	var max sql.NullInt64
	if err := s.db.QueryRow("SELECT MAX(seq) FROM events WHERE origin = ? AND epoch = ?", origin, int64(epoch)).Scan(&max); err != nil {
		return 0, err
	}
	return uint64(max.Int64) + 1, nil
}

// NextSeq returns the next sequence number for (origin, epoch).
func (t *Tx) NextSeq(origin string, epoch uint64) (uint64, error) {
	k := seqKey{origin, epoch}
	if n, ok := t.nextSeq[k]; ok {
		return n, nil
	}
	var max sql.NullInt64
	if err := t.tx.QueryRow("SELECT MAX(seq) FROM events WHERE origin = ? AND epoch = ?", origin, int64(epoch)).Scan(&max); err != nil {
		return 0, err
	}
	if t.nextSeq == nil {
		t.nextSeq = map[seqKey]uint64{}
	}
	t.nextSeq[k] = uint64(max.Int64) + 1
	return t.nextSeq[k], nil
}

// InsertEvent stores an event; it reports false if an event with the same
// (origin, epoch, seq) is already stored (insert-or-ignore).
func (t *Tx) InsertEvent(e *registry.Event, received time.Time) (bool, error) {
	res, err := t.exec("INSERT OR IGNORE INTO events(origin, epoch, seq, hlc, officer, record, op, payload, sig, received) VALUES(?,?,?,?,?,?,?,?,?,?)",
		e.Origin, int64(e.Epoch), int64(e.Seq), int64(e.HLC), e.Officer, e.Record, e.Op, e.Payload, e.Sig, received.UnixMilli())
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	if k := (seqKey{e.Origin, e.Epoch}); n == 1 && t.nextSeq != nil {
		if next, ok := t.nextSeq[k]; ok && e.Seq >= next {
			t.nextSeq[k] = e.Seq + 1
		}
	}
	return n == 1, nil
}

const eventCols = "origin, epoch, seq, hlc, officer, record, op, payload, sig"

func scanEvent(sc interface{ Scan(...any) error }) (*registry.Event, error) {
	var e registry.Event
	var epoch, seq, hlc int64
	if err := sc.Scan(&e.Origin, &epoch, &seq, &hlc, &e.Officer, &e.Record, &e.Op, &e.Payload, &e.Sig); err != nil {
		return nil, err
	}
	e.Epoch, e.Seq, e.HLC = uint64(epoch), uint64(seq), registry.HLC(hlc)
	return &e, nil
}

// RecordEvents returns the events of a record.
func (t *Tx) RecordEvents(record string) ([]*registry.Event, error) {
	return collectEvents(t.tx.Query("SELECT "+eventCols+" FROM events WHERE record = ?", record))
}

// RecordEvents returns the events of a record.
func (s *Store) RecordEvents(record string) ([]*registry.Event, error) {
	return collectEvents(s.db.Query("SELECT "+eventCols+" FROM events WHERE record = ?", record))
}

// Events calls fn for every stored event in (origin, epoch, seq) order.
func (s *Store) Events(ctx context.Context, fn func(*registry.Event) error) error {
	return eachEvent(s.db.QueryContext(ctx, "SELECT "+eventCols+" FROM events ORDER BY origin, epoch, seq"))(fn)
}

// eachEvent returns a function that calls fn for each event row, one at a
// time (memory does not grow with the number of rows), stopping at fn's
// first error, which it returns.
func eachEvent(rows *sql.Rows, err error) func(fn func(*registry.Event) error) error {
	return func(fn func(*registry.Event) error) error {
		if err != nil {
			return err
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
		return rows.Err()
	}
}

func collectEvents(rows *sql.Rows, err error) ([]*registry.Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*registry.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Vector returns, for each (origin, epoch), the highest sequence number such
// that every lower one is stored too (the contiguous prefix).
func (s *Store) Vector() (vector.Vector, error) {
	rows, err := s.db.Query("SELECT origin, epoch, seq FROM events ORDER BY origin, epoch, seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := vector.Vector{}
	for rows.Next() {
		var k vector.Key
		var epoch, seq int64
		if err := rows.Scan(&k.Origin, &epoch, &seq); err != nil {
			return nil, err
		}
		k.Epoch = uint64(epoch)
		if uint64(seq) == out[k]+1 {
			out[k] = uint64(seq)
		}
	}
	return out, rows.Err()
}

// CountEvents returns how many events are stored.
func (s *Store) CountEvents() (int, error) {
	var n int
	err := s.db.QueryRow("SELECT COUNT(*) FROM events").Scan(&n)
	return n, err
}

// tokenSize is the size of a blind-index token (crypto/blind.TokenSize).
const tokenSize = 16

// The search index: one row per (token, record), keyed by the record's
// generation first (genShift: 1,024 records in registration order), then
// the token, then the record's number. Tokens are keyed hashes, so a flat
// index on the token puts a new record's ~23 rows on ~23 random pages of
// the whole index, and a save then costs more the larger the database (88
// MB of WAL to add 1,000 registrations to 100,000). Keyed by generation, a
// save touches only pages of the newest generation, a few hundred at most,
// whatever the size of the database; a search looks its tokens up in each
// generation (a hundred at 100,000 records, each a B-tree seek). A row
// keeps the first keySize bytes of the token (a false match between two
// tokens is one chance in 2^64 per stored row) and the record's number
// rather than its ID: 20 bytes instead of 40. A small write (a single
// registration, an amendment) puts its rows in the recent table first,
// merged into the generations in batches (store/recent.go).
const (
	genShift = 10
	keySize  = 8
)

// RecordRow is a row of the record projection: what lists and search read
// (the record's full state is folded from its events). Summary is sealed.
type RecordRow struct {
	ID      string
	Created int64 // HLC
	Updated int64 // HLC
	Group   []byte
	Summary []byte
	// Fact is the sealed fact the record is counted with (store/stats.go),
	// written by PutNewRecords with the row; nil when it is not counted
	// there (PutCounted writes it).
	Fact []byte
}

// searchRow is one row of the search index: the first keySize bytes of a
// token (big-endian, so that numbers sort as the index's blobs do) and the
// number of the record it belongs to. It holds no pointer: a batch's hundred
// thousand rows are one flat allocation the collector does not scan.
type searchRow struct {
	key uint64
	n   int64
}

func newSearchRow(tok []byte, n int64) searchRow {
	return searchRow{binary.BigEndian.Uint64(tok[:keySize]), n}
}

// PutRecord inserts or replaces a record's projection and its search tokens.
// fresh says the record is new, which saves looking for old tokens.
func (t *Tx) PutRecord(r RecordRow, tokens [][]byte, fresh bool) error {
	if err := checkTokens(tokens); err != nil {
		return err
	}
	if !fresh {
		if err := t.deleteSearch(r.ID); err != nil {
			return err
		}
	}
	var n int64
	if err := t.tx.QueryRow(`INSERT INTO records(id, created, updated, grp, summary) VALUES(?,?,?,?,?)
		ON CONFLICT(id) DO UPDATE SET updated=excluded.updated, grp=excluded.grp, summary=excluded.summary
		RETURNING n`, r.ID, r.Created, r.Updated, r.Group, r.Summary).Scan(&n); err != nil {
		return err
	}
	rows := make([]searchRow, len(tokens))
	for i, tok := range tokens {
		rows[i] = newSearchRow(tok, n)
	}
	return t.insertRecent(rows)
}

// deleteSearch deletes the search rows of record id, if it is stored: its
// recent rows (store/recent.go), and those merged into its own generation,
// a scan of that generation (about 24,000 rows), not of the index.
func (t *Tx) deleteSearch(id string) error {
	var n int64
	err := t.tx.QueryRow("SELECT n FROM records WHERE id = ?", id).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err = t.tx.Exec("DELETE FROM search WHERE gen = ? AND n = ?", n>>genShift, n); err != nil {
		return err
	}
	return t.deleteRecent(n)
}

// checkTokens refuses a token of the wrong size.
func checkTokens(tokens [][]byte) error {
	for _, tok := range tokens {
		if len(tok) != tokenSize {
			return fmt.Errorf("store: search token of %d bytes, want %d", len(tok), tokenSize)
		}
	}
	return nil
}

// sortSearch orders rows as the index keeps them (generation, token,
// record), so that a batch touches each page once.
func sortSearch(rows []searchRow) {
	slices.SortFunc(rows, func(a, b searchRow) int {
		if c := cmp.Compare(a.n>>genShift, b.n>>genShift); c != 0 {
			return c
		}
		if c := cmp.Compare(a.key, b.key); c != 0 {
			return c
		}
		return cmp.Compare(a.n, b.n)
	})
}

// insertSearch writes search rows. Up to searchBatch rows go in one
// statement as two parameters, the tokens end to end in one blob and the
// record numbers in a JSON array, so a large batch costs a few hundred cgo
// calls rather than three per row. A few rows (one record's) go as bound
// values, which is cheaper than reading JSON.
func (t *Tx) insertSearch(rows []searchRow) error {
	if len(rows) == 0 {
		return nil
	}
	if len(rows) <= tokenBatch {
		args := make([]any, 0, 3*len(rows))
		for _, r := range rows {
			args = append(args, r.n>>genShift, binary.BigEndian.AppendUint64(nil, r.key), r.n)
		}
		_, err := t.tx.Exec(insertTokens[len(rows)], args...)
		return err
	}
	blob := make([]byte, 0, min(len(rows), searchBatch)*keySize)
	ns := make([]int64, 0, min(len(rows), searchBatch))
	for len(rows) > 0 {
		k := min(len(rows), searchBatch)
		blob, ns = blob[:0], ns[:0]
		for _, r := range rows[:k] {
			blob = binary.BigEndian.AppendUint64(blob, r.key)
			ns = append(ns, r.n)
		}
		js, err := json.Marshal(ns)
		if err != nil {
			return err
		}
		if _, err := t.tx.Exec(`INSERT OR IGNORE INTO search(gen, tok, n)
			SELECT value >> `+fmt.Sprint(genShift)+`, substr(?1, key * `+fmt.Sprint(keySize)+` + 1, `+fmt.Sprint(keySize)+`), value FROM json_each(?2)`, blob, js); err != nil {
			return err
		}
		rows = rows[k:]
	}
	return nil
}

// tokenBatch is the most search rows written as bound values.
const tokenBatch = 64

// insertTokens[n] inserts n search rows as bound values.
var insertTokens = func() []string {
	q := make([]string, tokenBatch+1)
	for n := 1; n <= tokenBatch; n++ {
		q[n] = "INSERT OR IGNORE INTO search(gen, tok, n) VALUES" + strings.TrimSuffix(strings.Repeat("(?,?,?),", n), ",")
	}
	return q
}()

// searchBatch is how many search rows one statement writes.
const searchBatch = 1024

// PutNewRecords inserts the projections of records new to the store (with
// their counted facts, RecordRow.Fact) and their search tokens: up to
// recentMax rows (a registration, a family) into the recent table, more
// (a bulk batch) into the generations in index order (sortSearch). A row
// whose ID is already stored fails the whole call: two people are never
// merged by an ID collision.
func (t *Tx) PutNewRecords(rows []RecordRow, tokens [][][]byte) error {
	if len(rows) != len(tokens) {
		return fmt.Errorf("store: %d records with %d token lists", len(rows), len(tokens))
	}
	count := 0
	for _, toks := range tokens {
		if err := checkTokens(toks); err != nil {
			return err
		}
		count += len(toks)
	}
	all := make([]searchRow, 0, count)
	for i, r := range rows {
		res, err := t.exec("INSERT INTO records(id, created, updated, grp, summary, fact) VALUES(?,?,?,?,?,?)",
			r.ID, r.Created, r.Updated, r.Group, r.Summary, r.Fact)
		if err != nil {
			return err
		}
		n, err := res.LastInsertId()
		if err != nil {
			return err
		}
		for _, tok := range tokens[i] {
			all = append(all, newSearchRow(tok, n))
		}
	}
	if len(all) <= recentMax {
		return t.insertRecent(all)
	}
	sortSearch(all)
	return t.insertSearch(all)
}

// Record reads a record's projection.
func (s *Store) Record(id string) (RecordRow, error) {
	var r RecordRow
	err := s.db.QueryRow("SELECT id, created, updated, grp, summary FROM records WHERE id = ?", id).Scan(&r.ID, &r.Created, &r.Updated, &r.Group, &r.Summary)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// Summary reads only the sealed summary of a record (for list rows).
func (s *Store) Summary(id string) (summary []byte, created int64, err error) {
	err = s.db.QueryRow("SELECT summary, created FROM records WHERE id = ?", id).Scan(&summary, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, ErrNotFound
	}
	return summary, created, err
}

// CountRecords returns how many records are stored.
func (s *Store) CountRecords() (int, error) {
	var n int
	err := s.db.QueryRow("SELECT COUNT(*) FROM records").Scan(&n)
	return n, err
}

// Filter selects records. Token sets are ANDed across sets and ORed within
// one set (a set holds the tokens any of which satisfies one query term).
type Filter struct {
	TokenSets [][][]byte
	IDPrefix  string
	From, To  int64 // HLC bounds on created; 0 for none
	Group     []byte
	Limit     int
}

// Find returns record IDs matching f, newest first.
func (s *Store) Find(f Filter) ([]string, error) {
	var where []string
	var args []any
	if len(f.TokenSets) > 0 {
		gens, err := s.generations()
		if err != nil {
			return nil, err
		}
		for _, set := range f.TokenSets {
			if len(set) == 0 {
				return nil, nil
			}
			// The generations, by seek, and the recent rows (store/recent.go),
			// by a scan of a few thousand rows at most, in one statement: one
			// snapshot, so a merge between the two cannot hide a record.
			ph := strings.TrimSuffix(strings.Repeat("?,", len(set)), ",")
			where = append(where, "n IN (SELECT n FROM search WHERE gen IN ("+gens+") AND tok IN ("+ph+") UNION ALL SELECT n FROM search_recent WHERE tok IN ("+ph+"))")
			keys := make([]any, len(set))
			for i, t := range set {
				if len(t) != tokenSize {
					return nil, fmt.Errorf("store: search token of %d bytes, want %d", len(t), tokenSize)
				}
				keys[i] = t[:keySize]
			}
			args = append(append(args, keys...), keys...)
		}
	}
	if f.IDPrefix != "" {
		where = append(where, "id >= ? AND id < ?")
		args = append(args, f.IDPrefix, f.IDPrefix+"\xff")
	}
	if f.From != 0 {
		where = append(where, "created >= ?")
		args = append(args, f.From)
	}
	if f.To != 0 {
		where = append(where, "created < ?")
		args = append(args, f.To)
	}
	if f.Group != nil {
		where = append(where, "grp = ?")
		args = append(args, f.Group)
	}
	q := "SELECT id FROM records"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY created DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return scanStrings(s.db.Query(q, args...))
}

// generations lists the search index's generations as SQL integers
// ("0,1,2"), for a look-up that seeks each of them.
func (s *Store) generations() (string, error) {
	var last sql.NullInt64
	if err := s.db.QueryRow("SELECT max(n) FROM records").Scan(&last); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("0")
	for g := int64(1); g <= last.Int64>>genShift; g++ {
		b.WriteString(",")
		b.WriteString(strconv.FormatInt(g, 10))
	}
	return b.String(), nil
}

// AuditEntry is one entry of the audit log. It never holds personal data:
// the record is named by its registration ID only.
type AuditEntry struct {
	Seq     int64
	At      time.Time
	Officer string
	Action  string
	Record  string
	Detail  string
	Hash    []byte // SHA-256 chain: H(previous hash || entry)
	MAC     []byte // keyed MAC of Hash; empty for entries written while locked
}

// LastAudit returns the last audit entry, or a zero entry when the log is empty.
func (t *Tx) LastAudit() (AuditEntry, error) {
	if t.lastAudit != nil {
		return *t.lastAudit, nil
	}
	var e AuditEntry
	var at int64
	err := t.tx.QueryRow("SELECT seq, at, officer, action, record, detail, hash, mac FROM audit ORDER BY seq DESC LIMIT 1").Scan(&e.Seq, &at, &e.Officer, &e.Action, &e.Record, &e.Detail, &e.Hash, &e.MAC)
	if errors.Is(err, sql.ErrNoRows) {
		return AuditEntry{}, nil
	}
	e.At = time.UnixMilli(at)
	return e, err
}

// AppendAudit appends an entry (its Seq must be the last one's plus one).
func (t *Tx) AppendAudit(e AuditEntry) error {
	if _, err := t.exec("INSERT INTO audit(seq, at, officer, action, record, detail, hash, mac) VALUES(?,?,?,?,?,?,?,?)", e.Seq, e.At.UnixMilli(), e.Officer, e.Action, e.Record, e.Detail, e.Hash, e.MAC); err != nil {
		return err
	}
	t.lastAudit = &e
	return nil
}

// Audit calls fn for each audit entry in order.
func (s *Store) Audit(fn func(AuditEntry) error) error {
	return s.scanAudit(fn, "SELECT seq, at, officer, action, record, detail, hash, mac FROM audit ORDER BY seq")
}

// RecentAudit calls fn for the newest limit audit entries, newest first.
func (s *Store) RecentAudit(limit int, fn func(AuditEntry) error) error {
	return s.scanAudit(fn, "SELECT seq, at, officer, action, record, detail, hash, mac FROM audit ORDER BY seq DESC LIMIT ?", limit)
}

func (s *Store) scanAudit(fn func(AuditEntry) error, query string, args ...any) error {
	rows, err := s.db.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.Seq, &at, &e.Officer, &e.Action, &e.Record, &e.Detail, &e.Hash, &e.MAC); err != nil {
			return err
		}
		e.At = time.UnixMilli(at)
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AuditWithPrev calls fn for each audit entry whose action is action, in
// order, with the hash of the entry before it (nil for the first entry), so
// the caller can check the entry's place in the chain.
func (t *Tx) AuditWithPrev(action string, fn func(e AuditEntry, prevHash []byte) error) error {
	rows, err := t.tx.Query(`SELECT a.seq, a.at, a.officer, a.action, a.record, a.detail, a.hash, a.mac, p.hash
		FROM audit a LEFT JOIN audit p ON p.seq = a.seq - 1 WHERE a.action = ? ORDER BY a.seq`, action)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at int64
		var prev []byte
		if err := rows.Scan(&e.Seq, &at, &e.Officer, &e.Action, &e.Record, &e.Detail, &e.Hash, &e.MAC, &prev); err != nil {
			return err
		}
		e.At = time.UnixMilli(at)
		if err := fn(e, prev); err != nil {
			return err
		}
	}
	return rows.Err()
}

// RecordIDs lists, in order, every record ID that has an event or a
// projection (the integrity check compares the two).
func (s *Store) RecordIDs(ctx context.Context) ([]string, error) {
	return scanStrings(s.db.QueryContext(ctx, "SELECT record FROM events UNION SELECT id FROM records ORDER BY 1"))
}
