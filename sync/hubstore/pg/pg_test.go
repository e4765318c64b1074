package pg

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"github.com/fieldreg/fieldreg/sync/hubstore/storetest"
	"github.com/jackc/pgx/v5"
)

func open(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hubstore.Store { return open(t, pgtest.DB(t)) })
}

// TestMigrations: two stores opening one new database at once migrate it
// once; a database of a newer reghub is refused with a clear message.
func TestMigrations(t *testing.T) {
	dsn := pgtest.DB(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := Open(context.Background(), dsn)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s := open(t, dsn)
	ctx := context.Background()
	var v int
	if err := s.pool.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil || v != SchemaVersion() {
		t.Fatalf("version = %d, %v", v, err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE schema_version SET version = $1", SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	_, err := Open(ctx, dsn)
	if !errors.Is(err, hubstore.ErrTooNew) || !strings.Contains(err.Error(), "newer reghub") {
		t.Fatalf("err = %v, want ErrTooNew", err)
	}
}

// TestUnreachable: a database that cannot be reached is a clear error.
func TestUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := Open(ctx, "postgres://nobody:secret-pass@127.0.0.1:1/none?sslmode=disable&connect_timeout=3")
	if !errors.Is(err, hubstore.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret-pass") {
		t.Fatalf("the password is in the error: %v", err)
	}
}

// TestMigrateOlder: a database at schema 1 (before holes) is brought to
// the current schema when opened, its rows kept.
func TestMigrateOlder(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DB(t)
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{migrations[0], "CREATE TABLE schema_version(version INTEGER NOT NULL)", "INSERT INTO schema_version VALUES(1)",
		"INSERT INTO meta(key, value) VALUES('revocations', 'list')"} {
		if _, err := c.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	c.Close(ctx)
	s := open(t, dsn)
	var v int
	if err := s.pool.QueryRow(ctx, "SELECT version FROM schema_version").Scan(&v); err != nil || v != SchemaVersion() || v < 2 {
		t.Fatalf("version = %d, %v", v, err)
	}
	if got, err := s.GetMeta(ctx, "revocations"); err != nil || string(got) != "list" {
		t.Fatalf("kept row = %q, %v", got, err)
	}
	if _, err := s.Holes(ctx, vector.Key{Origin: "dev-a", Epoch: 1}, 1, 10, 10); err != nil {
		t.Fatalf("the new table: %v", err)
	}
}

// TestSealPlainStats: an aggregate kept in plaintext by an earlier reghub
// is sealed; afterwards no row of the statistics tables, read as text by
// SQL, holds one of its labels, and the plaintext tables are empty.
func TestSealPlainStats(t *testing.T) {
	s := open(t, pgtest.DB(t))
	ctx := context.Background()
	for _, c := range storetest.PlainCells {
		for _, q := range []struct{ table, col, when string }{{"stat_days", "day", c.Day}, {"stat_months", "month", c.Day[:7]}} {
			if _, err := s.pool.Exec(ctx, "INSERT INTO "+q.table+"(dim, "+q.col+", station, category, code, n) VALUES($1,$2,$3,$4,$5,$6)",
				c.Dim, q.when, c.Station, c.Category, c.Code, c.N); err != nil {
				t.Fatal(err)
			}
		}
	}
	storetest.SealMigration(t, s)
	for _, l := range append(storetest.PlainLabels, "731") {
		var n int
		err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM stat_rows WHERE position(convert_to($1::text, 'UTF8') IN cells) > 0 OR position($1::text IN kind || period) > 0)
			+ (SELECT count(*) FROM stat_days) + (SELECT count(*) FROM stat_months)`, l).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%d rows of the statistics tables hold %q or are plaintext", n, l)
		}
	}
}
