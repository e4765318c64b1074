// Package store persists a device's data in SQLite (mattn/go-sqlite3): the
// signed event log, the sealed record projection and its blind search index,
// officers and their key wraps, settings, and the hash-chained audit log.
//
// The store never sees plaintext personal data: callers seal values before
// they reach it. It runs SQLite in WAL mode with synchronous=FULL, so a
// committed transaction is on disk when Commit returns.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/fieldreg/fieldreg/internal/safefile"
)

// driverName is mattn/go-sqlite3 with the connection settings the DSN cannot
// carry: no automatic WAL checkpoints in the committing writer (they would
// put an fsync of the database file into one registration in thirty); the
// store checkpoints in the background instead.
const driverName = "sqlite3_fieldreg"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA wal_autocheckpoint = 0", nil)
		if err == nil {
			// A WAL grown by a bulk write is cut back to this size once
			// checkpointed, instead of keeping its peak on a tablet's disk.
			_, err = c.Exec(fmt.Sprintf("PRAGMA journal_size_limit = %d", walLimit), nil)
		}
		return err
	}})
}

// ErrTooNew is returned when the database was written by a newer fieldreg.
var ErrTooNew = errors.New("this data was written by a newer version of fieldreg; update the app to open it (nothing was changed)")

// ErrNotFound is returned when a record, officer or setting does not exist.
var ErrNotFound = errors.New("not found")

// FileName is the database file inside the data directory.
const FileName = "fieldreg.db"

// Store is an open database. It is safe for concurrent use.
type Store struct {
	db        *sql.DB
	path      string
	walMax    int64
	walCheck  time.Duration
	gate      sync.RWMutex // held for writing by truncateWAL, for reading by Update
	ckpt      sync.Mutex   // held by whoever checkpoints: one checkpoint at a time
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
	// recent counts the rows of the recent search table (store/recent.go);
	// mergeReq asks the background goroutine to merge them.
	recent   atomic.Int64
	mergeReq chan struct{}
	// prepared holds the statements Tx.exec runs, prepared once for the
	// store (query -> *sql.Stmt): database/sql keeps one prepared copy per
	// connection, so a transaction reuses it instead of preparing again.
	prepared sync.Map
}

// Options tune an opened store; the zero value is the default.
type Options struct {
	// CacheMiB is SQLite's page cache per connection (32 MiB when 0). Bulk
	// writes gain from a large one; the app keeps it small, because on a
	// tablet resident memory matters more.
	CacheMiB int
	// walMax is the WAL size from which it is truncated (walLimit when 0),
	// walCheck how often that is looked at (walCheckInterval when 0);
	// tests lower both.
	walMax   int64
	walCheck time.Duration
}

// Open opens (creating if needed) the database in dir and brings its schema
// up to date. A database from a newer version is refused with ErrTooNew and
// left untouched.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenWith is Open with options.
func OpenWith(dir string, opts Options) (*Store, error) {
	if opts.CacheMiB <= 0 {
		opts.CacheMiB = 32
	}
	// The directory and every file of the database are owner-only,
	// whatever the umask and whoever made the directory: the database holds
	// the officers' key wraps. SQLite gives the -wal and -shm files it
	// creates the mode of the database file; existing ones are fixed here.
	if err := safefile.PrivateDir(dir); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	path := filepath.Join(dir, FileName)
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	// _txlock=immediate: writers take the lock at BEGIN, so two writers never
	// deadlock upgrading read locks. secure_delete=FAST overwrites freed
	// content where it costs no extra I/O. The statement cache matters for bulk imports.
	dsn := "file:" + path + "?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=" + strconv.Itoa(int(busyTimeout.Milliseconds())) + "&_foreign_keys=on&_txlock=immediate&_secure_delete=FAST&_stmt_cache_size=64&_cache_size=" + strconv.Itoa(-1000*opts.CacheMiB)
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if opts.walMax <= 0 {
		opts.walMax = walLimit
	}
	if opts.walCheck <= 0 {
		opts.walCheck = walCheckInterval
	}
	s := &Store{db: db, path: path, walMax: opts.walMax, walCheck: opts.walCheck, stop: make(chan struct{}), done: make(chan struct{}), mergeReq: make(chan struct{}, 1)}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.countRecent(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	// Once more now that SQLite has made its files, in case it made them
	// under another rule.
	if err := privateFiles(path); err != nil {
		db.Close()
		return nil, err
	}
	go s.checkpointer()
	return s, nil
}

// privateFiles makes the database file (created if missing) and its -wal
// and -shm files owner-only.
func privateFiles(path string) error {
	for i, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := safefile.PrivateFile(p, i == 0); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// checkpointInterval is how often the background checkpointer copies the
// write-ahead log into the database file; walCheckInterval how often it
// looks at the WAL's size.
const (
	checkpointInterval = 2 * time.Second
	walCheckInterval   = 250 * time.Millisecond
)

// checkpointer runs passive checkpoints (they never block writers or
// readers) until Close, and a truncating one whenever the WAL has grown
// past walLimit (truncateWAL). It merges the recent search rows when a
// commit asks for it (store/recent.go), off the saving goroutine; a merge
// that fails leaves them where search reads them, for the next request.
func (s *Store) checkpointer() {
	defer close(s.done)
	t := time.NewTicker(s.walCheck)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case <-s.mergeReq:
			_ = s.MergeRecent(context.Background())
		case <-t.C:
			if fi, err := os.Stat(s.path + "-wal"); err == nil && fi.Size() > s.walMax {
				s.truncateWAL()
				last = time.Now()
			} else if time.Since(last) >= checkpointInterval && s.ckpt.TryLock() {
				// Not while a bulk writer checkpoints (Checkpoint).
				_, _ = s.db.Exec("PRAGMA wal_checkpoint(PASSIVE)")
				s.ckpt.Unlock()
				last = time.Now()
			}
		}
	}
}

// truncateWAL checkpoints the whole WAL and truncates it to nothing. A
// passive checkpoint never lets the WAL start over while writes follow one
// another without a pause (a hub taking a 100,000-event push: its WAL grew
// to 240 MB and kept that size until the hub stopped); a truncating one
// makes new writers wait while it copies, here at most truncateWait for
// the readers of older snapshots, then gives up until the next look.
// Durability is not touched: every commit was durable in the WAL already.
func (s *Store) truncateWAL() {
	ctx := context.Background()
	c, err := s.db.Conn(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", truncateWait.Milliseconds())); err != nil {
		return
	}
	// Writers through Update wait at the gate meanwhile: SQLite's own
	// wait for the write lock loses every race against a writer that
	// begins again at once.
	s.ckpt.Lock()
	s.gate.Lock()
	_, _ = c.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	s.gate.Unlock()
	s.ckpt.Unlock()
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds())); err != nil {
		// A connection left with the short wait must not serve writers.
		_ = c.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// busyTimeout is how long a statement waits for a lock (the DSN's
// _busy_timeout); truncateWait how long a truncating checkpoint waits.
const (
	busyTimeout  = 10 * time.Second
	truncateWait = 250 * time.Millisecond
)

// walLimit is the size the WAL is cut back to after a checkpoint.
const walLimit = 32 << 20

// Checkpoint copies the WAL into the database file now, without waiting for
// readers or writers (a passive checkpoint), so the next write transaction
// starts the WAL over instead of growing it. Bulk writers call it between
// their durable commits to keep the WAL bounded by one batch; it changes
// nothing about what is durable (a commit already is).
//
// It waits for any other checkpoint of this store (the background
// checkpointer's) and then copies what is left: a checkpoint running
// at the same time makes SQLite's give up at once, and the next writer
// then appends to the WAL instead of starting it over (a bulk writer's
// WAL grew to two batches, past walLimit, and the truncation that followed
// held writers for a second). Readers of an older snapshot hold back
// part of the log; it tries again briefly, up to checkpointTries times.
func (s *Store) Checkpoint() error {
	s.ckpt.Lock()
	defer s.ckpt.Unlock()
	for try := 1; ; try++ {
		var busy, log, done int
		if err := s.db.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &log, &done); err != nil {
			return fmt.Errorf("store: checkpoint: %w", err)
		}
		if done >= log || try == checkpointTries {
			return nil
		}
		time.Sleep(checkpointRetry)
	}
}

// checkpointTries is how many times Checkpoint tries to copy the whole
// WAL, checkpointRetry apart, while readers hold part of it back.
const (
	checkpointTries = 20
	checkpointRetry = 5 * time.Millisecond
)

// Close closes the database, checkpointing the WAL.
// Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		_, _ = s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
		s.prepared.Range(func(_, st any) bool {
			st.(*sql.Stmt).Close()
			return true
		})
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}

// DB exposes the handle to the packages of this module that add their own
// tables (sync state); the UI never uses it.
func (s *Store) DB() *sql.DB { return s.db }

var migrations = []string{
	// 1: the foundation.
	`CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
	CREATE TABLE officers(
		id TEXT PRIMARY KEY, name TEXT NOT NULL, supervisor INTEGER NOT NULL DEFAULT 0,
		wrap BLOB NOT NULL, failed INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0,
		locked INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, removed INTEGER NOT NULL DEFAULT 0);
	CREATE TABLE events(
		origin TEXT NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL,
		officer TEXT NOT NULL, record TEXT NOT NULL, op TEXT NOT NULL, payload BLOB NOT NULL, sig BLOB NOT NULL,
		received INTEGER NOT NULL, PRIMARY KEY(origin, epoch, seq)) WITHOUT ROWID;
	CREATE INDEX events_record ON events(record);
	CREATE TABLE records(
		id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL, grp BLOB,
		summary BLOB NOT NULL, state BLOB NOT NULL, tokens BLOB NOT NULL);
	CREATE INDEX records_created ON records(created);
	CREATE INDEX records_grp ON records(grp);
	CREATE TABLE search(token BLOB NOT NULL, record TEXT NOT NULL, PRIMARY KEY(token, record)) WITHOUT ROWID;
	CREATE TABLE audit(
		seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, officer TEXT NOT NULL, action TEXT NOT NULL,
		record TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '', hash BLOB NOT NULL, mac BLOB NOT NULL);`,
	// 2: sync (store/sync.go). logs keeps each event log's contiguous
	// high-water mark up to date on every insert, so a peer's version vector
	// is read from a few rows instead of a scan of every event.
	migrationSync,
	// 3: the records list reads IDs in registration order from the index
	// alone, without walking the table (whose rows carry the sealed states):
	// listing 100,000 records then touches a few megabytes, not hundreds.
	`DROP INDEX records_created;
	CREATE INDEX records_created ON records(created, id);`,
	// 4: questions to the regional joint database ("registered
	// elsewhere?") and their answers (store/elsewhere.go).
	migrationElsewhere,
	// 5: officer rows carry an authentication code (device/officers.go);
	// rows of earlier versions have none until the next unlock.
	`ALTER TABLE officers ADD COLUMN mac BLOB NOT NULL DEFAULT x'';`,
	// 6: known-lost slots of event logs (store/sync.go), so one quarantined
	// event does not hold back its log's acknowledgement.
	migrationHoles,
	// 7: the identities of lines saved by bulk imports (store/imports.go).
	migrationImports,
	// 8: tombstones of erased records (store/erase.go).
	migrationErased,
	// 9: the per-day aggregate of the figures and the facts each record
	// was counted with (store/stats.go).
	migrationStats,
	// 10: the occupancy projection: sealed stays, counts per centre and
	// section (store/occupancy.go).
	migrationOccupancy,
	// 11: the search index by generation (store/ops.go, genShift), so that
	// the cost of a save does not grow with the database; records get a
	// number, their token list goes (old rows are found in the index), and
	// so does their sealed state (folded from the events when read).
	migrationSearchGenerations,
	// 12: a record's counted fact on its own row (store/stats.go), not in
	// a table keyed by the random registration ID.
	migrationFactsOnRecords,
	// 13: the recent search rows (store/recent.go): a single save appends
	// its tokens instead of writing a page of the index for each.
	migrationSearchRecent,
	// 14: records are found by group with grp = ?, never by a NULL group:
	// the index leaves out the records of no group, and a single
	// registration writes one page fewer.
	migrationGroupIndex,
}

// migrationGroupIndex makes the index of records by group partial.
const migrationGroupIndex = `DROP INDEX records_grp;
	CREATE INDEX records_grp ON records(grp) WHERE grp IS NOT NULL;`

// migrationSearchGenerations rebuilds records with a number (INTEGER
// PRIMARY KEY: stable, unlike an implicit rowid under VACUUM), given in
// registration order, without their token lists and sealed states, and the
// search index keyed by (generation, token, number), keeping the first 8
// bytes of each token. The pages the old tables freed are reused by the
// next registrations (the file does not shrink without a VACUUM).
const migrationSearchGenerations = `CREATE TABLE records_new(
		n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, created INTEGER NOT NULL, updated INTEGER NOT NULL,
		grp BLOB, summary BLOB NOT NULL);
	INSERT INTO records_new(id, created, updated, grp, summary)
		SELECT id, created, updated, grp, summary FROM records ORDER BY created, id;
	CREATE TABLE search_new(gen INTEGER NOT NULL, tok BLOB NOT NULL, n INTEGER NOT NULL, PRIMARY KEY(gen, tok, n)) WITHOUT ROWID;
	INSERT OR IGNORE INTO search_new(gen, tok, n)
		SELECT r.n >> 10, substr(s.token, 1, 8), r.n FROM search s JOIN records_new r ON r.id = s.record ORDER BY 1, 2, 3;
	DROP TABLE search;
	ALTER TABLE search_new RENAME TO search;
	DROP TABLE records;
	ALTER TABLE records_new RENAME TO records;
	CREATE INDEX records_created ON records(created, id);
	CREATE INDEX records_grp ON records(grp);`

// SchemaVersion is the schema this build writes.
func SchemaVersion() int { return len(migrations) }

func (s *Store) migrate(ctx context.Context) error {
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("store: %s is not a fieldreg database or is damaged: %w", FileName, err)
	}
	if v > len(migrations) {
		return ErrTooNew
	}
	for i := v; i < len(migrations); i++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("store: migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1)); err != nil {
			tx.Rollback()
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("store: migration %d: %w", i+1, err)
		}
	}
	return nil
}

// Tx is a write transaction. Every write of fieldreg happens inside one, so a
// registration is stored whole or not at all.
type Tx struct {
	tx *sql.Tx
	s  *Store
	// Caches valid for this transaction only (writers are serialised by
	// BEGIN IMMEDIATE): the last audit entry and the next sequence number of
	// each log, so a batch of registrations does not query them per record.
	lastAudit *AuditEntry
	nextSeq   map[seqKey]uint64
	// stmts holds the statements of exec, prepared once per transaction:
	// a batch inserts thousands of rows with the same few statements, and
	// SQLite's parsing and planning of each was a sixth of a bulk import's
	// write.
	stmts map[string]*sql.Stmt
	// recentDelta is how many rows the transaction added to the recent
	// search table, less those it deleted.
	recentDelta int64
}

// stmt returns query prepared for this transaction (for statements run
// many times in one write, or once in every small one): the store's
// statement, prepared once on each connection (Store.prepared), bound to
// the transaction once. A single registration runs a dozen statements;
// preparing them anew in every transaction was a tenth of its CPU time.
func (t *Tx) stmt(query string) (*sql.Stmt, error) {
	st, ok := t.stmts[query]
	if !ok {
		shared, err := t.s.prepare(query)
		if err != nil {
			return nil, err
		}
		st = t.tx.Stmt(shared)
		if t.stmts == nil {
			t.stmts = map[string]*sql.Stmt{}
		}
		t.stmts[query] = st
	}
	return st, nil
}

// prepare returns query prepared for the store, once.
func (s *Store) prepare(query string) (*sql.Stmt, error) {
	if st, ok := s.prepared.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.Prepare(query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.prepared.LoadOrStore(query, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// exec runs query with args through a statement prepared once for this
// transaction.
func (t *Tx) exec(query string, args ...any) (sql.Result, error) {
	st, err := t.stmt(query)
	if err != nil {
		return nil, err
	}
	return st.Exec(args...)
}

// queryRow runs query with args through a statement prepared once for
// this transaction; a failed preparation is the row's error.
func (t *Tx) queryRow(query string, args ...any) rowScanner {
	st, err := t.stmt(query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRow(args...)
}

// rowScanner is a row to scan (*sql.Row, or errRow).
type rowScanner interface{ Scan(...any) error }

// errRow is a row whose query could not be prepared.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// close closes the transaction's prepared statements.
func (t *Tx) close() {
	for _, st := range t.stmts {
		st.Close()
	}
	t.stmts = nil
}

type seqKey struct {
	origin string
	epoch  uint64
}

// Update runs fn in a write transaction and commits it durably; an error from
// fn rolls everything back.
func (s *Store) Update(ctx context.Context, fn func(*Tx) error) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	t := &Tx{tx: tx, s: s}
	err = fn(t)
	if err == nil && s.mergeBefore(t) {
		err = t.mergeRecent()
	}
	t.close()
	if err != nil {
		tx.Rollback()
		return diskFull(err)
	}
	if err := tx.Commit(); err != nil {
		return diskFull(fmt.Errorf("store: commit: %w", err))
	}
	s.committed(t)
	return nil
}

// ErrDiskFull is returned when a write found the disk full: nothing of the
// transaction was saved.
var ErrDiskFull = errors.New("the disk is full: nothing of this save was written; free some space and try again")

// diskFull names SQLite's "database or disk is full" as ErrDiskFull.
func diskFull(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		return ErrDiskFull
	}
	return err
}

// Exec runs a statement inside the transaction.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) { return t.tx.Exec(query, args...) }

// QueryRow runs a query inside the transaction.
func (t *Tx) QueryRow(query string, args ...any) *sql.Row { return t.tx.QueryRow(query, args...) }

// Query runs a query inside the transaction.
func (t *Tx) Query(query string, args ...any) (*sql.Rows, error) { return t.tx.Query(query, args...) }
