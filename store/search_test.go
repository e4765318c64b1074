package store

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testToken is a 16-byte token made from i: different i, different first
// 8 bytes.
func testToken(i int) []byte {
	t := make([]byte, tokenSize)
	copy(t, fmt.Sprintf("%08d", i))
	return t
}

// schemaBefore makes a database in a new directory with every migration
// before m (the lead may order them anew) and returns the directory, the
// open database and m's index in migrations.
func schemaBefore(t *testing.T, m string) (string, *sql.DB, int) {
	t.Helper()
	dir := t.TempDir()
	db, err := sql.Open(driverName, "file:"+filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Index(migrations, m)
	for _, m := range migrations[:before] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	return dir, db, before
}

// upgrade marks db (made by schemaBefore) as of the schema before
// migration before, closes it and opens it as a store, which runs the
// migrations from there.
func upgrade(t *testing.T, dir string, db *sql.DB, before int) *Store {
	t.Helper()
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", before)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrateSearchGenerations: a database of the schema before this
// migration (records with their
// token lists and sealed states, the search index keyed by token) is
// migrated with its records kept, in registration order, and every token
// still finds its records.
func TestMigrateSearchGenerations(t *testing.T) {
	dir, db, before := schemaBefore(t, migrationSearchGenerations)
	// 2,500 records (three generations), registered newest ID first, each
	// with the token of its number, of its number's tens, and one shared.
	const n = 2500
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		toks := [][]byte{testToken(i), testToken(100000 + i/10), testToken(999999)}
		id := fmt.Sprintf("BIH-%05d", n-i)
		if _, err := tx.Exec("INSERT INTO records(id, created, updated, summary, state, tokens) VALUES(?, ?, ?, ?, x'00', ?)",
			id, i, i, []byte{byte(i)}, bytes.Join(toks, nil)); err != nil {
			t.Fatal(err)
		}
		for _, tok := range toks {
			if _, err := tx.Exec("INSERT INTO search(token, record) VALUES(?, ?)", tok, id); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s := upgrade(t, dir, db, before)
	if c, _ := s.CountRecords(); c != n {
		t.Fatalf("%d records after the migration, want %d", c, n)
	}
	// Numbered in registration order, not in ID order.
	var first string
	if err := s.db.QueryRow("SELECT id FROM records WHERE n = 1").Scan(&first); err != nil || first != fmt.Sprintf("BIH-%05d", n) {
		t.Fatalf("record number 1: %q %v", first, err)
	}
	var rows, gens int
	s.db.QueryRow("SELECT count(*), count(DISTINCT gen) FROM search").Scan(&rows, &gens)
	if rows != 3*n || gens != 3 {
		t.Fatalf("%d search rows in %d generations, want %d in 3", rows, gens, 3*n)
	}
	for _, i := range []int{0, 1023, 1024, 2499} {
		ids, err := s.Find(Filter{TokenSets: [][][]byte{{testToken(i)}}})
		if want := fmt.Sprintf("BIH-%05d", n-i); err != nil || len(ids) != 1 || ids[0] != want {
			t.Errorf("token %d: %v %v, want %s", i, ids, err, want)
		}
	}
	// Two sets: ANDed.
	ids, err := s.Find(Filter{TokenSets: [][][]byte{{testToken(100000 + 102)}, {testToken(1025), testToken(7)}}})
	if err != nil || len(ids) != 1 || ids[0] != fmt.Sprintf("BIH-%05d", n-1025) {
		t.Errorf("two sets: %v %v", ids, err)
	}
	if ids, _ := s.Find(Filter{TokenSets: [][][]byte{{testToken(999999)}}, Limit: 5000}); len(ids) != n {
		t.Errorf("the shared token finds %d records, want %d", len(ids), n)
	}
	if r, err := s.Record("BIH-00001"); err != nil || r.Created != n-1 || r.Summary[0] != byte((n-1)%256) {
		t.Errorf("a record after the migration: %+v %v", r, err)
	}
}

// TestPutRecordReplacesTokens: a record written again keeps its number and
// is found by its new tokens only, in whichever generation it lives; the
// other records keep theirs.
func TestPutRecordReplacesTokens(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 1500
	rows := make([]RecordRow, n)
	toks := make([][][]byte, n)
	for i := range rows {
		rows[i] = RecordRow{ID: fmt.Sprintf("BIH-%05d", i), Created: int64(i), Summary: []byte{1}}
		toks[i] = [][]byte{testToken(i), testToken(50000)}
	}
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.PutNewRecords(rows, toks) }); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 1400} {
		r := rows[i]
		r.Summary = []byte{2}
		if err := s.Update(context.Background(), func(tx *Tx) error {
			return tx.PutRecord(r, [][]byte{testToken(70000 + i)}, false)
		}); err != nil {
			t.Fatal(err)
		}
		if ids, _ := s.Find(Filter{TokenSets: [][][]byte{{testToken(i)}}}); len(ids) != 0 {
			t.Errorf("record %d found by its old token: %v", i, ids)
		}
		if ids, _ := s.Find(Filter{TokenSets: [][][]byte{{testToken(70000 + i)}}}); len(ids) != 1 || ids[0] != r.ID {
			t.Errorf("record %d by its new token: %v", i, ids)
		}
	}
	ids, _ := s.Find(Filter{TokenSets: [][][]byte{{testToken(50000)}}, Limit: 5000})
	slices.Sort(ids)
	if len(ids) != n-2 || slices.Contains(ids, "BIH-00003") || slices.Contains(ids, "BIH-01400") {
		t.Errorf("the shared token finds %d records, want %d without the rewritten two", len(ids), n-2)
	}
	if c, _ := s.CountRecords(); c != n {
		t.Fatalf("%d records, want %d", c, n)
	}
	// A token of the wrong size is refused by writes and searches alike.
	if _, err := s.Find(Filter{TokenSets: [][][]byte{{[]byte("short")}}}); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("a short search token: %v", err)
	}
	if err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.PutRecord(RecordRow{ID: "BIH-X", Summary: []byte{1}}, [][]byte{[]byte("short")}, true)
	}); err == nil {
		t.Error("a short token written")
	}
	if _, err := s.Record("BIH-X"); err != ErrNotFound {
		t.Errorf("a refused record was stored: %v", err)
	}
}
