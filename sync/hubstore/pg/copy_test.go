package pg

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"github.com/fieldreg/fieldreg/sync/hubstore/sqlite"
	"github.com/fieldreg/fieldreg/sync/hubstore/storetest"
)

// TestCopyFromSQLite: a SQLite hub copied into PostgreSQL holds the same;
// copying again changes nothing; a copy interrupted half-way completes
// when run again.
func TestCopyFromSQLite(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	now := time.Unix(1_700_000_000, 0)
	var evs []*registry.Event
	for i := 1; i <= 5000; i++ {
		evs = append(evs, storetest.Event(fmt.Sprintf("dev-%d", i%3), uint64(i/3+1), fmt.Sprintf("R%d", i%700)))
	}
	err = src.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := tx.InsertEvents(evs, now); err != nil {
			return err
		}
		if err := tx.PutMeta("revocations", []byte("list")); err != nil {
			return err
		}
		if err := tx.PutMeta("hub:wrap", []byte("a key setting")); err != nil {
			return err
		}
		if err := tx.PutCredential(hubstore.CredentialRow{DeviceID: "dev-1", Credential: []byte("c1"), Station: "S"}); err != nil {
			return err
		}
		if err := tx.SetRevoked("dev-1", now); err != nil {
			return err
		}
		if err := tx.Quarantine(storetest.Event("dev-1", 1, "R-FORK"), "forked log", now); err != nil {
			return err
		}
		if err := tx.Flag(evs[0].ID(), "future", now); err != nil {
			return err
		}
		if err := tx.AdmitCountry("client-1", "BIH", "full"); err != nil {
			return err
		}
		if err := tx.MarkPushed(hubstore.Pushed{Record: "R1", N: 2, HLC: 3}); err != nil {
			return err
		}
		if err := tx.PutOperator(hubstore.OperatorRow{Name: "analyst", Secret: []byte("sealed hash"), Created: now}); err != nil {
			return err
		}
		return tx.PutEntry("BIH", hubstore.Entry{Ref: "REF1", Date: "2026-01-01", Place: "P", Category: "asylum",
			Tokens: []hubstore.Token{{Token: []byte("t1"), Kind: "name"}, {Token: []byte("t2"), Kind: "dob"}}, Details: []byte("sealed")}, now)
	})
	if err != nil {
		t.Fatal(err)
	}
	dst := open(t, pgtest.DB(t))
	// Half of the events already there: an interrupted earlier run.
	if err := dst.Update(ctx, func(tx hubstore.Tx) error { _, err := tx.InsertEvents(evs[:2500], now); return err }); err != nil {
		t.Fatal(err)
	}
	skip := func(k string) bool { return k == "hub:wrap" }
	for range 2 {
		rep, err := hubstore.Copy(ctx, src, dst, skip)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Events != 5000 || rep.Credentials != 1 || rep.Quarantined != 1 || rep.Flags != 1 || rep.Entries != 1 || rep.Pushed != 1 || rep.Operators != 1 {
			t.Fatalf("report %+v", rep)
		}
	}
	if _, err := dst.GetMeta(ctx, "hub:wrap"); err == nil {
		t.Fatal("a skipped setting was copied")
	}
	if v, err := dst.GetMeta(ctx, "revocations"); err != nil || string(v) != "list" {
		t.Fatalf("revocations = %q, %v", v, err)
	}
	if o, err := dst.Operator(ctx, "analyst"); err != nil || string(o.Secret) != "sealed hash" {
		t.Fatalf("dashboard account = %+v, %v", o, err)
	}
	if hits, _ := dst.TokenHits(ctx, []byte("t2"), "SRB", 5); len(hits) != 1 || hits[0].Kind != "dob" {
		t.Fatalf("hits = %+v", hits)
	}
	if d, _ := dst.FedDetails(ctx, "BIH", "REF1"); string(d) != "sealed" {
		t.Fatalf("details = %q", d)
	}
	// Verify catches a difference.
	if err := dst.Update(ctx, func(tx hubstore.Tx) error {
		_, err := tx.InsertEvents([]*registry.Event{storetest.Event("dev-9", 1, "R-EXTRA")}, now)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := hubstore.Verify(ctx, src, dst); err == nil {
		t.Fatal("Verify missed an extra event")
	}
}
