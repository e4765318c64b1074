package store

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/fieldreg/fieldreg/stats"
)

// TestMigrateFactsOnRecords: a device store of the schema before this
// migration (facts in stat_facts, keyed by registration ID) is migrated
// with every fact kept and found where it was: a record's on its row, the
// facts of records without a row (a hub's) and the marker rows still in
// stat_facts; a record never counted stays uncounted.
func TestMigrateFactsOnRecords(t *testing.T) {
	dir, db, before := schemaBefore(t, migrationFactsOnRecords)
	const n = 50
	for i := range n {
		id := fmt.Sprintf("BIH-%05d", i)
		if _, err := db.Exec("INSERT INTO records(id, created, updated, summary) VALUES(?, ?, ?, x'00')", id, i, i); err != nil {
			t.Fatal(err)
		}
		if i%10 == 9 {
			continue // never counted
		}
		if _, err := db.Exec("INSERT INTO stat_facts(record, fact) VALUES(?, ?)", id, []byte("fact-"+id)); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"~all-counted", "HUB-ONLY-1"} {
		if _, err := db.Exec("INSERT INTO stat_facts(record, fact) VALUES(?, ?)", id, []byte("fact-"+id)); err != nil {
			t.Fatal(err)
		}
	}
	s := upgrade(t, dir, db, before)
	for i := range n {
		id := fmt.Sprintf("BIH-%05d", i)
		b, err := s.StatFact(id)
		if i%10 == 9 {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s was never counted: %q %v", id, b, err)
			}
			continue
		}
		if err != nil || string(b) != "fact-"+id {
			t.Errorf("%s: %q %v", id, b, err)
		}
	}
	for _, id := range []string{"~all-counted", "HUB-ONLY-1"} {
		if b, err := s.StatFact(id); err != nil || string(b) != "fact-"+id {
			t.Errorf("%s: %q %v", id, b, err)
		}
	}
	var left int
	if err := s.db.QueryRow("SELECT count(*) FROM stat_facts").Scan(&left); err != nil || left != 2 {
		t.Errorf("%d rows left in stat_facts (%v), want the 2 without a record", left, err)
	}
	rows, err := s.Uncounted(100)
	if err != nil || len(rows) != n/10 {
		t.Fatalf("uncounted: %d %v, want %d", len(rows), err, n/10)
	}
	for _, r := range rows {
		if r.ID[len(r.ID)-1] != '9' {
			t.Errorf("%s listed as uncounted", r.ID)
		}
	}
}

// TestPutCountedWhereFactsGo: a fact goes on its record's row when the
// record has one (PutNewRecords writes it with the row), in stat_facts
// otherwise; a nil fact adds the cells and leaves the stored fact.
func TestPutCountedWhereFactsGo(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	days := map[string][]stats.Cell{}
	merge := func(day string, _ []byte, add []stats.Cell) ([]byte, error) {
		days[day] = append(days[day], add...)
		return []byte("sealed-" + day), nil
	}
	cell := stats.Cell{Day: "2026-12-01", Dim: stats.DimTotal, N: 1}
	ctx := context.Background()
	if err := s.Update(ctx, func(tx *Tx) error {
		if err := tx.PutNewRecords([]RecordRow{{ID: "BIH-A", Created: 1, Updated: 1, Summary: []byte{1}, Fact: []byte("fact-a")},
			{ID: "BIH-B", Created: 2, Updated: 2, Summary: []byte{2}}}, [][][]byte{{testToken(1)}, {testToken(2)}}); err != nil {
			return err
		}
		return tx.PutCounted([]Counted{{Record: "BIH-A", Cells: []stats.Cell{cell}}, {Record: "BIH-B", Fact: []byte("fact-b"), Cells: []stats.Cell{cell}},
			{Record: "HUB-ONLY", Fact: []byte("fact-h")}}, merge)
	}); err != nil {
		t.Fatal(err)
	}
	if got := days["2026-12-01"]; len(got) != 1 || got[0].N != 2 {
		t.Errorf("cells added: %+v, want one of 2", got)
	}
	for id, want := range map[string]string{"BIH-A": "fact-a", "BIH-B": "fact-b", "HUB-ONLY": "fact-h"} {
		if b, err := s.StatFact(id); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", id, b, err, want)
		}
	}
	var onRows, inTable int
	s.db.QueryRow("SELECT count(fact) FROM records").Scan(&onRows)
	s.db.QueryRow("SELECT count(*) FROM stat_facts").Scan(&inTable)
	if onRows != 2 || inTable != 1 {
		t.Errorf("%d facts on records' rows, %d in stat_facts; want 2 and 1", onRows, inTable)
	}
	if _, err := s.StatFact("BIH-NONE"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a record never counted: %v", err)
	}
}
