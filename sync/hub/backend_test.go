package hub

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
)

// A hub on PostgreSQL keeps its keys in its directory and its data in the
// database; a second init on the same database is refused and leaves the
// second directory without a hub; a bad address changes nothing.
func TestInitPostgres(t *testing.T) {
	dsn := pgtest.DB(t)
	dir := t.TempDir()
	if err := Init(context.Background(), dir, InitConfig{Country: "BIH", Passphrase: pass, DB: "mysql://nowhere"}, lowOpts()); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Fatalf("a wrong address: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("a refused init left %d files", len(entries))
	}
	if err := Init(context.Background(), dir, InitConfig{Country: "BIH", Passphrase: pass, DB: dsn}, lowOpts()); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{KeysFile, DatabaseFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", f, fi, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "fieldreg.db")); err == nil {
		t.Fatal("a hub on PostgreSQL made a SQLite file")
	}
	if err := Init(context.Background(), dir, InitConfig{Country: "BIH", Passphrase: pass, DB: dsn}, lowOpts()); !errors.Is(err, ErrInitialised) {
		t.Fatalf("init again in the same directory: %v", err)
	}
	other := t.TempDir()
	err := Init(context.Background(), other, InitConfig{Country: "SRB", Passphrase: pass, DB: dsn}, lowOpts())
	if err == nil || !strings.Contains(err.Error(), "already holds a hub") {
		t.Fatalf("a second hub on the same database: %v", err)
	}
	if entries, _ := os.ReadDir(other); len(entries) != 0 {
		t.Fatalf("the refused directory holds %d files", len(entries))
	}
	h, err := Open(context.Background(), dir, pass, lowOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.Backend() != "postgres" || h.Country() != "BIH" {
		t.Fatalf("backend %s, country %s", h.Backend(), h.Country())
	}
	// The keys are not in the database.
	m, err := h.Store().Metas(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range localKeys {
		if _, ok := m[k]; ok {
			t.Errorf("%s is in the database", k)
		}
	}
	if _, err := Open(context.Background(), dir, []byte("a wrong passphrase"), lowOpts()); !errors.Is(err, ErrWrongPass) {
		t.Fatalf("wrong passphrase: %v", err)
	}
}

// Two servers of one hub share each caller's question budget: asked
// through both in turn, a device gets its burst once, then one question
// per interval; another device keeps its own.
func TestQuestionBudgetShared(t *testing.T) {
	dir := t.TempDir()
	cfg := InitConfig{Country: "BIH", Passphrase: pass}
	if pgtest.Postgres() {
		cfg.DB = pgtest.DB(t)
	}
	if err := Init(context.Background(), dir, cfg, lowOpts()); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	opts := lowOpts()
	opts.Now = func() time.Time { return now }
	opts.Questions = QuestionLimit{Burst: 3, PerHour: 2}
	var servers []*Hub
	for range 2 {
		h, err := Open(context.Background(), dir, pass, opts)
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		servers = append(servers, h)
	}
	ctx := context.Background()
	ask := func(i int, caller string) bool {
		ok, err := servers[i%2].ask.take(ctx, caller)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	for i := range 3 {
		if !ask(i, "dev-x") {
			t.Fatalf("question %d refused within the burst", i+1)
		}
	}
	if ask(3, "dev-x") || ask(4, "dev-x") {
		t.Fatal("a fourth question allowed through the other server")
	}
	if !ask(5, "dev-y") {
		t.Fatal("another device's budget was used")
	}
	now = now.Add(30 * time.Minute) // one question back (2 per hour)
	if !ask(6, "dev-x") || ask(7, "dev-x") {
		t.Fatal("the refill is not one question per half hour")
	}
}
