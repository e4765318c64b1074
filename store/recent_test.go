package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
)

// rowsIn counts the search rows of record number n in the recent table and
// in the generations.
func rowsIn(t *testing.T, s *Store, id string) (recent, merged int) {
	t.Helper()
	var n int64
	if err := s.db.QueryRow("SELECT n FROM records WHERE id = ?", id).Scan(&n); err != nil {
		t.Fatalf("record %s: %v", id, err)
	}
	s.db.QueryRow("SELECT count(*) FROM search_recent WHERE n = ?", n).Scan(&recent)
	s.db.QueryRow("SELECT count(*) FROM search WHERE n = ?", n).Scan(&merged)
	return recent, merged
}

// saveOne writes one new record with its tokens, as a single registration.
func saveOne(t *testing.T, s *Store, id string, toks ...[]byte) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.PutNewRecords([]RecordRow{{ID: id, Created: 1, Updated: 1, Summary: []byte{1}}}, [][][]byte{toks})
	}); err != nil {
		t.Fatal(err)
	}
}

// findIDs searches by token sets (ANDed across, ORed within) and sorts.
func findIDs(t *testing.T, s *Store, sets ...[][]byte) []string {
	t.Helper()
	ids, err := s.Find(Filter{TokenSets: sets})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	return ids
}

// TestSearchRecentAndMerged: a single save's tokens go to the recent table,
// where search finds them; the merge moves them whole into the
// generations, where search finds them too; and a search whose token sets
// match one record in the recent table and another in the generations, or
// one record whose tokens are split between the two by an ANDed query,
// finds across both. A bulk batch still writes into the generations.
func TestSearchRecentAndMerged(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	saveOne(t, s, "BIH-A", testToken(1), testToken(100))
	if r, m := rowsIn(t, s, "BIH-A"); r != 2 || m != 0 {
		t.Fatalf("a single save: %d recent rows, %d merged, want 2 and 0", r, m)
	}
	if got := findIDs(t, s, [][]byte{testToken(1)}); !slices.Equal(got, []string{"BIH-A"}) {
		t.Fatalf("found in the recent table: %v", got)
	}
	if s.RecentRows() != 2 {
		t.Fatalf("the store counts %d recent rows, want 2", s.RecentRows())
	}
	if err := s.MergeRecent(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r, m := rowsIn(t, s, "BIH-A"); r != 0 || m != 2 {
		t.Fatalf("after the merge: %d recent rows, %d merged, want 0 and 2", r, m)
	}
	if s.RecentRows() != 0 {
		t.Fatalf("the store counts %d recent rows after the merge", s.RecentRows())
	}
	if got := findIDs(t, s, [][]byte{testToken(1)}); !slices.Equal(got, []string{"BIH-A"}) {
		t.Fatalf("found after the merge: %v", got)
	}
	// B waits in the recent table while A is merged.
	saveOne(t, s, "BIH-B", testToken(2), testToken(100))
	if got := findIDs(t, s, [][]byte{testToken(100)}); !slices.Equal(got, []string{"BIH-A", "BIH-B"}) {
		t.Fatalf("a token of both, one record in each place: %v", got)
	}
	if got := findIDs(t, s, [][]byte{testToken(1), testToken(2)}); !slices.Equal(got, []string{"BIH-A", "BIH-B"}) {
		t.Fatalf("two tokens ORed, one in each place: %v", got)
	}
	if got := findIDs(t, s, [][]byte{testToken(100)}, [][]byte{testToken(2)}); !slices.Equal(got, []string{"BIH-B"}) {
		t.Fatalf("two sets ANDed: %v", got)
	}
	if got := findIDs(t, s, [][]byte{testToken(1)}, [][]byte{testToken(2)}); len(got) != 0 {
		t.Fatalf("two sets ANDed, no record has both: %v", got)
	}
	// A bulk batch (more than recentMax rows) goes to the generations.
	const bulk = recentMax/2 + 1
	rows := make([]RecordRow, bulk)
	toks := make([][][]byte, bulk)
	for i := range rows {
		rows[i] = RecordRow{ID: fmt.Sprintf("BIH-C%04d", i), Created: 2, Summary: []byte{1}}
		toks[i] = [][]byte{testToken(1000 + i), testToken(100)}
	}
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.PutNewRecords(rows, toks) }); err != nil {
		t.Fatal(err)
	}
	if r, m := rowsIn(t, s, "BIH-C0007"); r != 0 || m != 2 {
		t.Fatalf("a bulk batch: %d recent rows, %d merged, want 0 and 2", r, m)
	}
	if got, _ := s.Find(Filter{TokenSets: [][][]byte{{testToken(100)}}, Limit: 5000}); len(got) != bulk+2 {
		t.Fatalf("the shared token finds %d records, want %d", len(got), bulk+2)
	}
	// A family (a few records in one save) goes to the recent table.
	if err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.PutNewRecords([]RecordRow{{ID: "BIH-D1", Summary: []byte{1}}, {ID: "BIH-D2", Summary: []byte{1}}},
			[][][]byte{{testToken(4), testToken(5)}, {testToken(4)}})
	}); err != nil {
		t.Fatal(err)
	}
	if r, _ := rowsIn(t, s, "BIH-D1"); r != 2 {
		t.Fatalf("a family: %d recent rows, want 2", r)
	}
	if got := findIDs(t, s, [][]byte{testToken(4)}); !slices.Equal(got, []string{"BIH-D1", "BIH-D2"}) {
		t.Fatalf("a family: %v", got)
	}
}

// TestPutRecordReplacesTokensInEitherPlace: an amended record is found by
// its new tokens only, whether its old ones wait in the recent table or
// were merged; its new ones wait in the recent table.
func TestPutRecordReplacesTokensInEitherPlace(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	saveOne(t, s, "BIH-M", testToken(1), testToken(100))
	if err := s.MergeRecent(context.Background()); err != nil {
		t.Fatal(err)
	}
	saveOne(t, s, "BIH-R", testToken(2), testToken(100))
	for i, id := range []string{"BIH-M", "BIH-R"} {
		if err := s.Update(context.Background(), func(tx *Tx) error {
			return tx.PutRecord(RecordRow{ID: id, Summary: []byte{2}}, [][]byte{testToken(50 + i), testToken(200)}, false)
		}); err != nil {
			t.Fatal(err)
		}
		if r, m := rowsIn(t, s, id); r != 2 || m != 0 {
			t.Errorf("%s amended: %d recent rows, %d merged, want 2 and 0", id, r, m)
		}
		if got := findIDs(t, s, [][]byte{testToken(1 + i)}); len(got) != 0 {
			t.Errorf("%s found by its old token: %v", id, got)
		}
		if got := findIDs(t, s, [][]byte{testToken(50 + i)}); !slices.Equal(got, []string{id}) {
			t.Errorf("%s by its new token: %v", id, got)
		}
	}
	if got := findIDs(t, s, [][]byte{testToken(100)}); len(got) != 0 {
		t.Errorf("the old shared token: %v", got)
	}
	if err := s.MergeRecent(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := findIDs(t, s, [][]byte{testToken(200)}); !slices.Equal(got, []string{"BIH-M", "BIH-R"}) {
		t.Errorf("the new shared token after the merge: %v", got)
	}
	if s.RecentRows() != 0 {
		t.Errorf("the store counts %d recent rows", s.RecentRows())
	}
}

// TestEraseRecordLeavesNoSearchRows: erasing a record deletes its search
// rows wherever they are: waiting in the recent table, merged, or both
// (merged, then amended).
func TestEraseRecordLeavesNoSearchRows(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	saveOne(t, s, "BIH-MERGED", testToken(1), testToken(100))
	saveOne(t, s, "BIH-BOTH", testToken(2), testToken(100))
	if err := s.MergeRecent(context.Background()); err != nil {
		t.Fatal(err)
	}
	saveOne(t, s, "BIH-RECENT", testToken(3), testToken(100))
	// BIH-BOTH: merged, then a second write of its rows that did not
	// delete the first (as a fresh write would).
	if err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.PutRecord(RecordRow{ID: "BIH-BOTH", Summary: []byte{2}}, [][]byte{testToken(20)}, true)
	}); err != nil {
		t.Fatal(err)
	}
	saveOne(t, s, "BIH-KEEP", testToken(4), testToken(100))
	ns := map[string]int64{}
	for _, id := range []string{"BIH-MERGED", "BIH-BOTH", "BIH-RECENT"} {
		var n int64
		s.db.QueryRow("SELECT n FROM records WHERE id = ?", id).Scan(&n)
		ns[id] = n
		if err := s.Update(context.Background(), func(tx *Tx) error {
			return tx.EraseRecord(id, registry.EventID{}, func(*registry.Event) error { return nil }, Tombstone{Record: id, At: time.Now()}, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	for id, n := range ns {
		var recent, merged int
		s.db.QueryRow("SELECT count(*) FROM search_recent WHERE n = ?", n).Scan(&recent)
		s.db.QueryRow("SELECT count(*) FROM search WHERE n = ?", n).Scan(&merged)
		if recent != 0 || merged != 0 {
			t.Errorf("%s erased: %d recent rows and %d merged left", id, recent, merged)
		}
	}
	for i := 1; i <= 3; i++ {
		var left int
		s.db.QueryRow("SELECT (SELECT count(*) FROM search_recent WHERE tok = ?1) + (SELECT count(*) FROM search WHERE tok = ?1)", testToken(i)[:keySize]).Scan(&left)
		if left != 0 {
			t.Errorf("token %d of an erased record: %d rows left", i, left)
		}
	}
	if got := findIDs(t, s, [][]byte{testToken(100)}); !slices.Equal(got, []string{"BIH-KEEP"}) {
		t.Errorf("the shared token after the erasures: %v", got)
	}
	if s.RecentRows() != 2 {
		t.Errorf("the store counts %d recent rows, want BIH-KEEP's 2", s.RecentRows())
	}
}

// TestMergeRecentAllOrNothing: a merge that fails half-way (here the
// generations refuse its rows) leaves every recent row where it was, found
// by search, for the next merge. A store closed (or killed) between a save
// and its merge finds the rows there when it opens again, counts them, and
// merges them later.
func TestMergeRecentAllOrNothing(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		saveOne(t, s, fmt.Sprintf("BIH-%d", i), testToken(i), testToken(100))
	}
	// Refuse the third row the merge writes into the generations: a
	// failure in the middle of the merge's statement.
	if _, err := s.db.Exec(`CREATE TRIGGER merge_fail AFTER INSERT ON search
		WHEN (SELECT count(*) FROM search) >= 3 BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
		t.Fatal(err)
	}
	if err := s.MergeRecent(context.Background()); err == nil {
		t.Fatal("the refused merge succeeded")
	}
	var recent, merged int
	s.db.QueryRow("SELECT count(*) FROM search_recent").Scan(&recent)
	s.db.QueryRow("SELECT count(*) FROM search").Scan(&merged)
	if recent != 6 || merged != 0 || s.RecentRows() != 6 {
		t.Fatalf("after a failed merge: %d recent rows (counted %d), %d merged; want 6 and 0", recent, s.RecentRows(), merged)
	}
	if got := findIDs(t, s, [][]byte{testToken(100)}); len(got) != 3 {
		t.Fatalf("after a failed merge, search finds %v", got)
	}
	if _, err := s.db.Exec("DROP TRIGGER merge_fail"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.RecentRows() != 6 {
		t.Fatalf("opened again, the store counts %d recent rows, want 6", s.RecentRows())
	}
	if got := findIDs(t, s, [][]byte{testToken(1)}); !slices.Equal(got, []string{"BIH-1"}) {
		t.Fatalf("opened again: %v", got)
	}
	if err := s.MergeRecent(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := findIDs(t, s, [][]byte{testToken(100)}); len(got) != 3 {
		t.Fatalf("merged after opening again, search finds %v", got)
	}
}

// TestMergeWhenFull: the store merges the recent rows by itself once they
// reach mergeAt, after the commit that brought them there (in the
// background, so this waits for it), and a transaction that writes mergeAt
// rows or more into the recent table merges them before its commit.
func TestMergeWhenFull(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const per = 32 // rows a record
	toks := func(i int) [][]byte {
		out := make([][]byte, per)
		for j := range out {
			out[j] = testToken(i*per + j)
		}
		return out
	}
	i := 0
	for ; s.RecentRows() < mergeAt-per; i++ {
		saveOne(t, s, fmt.Sprintf("BIH-%05d", i), toks(i)...)
	}
	var merged int
	if s.db.QueryRow("SELECT count(*) FROM search").Scan(&merged); merged != 0 {
		t.Fatalf("%d rows merged under mergeAt", merged)
	}
	saveOne(t, s, fmt.Sprintf("BIH-%05d", i), toks(i)...) // reaches mergeAt
	i++
	for deadline := time.Now().Add(30 * time.Second); s.RecentRows() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no merge: %d recent rows", s.RecentRows())
		}
	}
	if s.db.QueryRow("SELECT count(*) FROM search").Scan(&merged); merged != i*per {
		t.Fatalf("%d rows merged, want %d", merged, i*per)
	}
	for _, k := range []int{0, i - 1} {
		if got := findIDs(t, s, [][]byte{testToken(k*per + 3)}); !slices.Equal(got, []string{fmt.Sprintf("BIH-%05d", k)}) {
			t.Fatalf("record %d after the merge: %v", k, got)
		}
	}
	// One transaction amending records until it wrote mergeAt rows into
	// the recent table: merged before its commit.
	if err := s.Update(context.Background(), func(tx *Tx) error {
		for k := 0; k*per < mergeAt; k++ {
			if err := tx.PutRecord(RecordRow{ID: fmt.Sprintf("BIH-%05d", k), Summary: []byte{2}}, toks(10000+k), false); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	var recent int
	if s.db.QueryRow("SELECT count(*) FROM search_recent").Scan(&recent); recent != 0 || s.RecentRows() != 0 {
		t.Fatalf("a transaction wrote mergeAt rows: %d left in the recent table (counted %d)", recent, s.RecentRows())
	}
	if got := findIDs(t, s, [][]byte{testToken(10000*per + 3)}); !slices.Equal(got, []string{"BIH-00000"}) {
		t.Fatalf("an amended record after the merge: %v", got)
	}
	if got := findIDs(t, s, [][]byte{testToken(3)}); len(got) != 0 {
		t.Fatalf("an amended record by its old token: %v", got)
	}
}

// TestMigrateSearchRecent: a store of the schema before the recent table
// (its records and search rows in the generations) opens with an empty
// recent table, every record found as before, and its next single save
// waits in the recent table.
func TestMigrateSearchRecent(t *testing.T) {
	dir, db, before := schemaBefore(t, migrationSearchRecent)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1500 {
		if _, err := tx.Exec("INSERT INTO records(id, created, updated, summary) VALUES(?, ?, ?, x'01')", fmt.Sprintf("BIH-%05d", i), i, i); err != nil {
			t.Fatal(err)
		}
		for _, tok := range [][]byte{testToken(i), testToken(100000)} {
			if _, err := tx.Exec("INSERT INTO search(gen, tok, n) VALUES(?, ?, ?)", (i+1)>>genShift, tok[:keySize], i+1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	s := upgrade(t, dir, db, before)
	if s.RecentRows() != 0 {
		t.Fatalf("%d recent rows after the migration", s.RecentRows())
	}
	for _, i := range []int{0, 1023, 1499} {
		if got := findIDs(t, s, [][]byte{testToken(i)}); !slices.Equal(got, []string{fmt.Sprintf("BIH-%05d", i)}) {
			t.Errorf("record %d after the migration: %v", i, got)
		}
	}
	saveOne(t, s, "BIH-NEW", testToken(7), testToken(100000))
	if r, m := rowsIn(t, s, "BIH-NEW"); r != 2 || m != 0 {
		t.Fatalf("a save after the migration: %d recent rows, %d merged", r, m)
	}
	if got, _ := s.Find(Filter{TokenSets: [][][]byte{{testToken(100000)}}, Limit: 5000}); len(got) != 1501 {
		t.Fatalf("the shared token finds %d records, want 1501", len(got))
	}
}

// TestMigrateGroupIndex: after the migration the index of records by group
// leaves out the records of no group, and a search by group still finds
// every member, old and new.
func TestMigrateGroupIndex(t *testing.T) {
	dir, db, before := schemaBefore(t, migrationGroupIndex)
	for i, grp := range [][]byte{[]byte("family-one-token"), nil, []byte("family-one-token")} {
		if _, err := db.Exec("INSERT INTO records(id, created, updated, grp, summary) VALUES(?, ?, ?, ?, x'01')", fmt.Sprintf("BIH-%d", i), i, i, grp); err != nil {
			t.Fatal(err)
		}
	}
	s := upgrade(t, dir, db, before)
	if err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.PutNewRecords([]RecordRow{{ID: "BIH-3", Created: 3, Group: []byte("family-one-token"), Summary: []byte{1}}, {ID: "BIH-4", Created: 4, Summary: []byte{1}}}, [][][]byte{{testToken(1)}, {testToken(2)}})
	}); err != nil {
		t.Fatal(err)
	}
	var partial bool
	if err := s.db.QueryRow("SELECT partial FROM pragma_index_list('records') WHERE name = 'records_grp'").Scan(&partial); err != nil || !partial {
		t.Fatalf("the group index is partial: %v %v", partial, err)
	}
	ids, err := s.Find(Filter{Group: []byte("family-one-token")})
	if slices.Sort(ids); err != nil || !slices.Equal(ids, []string{"BIH-0", "BIH-2", "BIH-3"}) {
		t.Fatalf("by group: %v %v", ids, err)
	}
}
