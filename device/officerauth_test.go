package device

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/store"
)

const juniorPass = "junior horse battery"

// tamper runs SQL statements on the device's database file through its own
// connection, as someone holding the tablet's files would.
func tamper(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(dir, store.FileName)+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range stmts {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// makeLegacy turns the closed device in dir into what fieldreg wrote before
// officer rows were authenticated: schema 4, no code column (nor the tables
// of later migrations), and an audit chain (rebuilt with the device's audit
// key) without the entry that says officer rows carry codes.
func makeLegacy(t *testing.T, dir string, auditKey []byte) {
	t.Helper()
	tamper(t, dir, "ALTER TABLE officers DROP COLUMN mac", "DROP TABLE holes", "DROP TABLE imports", "DROP TABLE erased",
		"DROP TABLE stays", "DROP TABLE occupancy", "DROP TABLE occupancy_days",
		"DROP TABLE stat_days", "DROP TABLE stat_months", "DROP TABLE stat_facts", "DROP TABLE stat_sealed",
		// The records and search tables of schema 4 (no registration here).
		"DROP TABLE search", "DROP TABLE search_recent", "DROP TABLE records",
		`CREATE TABLE records(id TEXT PRIMARY KEY, created INTEGER NOT NULL, updated INTEGER NOT NULL, grp BLOB,
			summary BLOB NOT NULL, state BLOB NOT NULL, tokens BLOB NOT NULL)`,
		"CREATE INDEX records_created ON records(created, id)", "CREATE INDEX records_grp ON records(grp)",
		"CREATE TABLE search(token BLOB NOT NULL, record TEXT NOT NULL, PRIMARY KEY(token, record)) WITHOUT ROWID",
		"PRAGMA user_version = 4")
	st, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Opening migrated it again: drop the column's values, keep the shape
	// an upgraded device has right after the migration.
	var entries []store.AuditEntry
	if err := st.Audit(func(e store.AuditEntry) error {
		if e.Action != actionOfficersAuthenticated {
			entries = append(entries, e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		if _, err := tx.Exec("UPDATE officers SET mac = x''"); err != nil {
			return err
		}
		if _, err := tx.Exec("DELETE FROM audit"); err != nil {
			return err
		}
		for _, e := range entries {
			if err := appendAudit(tx, auditKey, e.At, e.Officer, e.Action, e.Record, e.Detail); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// An install from before officer rows were authenticated keeps working:
// its rows get their code at the first unlock (by any officer), once; a
// row stripped of its code later is not taken for an old one.
func TestAttackOfficerRowsMigration(t *testing.T) {
	d, _ := newTestDevice(t)
	dir := d.Dir()
	s := unlock(t, d)
	sup := s.Officer()
	junior, err := s.AddOfficer("Junior Fakeofficer", []byte(juniorPass), false)
	if err != nil {
		t.Fatal(err)
	}
	var auditKey []byte
	_ = s.withKeys(func(k *keys) error { auditKey = slices.Clone(k.audit); return nil })
	s.Lock()
	d.Close()
	makeLegacy(t, dir, auditKey)

	d, err = Open(dir, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	js, err := d.Unlock(junior.ID, []byte(juniorPass))
	if err != nil {
		t.Fatalf("an officer of an earlier version cannot unlock: %v", err)
	}
	if js.Officer().Supervisor {
		t.Fatal("the junior became a supervisor")
	}
	js.Lock()
	s = unlock(t, d)
	if !s.Officer().Supervisor {
		t.Fatal("the supervisor of an earlier version lost the role")
	}
	all, err := s.Officers()
	if err != nil || len(all) != 2 || all[0].Altered || all[1].Altered {
		t.Fatalf("officers after the upgrade: %+v %v", all, err)
	}
	rep, err := s.VerifyAudit()
	if err != nil || !rep.OK {
		t.Fatalf("audit after the upgrade: %+v %v", rep, err)
	}
	s.Lock()

	// Now the junior strips their code and makes themselves a supervisor.
	tamper(t, dir, "UPDATE officers SET mac = x'', supervisor = 1 WHERE name = 'Junior Fakeofficer'")
	if _, err := d.Unlock(junior.ID, []byte(juniorPass)); !errors.Is(err, ErrOfficerAltered) {
		t.Fatalf("stripped row unlocked: %v", err)
	}
	if s, err = d.Unlock(sup.ID, []byte("correct horse battery")); err != nil {
		t.Fatal(err)
	}
	defer s.Lock()
	all, _ = s.Officers()
	for _, o := range all {
		if o.ID == junior.ID && (!o.Altered || o.Supervisor) {
			t.Fatalf("stripped row shown as %+v", o)
		}
	}
	rep, err = s.VerifyAudit()
	if err != nil || rep.OK || !strings.Contains(strings.Join(rep.Problems, "\n"), junior.ID) {
		t.Fatalf("audit does not name the altered row: %+v %v", rep, err)
	}
	// A supervisor cannot vouch for the altered row by resetting its
	// passphrase; removing it is the way.
	if err := s.ResetPassphrase(junior.ID, []byte("another horse battery")); !errors.Is(err, ErrOfficerAltered) {
		t.Fatalf("reset of an altered row: %v", err)
	}
	if err := s.RemoveOfficer(junior.ID); err != nil {
		t.Fatal(err)
	}
	if rep, err = s.VerifyAudit(); err != nil || !rep.OK {
		t.Fatalf("audit after removal: %+v %v", rep, err)
	}
}
