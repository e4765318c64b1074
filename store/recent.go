package store

import (
	"cmp"
	"context"
	"encoding/binary"
	"slices"
	"strconv"
	"strings"
)

// The recent search rows: the level 0 of the search index. A single save
// (a registration, a family, an amendment, a record or two received by
// sync) writes its record's ~23 token rows here, keyed by the record's
// number first, so a new record's rows are appended on the last page or
// two of a small table: written into the generations (ops.go), its
// tokens, being keyed hashes, land on ~23 different pages, 19.6 of the 31
// pages a single durable save wrote to the WAL. Search reads both places
// (Find): the generations by seek, this table by a scan of its few
// thousand rows at most. The rows are merged into the generations in
// batches, sorted, in one transaction of their own after a save's commit
// (mergeRecent): a merge of mergeAt rows touches each page of the newest
// generation once, a fraction of a page a record. A kill between a save
// and the merge loses nothing: the rows are in this table, which search
// reads, until the merge's commit moves them whole.
//
// The rows hold exactly what the generations hold (the first keySize
// bytes of each blind-index token and the record's number), and everything
// that deletes a record's search rows (deleteSearch: an amendment, an
// erasure) deletes them here too.
const migrationSearchRecent = `CREATE TABLE search_recent(n INTEGER NOT NULL, tok BLOB NOT NULL, PRIMARY KEY(n, tok)) WITHOUT ROWID;`

// Sizes of the recent rows, in rows (a record has about 23):
//   - recentMax: a write of up to this many rows goes to the recent table
//     (a registration, a family, a few records received by sync); a larger
//     one (a bulk batch, a bundle chunk) is written into the generations
//     directly, sorted, which is cheap per row at that size;
//   - mergeAt: from this many rows in the table, the store merges them into
//     the generations after the commit that passed it, in the background;
//   - mergeHard: a write transaction that would leave more than this (the
//     background merge fell behind), or that itself wrote mergeAt or more
//     (many amendments received in one bundle), merges before its commit.
const (
	recentMax = 1024
	mergeAt   = 4096
	mergeHard = 4 * mergeAt
)

// insertRecent writes search rows into the recent table, in its key order
// (record number, token), as bound values.
func (t *Tx) insertRecent(rows []searchRow) error {
	slices.SortFunc(rows, func(a, b searchRow) int {
		if c := cmp.Compare(a.n, b.n); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	args := make([]any, 0, 2*min(len(rows), tokenBatch))
	for len(rows) > 0 {
		k := min(len(rows), tokenBatch)
		args = args[:0]
		for _, r := range rows[:k] {
			args = append(args, r.n, binary.BigEndian.AppendUint64(nil, r.key))
		}
		res, err := t.exec(insertRecentRows[k], args...)
		if err != nil {
			return err
		}
		added, _ := res.RowsAffected()
		t.recentDelta += added
		rows = rows[k:]
	}
	return nil
}

// insertRecentRows[n] inserts n recent rows as bound values.
var insertRecentRows = func() []string {
	q := make([]string, tokenBatch+1)
	for n := 1; n <= tokenBatch; n++ {
		q[n] = "INSERT OR IGNORE INTO search_recent(n, tok) VALUES" + strings.TrimSuffix(strings.Repeat("(?,?),", n), ",")
	}
	return q
}()

// deleteRecent deletes the recent rows of record number n.
func (t *Tx) deleteRecent(n int64) error {
	res, err := t.tx.Exec("DELETE FROM search_recent WHERE n = ?", n)
	if err != nil {
		return err
	}
	gone, _ := res.RowsAffected()
	t.recentDelta -= gone
	return nil
}

// mergeRecent moves every recent row into the generations, sorted as they
// are kept, inside the transaction: all of them or, if the transaction
// fails, none. The pages the recent table frees are zeroed (secure_delete
// ON; the connections' FAST leaves freed pages as they were): else copies
// of the merged tokens would stay on the free list, where an erasure,
// which deletes the rows it finds, would not reach them.
func (t *Tx) mergeRecent() error {
	if _, err := t.tx.Exec(`INSERT OR IGNORE INTO search(gen, tok, n)
		SELECT n >> ` + strconv.Itoa(genShift) + `, tok, n FROM search_recent ORDER BY 1, 2, 3`); err != nil {
		return err
	}
	if _, err := t.tx.Exec("PRAGMA secure_delete = ON"); err != nil {
		return err
	}
	defer t.tx.Exec("PRAGMA secure_delete = FAST") //nolint:errcheck // restores the connection's default; a failure leaves it stricter
	res, err := t.tx.Exec("DELETE FROM search_recent")
	if err != nil {
		return err
	}
	gone, _ := res.RowsAffected()
	t.recentDelta -= gone
	return nil
}

// MergeRecent merges the recent search rows into the generations now, in
// one durable transaction. The store does it by itself after the commit
// that brings the recent rows to mergeAt; tests and benchmarks call it to
// measure or to see both places.
func (s *Store) MergeRecent(ctx context.Context) error {
	return s.Update(ctx, func(t *Tx) error { return t.mergeRecent() })
}

// RecentRows is how many search rows wait in the recent table, as the
// store counts them (the table's size at open plus every committed change).
func (s *Store) RecentRows() int64 { return s.recent.Load() }

// countRecent reads the recent table's size, when the store opens.
func (s *Store) countRecent(ctx context.Context) error {
	var n int64
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM search_recent").Scan(&n); err != nil {
		return err
	}
	s.recent.Store(n)
	return nil
}

// mergeBefore says whether the transaction t, about to commit, merges the
// recent rows itself: it wrote mergeAt rows or more there, or would leave
// more than mergeHard.
func (s *Store) mergeBefore(t *Tx) bool {
	return t.recentDelta >= mergeAt || (t.recentDelta > 0 && s.recent.Load()+t.recentDelta > mergeHard)
}

// committed counts a committed transaction's recent rows and asks the
// background goroutine for a merge when they pass mergeAt. It never
// waits: the save that passed the mark has returned before the merge
// begins.
func (s *Store) committed(t *Tx) {
	if t.recentDelta == 0 {
		return
	}
	if s.recent.Add(t.recentDelta) >= mergeAt {
		select {
		case s.mergeReq <- struct{}{}:
		default: // one is asked for already
		}
	}
}
