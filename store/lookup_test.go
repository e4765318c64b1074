package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// Imported finds every stored token across its query batches, a token asked
// twice included, and nothing for tokens never stored.
func TestImportedAcrossBatches(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := func(i int) []byte { return []byte(fmt.Sprintf("token-%06d", i)) }
	var stored [][]byte
	var records []string
	for i := 0; i < 2*importedBatch+100; i += 2 { // every other token stored
		stored = append(stored, tok(i))
		records = append(records, fmt.Sprintf("REC-%d", i))
	}
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.PutImports(stored, records) }); err != nil {
		t.Fatal(err)
	}
	var ask [][]byte
	for i := 2*importedBatch + 99; i >= 0; i-- {
		ask = append(ask, tok(i))
	}
	ask = append(ask, tok(4), tok(5)) // asked again, in another batch
	got, err := s.Imported(ask)
	if err != nil {
		t.Fatal(err)
	}
	for k, tk := range ask {
		var i int
		fmt.Sscanf(string(tk), "token-%d", &i)
		want := ""
		if i%2 == 0 {
			want = fmt.Sprintf("REC-%d", i)
		}
		if got[k] != want {
			t.Fatalf("token %d: got %q, want %q", i, got[k], want)
		}
	}
}

// Unknown leaves out records stored and records erased, across its query
// batches, and keeps the order it was given.
func TestUnknownLeavesOutStoredAndErased(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, toks := lookupRows(2*unknownBatch+50, 3)
	if err := s.Update(context.Background(), func(tx *Tx) error {
		if err := tx.PutNewRecords(rows, toks); err != nil {
			return err
		}
		_, err := tx.Exec("INSERT INTO erased(record, at, reason) VALUES(?, 1, x'00')", lookupID(7))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var ask, want []string
	for i := 2*unknownBatch + 49; i >= 0; i-- {
		ask = append(ask, lookupID(i))
		if i%3 != 0 && i != 7 {
			want = append(want, lookupID(i))
		}
	}
	got, err := s.Unknown(ask)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %d unknown, want %d (first %v, want %v)", len(got), len(want), got[:3], want[:3])
	}
}

// RecordsExisting names the stored records among ids, and ErasedAmong the
// erased ones, across their query batches, inside a transaction.
func TestRecordsExisting(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, toks := lookupRows(2*unknownBatch+10, 4)
	var ask []string
	for i := 0; i < 2*unknownBatch+10; i++ {
		ask = append(ask, lookupID(i))
	}
	if err := s.Update(context.Background(), func(tx *Tx) error {
		if err := tx.PutNewRecords(rows, toks); err != nil {
			return err
		}
		got, err := tx.RecordsExisting(ask)
		if err != nil {
			return err
		}
		for i, x := range ask {
			if got[x] != (i%4 == 0) {
				t.Errorf("%s: existing %v", x, got[x])
			}
		}
		if len(got) != len(rows) {
			t.Errorf("%d existing, want %d", len(got), len(rows))
		}
		if _, err := tx.Exec("INSERT INTO erased(record, at, reason) VALUES(?, 1, x'00')", lookupID(5)); err != nil {
			return err
		}
		gone, err := tx.ErasedAmong(ask)
		if err != nil {
			return err
		}
		if len(gone) != 1 || !gone[lookupID(5)] {
			t.Errorf("erased among: %v, want only %s", gone, lookupID(5))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// lookupID is the i-th registration ID of the look-up tests.
func lookupID(i int) string { return fmt.Sprintf("BIH-%07d", i) }

// lookupRows are projections of every step-th record below n, without
// search tokens.
func lookupRows(n, step int) ([]RecordRow, [][][]byte) {
	var rows []RecordRow
	var toks [][][]byte
	for i := 0; i < n; i += step {
		rows = append(rows, RecordRow{ID: lookupID(i), Created: int64(i + 1), Updated: int64(i + 1), Summary: []byte("sealed")})
		toks = append(toks, nil)
	}
	return rows, toks
}
