package sqlite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hubstore.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestMigrateOlder: a hub database of an earlier build (federation tables
// made on demand, no schema_version) opens, is migrated, keeps its rows.
func TestMigrateOlder(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = st.DB().Exec(`CREATE TABLE fed_countries(client TEXT PRIMARY KEY, country TEXT NOT NULL, sharing TEXT NOT NULL) WITHOUT ROWID;
		INSERT INTO fed_countries VALUES('client-1', 'BIH', 'full');`)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.CountrySharing(context.Background(), "client-1"); err != nil || v != "full" {
		t.Fatalf("kept row = %q, %v", v, err)
	}
	var v int
	if err := s.db.QueryRow("SELECT version FROM schema_version").Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("version = %d, %v", v, err)
	}
}

// TestRefuseNewer: a database of a newer reghub is refused, untouched.
func TestRefuseNewer(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("UPDATE schema_version SET version = ?", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(filepath.Join(dir, FileName))
	if _, err := Open(dir); !errors.Is(err, hubstore.ErrTooNew) {
		t.Fatalf("err = %v, want ErrTooNew", err)
	}
	after, _ := os.ReadFile(filepath.Join(dir, FileName))
	if string(before) != string(after) {
		t.Fatal("the newer database was changed")
	}
}

// TestSealPlainStats: an aggregate kept in plaintext by an earlier reghub
// is sealed, and afterwards no byte of the database file (nor its
// write-ahead log) holds one of its labels or counts.
func TestSealPlainStats(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range storetest.PlainCells {
		for _, q := range []struct{ table, col, when string }{{"stat_days", "day", c.Day}, {"stat_months", "month", c.Day[:7]}} {
			if _, err := s.db.Exec("INSERT INTO "+q.table+"(dim, "+q.col+", station, category, code, n) VALUES(?,?,?,?,?,?)",
				c.Dim, q.when, c.Station, c.Category, c.Code, c.N); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The earlier build's rows are on disk: the scan below must see them.
	if _, err := s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	if !fileHolds(t, dir, "KLADUSA-WEST") {
		t.Fatal("the plaintext rows did not reach the file: the scan proves nothing")
	}
	storetest.SealMigration(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, l := range storetest.PlainLabels {
		if fileHolds(t, dir, l) {
			t.Errorf("the database file still holds %q", l)
		}
	}
}

// fileHolds reports whether a file of the hub's database holds s.
func fileHolds(t *testing.T, dir, s string) bool {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, FileName+"*"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
