package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
)

func TestMigrateAndReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	s.db.QueryRow("PRAGMA user_version").Scan(&v)
	if v != SchemaVersion() {
		t.Fatalf("user_version %d, want %d", v, SchemaVersion())
	}
	var mode string
	s.db.QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Fatalf("journal mode %s", mode)
	}
	s.Close()
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	s.Close()
}

// A database written by a newer version is refused with a clear error and
// not modified by the attempt.
func TestNewerDatabaseRefusedUnchanged(t *testing.T) {
	dir := t.TempDir()
	s, _ := Open(dir)
	s.db.Exec("PRAGMA user_version = 99")
	s.Close()
	path := filepath.Join(dir, FileName)
	before := fileHash(t, path)
	if _, err := Open(dir); !errors.Is(err, ErrTooNew) {
		t.Fatalf("got %v, want ErrTooNew", err)
	}
	if after := fileHash(t, path); !bytes.Equal(before, after) {
		t.Fatal("refused database was modified")
	}
}

func TestNotADatabase(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, FileName), bytes.Repeat([]byte("not sqlite "), 500), 0o600)
	if _, err := Open(dir); err == nil {
		t.Fatal("garbage opened as a database")
	}
}

func fileHash(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(b)
	return h[:]
}

func TestEventsInsertOrIgnoreAndVector(t *testing.T) {
	s, _ := Open(t.TempDir())
	defer s.Close()
	mk := func(seq uint64) *registry.Event {
		return &registry.Event{Origin: "dev1", Epoch: 7, Seq: seq, HLC: registry.HLC(seq), Officer: "o", Record: "r", Op: "register", Payload: []byte{1}, Sig: []byte{2}}
	}
	err := s.Update(t.Context(), func(tx *Tx) error {
		for _, seq := range []uint64{1, 2, 4} {
			if ok, err := tx.InsertEvent(mk(seq), time.Now()); err != nil || !ok {
				t.Fatalf("insert %d: %v %v", seq, ok, err)
			}
		}
		if ok, _ := tx.InsertEvent(mk(2), time.Now()); ok {
			t.Fatal("duplicate inserted")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := s.Vector()
	if got := v.Get(vector.Key{Origin: "dev1", Epoch: 7}); got != 2 {
		t.Fatalf("contiguous prefix %d, want 2", got)
	}
}

// TestQuestions: a question waits until answered; asked again, it waits
// again and keeps its earlier answer; failed attempts are counted and
// stop it from being asked at every sync.
func TestQuestions(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Unix(1_800_000_000, 0)
	upd := func(fn func(*Tx) error) {
		t.Helper()
		if err := s.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Question("BIH-TEST"); err != ErrNotFound {
		t.Fatalf("never asked: %v", err)
	}
	upd(func(tx *Tx) error { return tx.AskQuestion("BIH-TEST", t0) })
	upd(func(tx *Tx) error { return tx.AskQuestion("BIH-LATER", t0.Add(time.Minute)) })
	// Asking a waiting question again keeps its place.
	upd(func(tx *Tx) error { return tx.AskQuestion("BIH-TEST", t0.Add(time.Hour)) })
	if ids, err := s.WaitingQuestions(10, 3); err != nil || len(ids) != 2 || ids[0] != "BIH-TEST" {
		t.Fatalf("waiting: %v %v", ids, err)
	}
	for range 3 {
		upd(func(tx *Tx) error { return tx.QuestionFailed("BIH-LATER", "the hub was not reachable") })
	}
	if ids, _ := s.WaitingQuestions(10, 3); len(ids) != 1 {
		t.Fatalf("a question that failed 3 times is still asked: %v", ids)
	}
	if n, _ := s.CountWaitingQuestions(); n != 2 {
		t.Fatalf("count %d, want 2 (failed ones still wait)", n)
	}
	upd(func(tx *Tx) error { return tx.AnswerQuestion("BIH-TEST", t0.Add(2*time.Hour), []byte("sealed-1")) })
	q, err := s.Question("BIH-TEST")
	if err != nil || q.Waiting || !q.Answered.Equal(t0.Add(2*time.Hour)) || string(q.Answer) != "sealed-1" || !q.Asked.Equal(t0) {
		t.Fatalf("answered: %+v %v", q, err)
	}
	// Asked again: waits, keeps the earlier answer until the new one.
	upd(func(tx *Tx) error { return tx.AskQuestion("BIH-TEST", t0.Add(3*time.Hour)) })
	q, _ = s.Question("BIH-TEST")
	if !q.Waiting || string(q.Answer) != "sealed-1" || !q.Asked.Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("asked again: %+v", q)
	}
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.AnswerQuestion("BIH-NONE", t0, nil) }); err != ErrNotFound {
		t.Fatalf("answering a question never asked: %v", err)
	}
}

// TestPutNewRecords: records written together are found by each of their
// tokens, and bad input (a short token, lists of different lengths) writes
// nothing.
func TestPutNewRecords(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := func(b byte) []byte { return bytes.Repeat([]byte{b}, tokenSize) }
	rows := []RecordRow{{ID: "BIH-A", Summary: []byte{1}}, {ID: "BIH-B", Summary: []byte{2}, Created: 1}}
	toks := [][][]byte{{tok(9), tok(1)}, {tok(1), tok(5)}}
	if err := s.Update(context.Background(), func(tx *Tx) error { return tx.PutNewRecords(rows, toks) }); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		tok  byte
		want string
	}{{1, "BIH-A BIH-B"}, {5, "BIH-B"}, {9, "BIH-A"}, {7, ""}} {
		ids, err := s.Find(Filter{TokenSets: [][][]byte{{tok(c.tok)}}})
		slices.Sort(ids)
		if err != nil || strings.Join(ids, " ") != c.want {
			t.Errorf("token %d: %v %v, want %q", c.tok, ids, err, c.want)
		}
	}
	bad := []struct {
		rows []RecordRow
		toks [][][]byte
	}{
		{[]RecordRow{{ID: "BIH-C", Summary: []byte{3}}}, [][][]byte{{tok(3), []byte("short")}}},
		{[]RecordRow{{ID: "BIH-D", Summary: []byte{4}}}, nil},
	}
	for i, b := range bad {
		if err := s.Update(context.Background(), func(tx *Tx) error { return tx.PutNewRecords(b.rows, b.toks) }); err == nil {
			t.Errorf("bad input %d accepted", i)
		}
	}
	// A new record under an ID already stored is refused, and the stored
	// one is unchanged.
	if err := s.Update(context.Background(), func(tx *Tx) error {
		return tx.PutNewRecords([]RecordRow{{ID: "BIH-A", Summary: []byte{9}}}, [][][]byte{{tok(7)}})
	}); err == nil {
		t.Error("a new record took over an existing ID")
	}
	if r, err := s.Record("BIH-A"); err != nil || r.Summary[0] != 1 {
		t.Errorf("the existing record after a colliding insert: %+v %v", r, err)
	}
	if n, _ := s.CountRecords(); n != 2 {
		t.Fatalf("%d records after refused input, want 2", n)
	}
}

// TestCacheOption: the page cache follows Options.CacheMiB (32 MiB by default).
func TestCacheOption(t *testing.T) {
	for _, c := range []struct{ mib, want int }{{0, -32000}, {8, -8000}} {
		s, err := OpenWith(t.TempDir(), Options{CacheMiB: c.mib})
		if err != nil {
			t.Fatal(err)
		}
		var got int
		if err := s.db.QueryRow("PRAGMA cache_size").Scan(&got); err != nil || got != c.want {
			t.Errorf("CacheMiB %d: cache_size %d %v, want %d", c.mib, got, err, c.want)
		}
		s.Close()
	}
}

func TestDiskFullNamed(t *testing.T) {
	if got := diskFull(sqlite3.Error{Code: sqlite3.ErrFull}); got != ErrDiskFull {
		t.Fatalf("full: %v", got)
	}
	other := sqlite3.Error{Code: sqlite3.ErrIoErr}
	if got := diskFull(other); errors.Is(got, ErrDiskFull) {
		t.Fatalf("an I/O error named a full disk: %v", got)
	}
}

// TestWALTruncatedUnderSteadyWrites: a writer that never pauses (as a hub
// taking a long push) does not grow the WAL without bound: past its limit
// it is checkpointed and truncated while the writes go on, and every write
// is kept.
func TestWALTruncatedUnderSteadyWrites(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenWith(dir, Options{walMax: 1 << 20, walCheck: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	value := bytes.Repeat([]byte{7}, 64<<10)
	const writes = 512 // 32 MiB
	var peak int64
	for i := 0; i < writes; i++ {
		if err := s.Update(context.Background(), func(tx *Tx) error {
			return tx.PutMeta(fmt.Sprintf("k%03d", i), value)
		}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(filepath.Join(dir, FileName+"-wal")); err == nil {
			peak = max(peak, fi.Size())
		}
	}
	if peak > 8<<20 {
		t.Errorf("WAL peak %d MiB while writing 32 MiB with a 1 MiB limit", peak>>20)
	}
	var n int
	if err := s.db.QueryRow("SELECT count(*) FROM meta WHERE key LIKE 'k%'").Scan(&n); err != nil || n != writes {
		t.Fatalf("%d writes kept, want %d: %v", n, writes, err)
	}
	t.Logf("WAL peak %.1f MiB", float64(peak)/(1<<20))
}
