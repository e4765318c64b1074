package sqlite

import (
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
