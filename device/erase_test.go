package device

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/store"
)

// markedPerson is a person whose names, document and photo are markers.
func markedPerson(markers []string) *registry.Person {
	p := testPerson(markers[0], markers[1])
	p.Document = registry.Document{Type: "passport", Number: markers[2], IssuingCountry: "AFG"}
	// A photo large enough to spill onto overflow pages, which SQLite puts
	// on the free list when the payload is dropped.
	photo := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte(markers[3]), 9000)...)
	p.Photo = photo
	return p
}

// openEverything decrypts every payload and projection this device holds
// with its keys and returns the plaintexts: what anyone with every key of
// the device and the deployment could read.
func openEverything(t *testing.T, s *Session) [][]byte {
	t.Helper()
	var out [][]byte
	err := s.d.st.Events(context.Background(), func(e *registry.Event) error {
		if c, err := e.OpenChange(s.k.records); err == nil {
			out = append(out, []byte(strings.Join([]string{string(mustJSON(c))}, "")))
		}
		out = append(out, e.Payload)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := s.d.st.RecordIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if row, err := s.d.st.Record(id); err == nil {
			if b, err := seal.Open(s.k.master, row.Summary, seal.AD("records", "summary", id)); err == nil {
				out = append(out, b)
			}
		}
	}
	return out
}

func TestEraseBySupervisor(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	markers := []string{"Qzerasefamily", "Qzerasegiven", "QZERASEDOC41", "Qzerasephotobytes"}
	id, err := s.Register(markedPerson(markers))
	if err != nil {
		t.Fatal(err)
	}
	keep, err := s.Register(testPerson("Testkeep", "Stays"))
	if err != nil {
		t.Fatal(err)
	}
	p := markedPerson(markers)
	p.Notes = "amended " + markers[0]
	if err := s.Amend(id, p, "test amendment"); err != nil {
		t.Fatal(err)
	}
	// The ciphertexts as they were: after erasure not a trace of them may
	// be left in any file of the data directory (old WAL frames, free pages).
	evs, err := s.d.st.RecordEvents(id)
	if err != nil {
		t.Fatal(err)
	}
	var ciphers [][]byte
	for _, e := range evs {
		ciphers = append(ciphers, bytes.Clone(e.Payload[40:72]), bytes.Clone(e.Payload[len(e.Payload)-48:len(e.Payload)-16]))
	}
	if !inDir(t, d.Dir(), ciphers[0]) {
		t.Fatal("the scan cannot find a stored ciphertext: it would prove nothing")
	}
	if err := s.Erase(id, "data subject request"); err != nil {
		t.Fatal(err)
	}
	// The record reads as erased, with its date and reason.
	_, err = s.Get(id)
	var ee *ErasedError
	if !errors.As(err, &ee) || !errors.Is(err, ErrRecordErased) || ee.Reason != "data subject request" || ee.At.IsZero() {
		t.Fatalf("get erased record: %v", err)
	}
	if ids, err := s.Search(Query{Text: markers[0]}); err != nil || len(ids) != 0 {
		t.Fatalf("search finds the erased record: %v %v", ids, err)
	}
	if ids, err := s.Search(Query{Text: "Testkeep"}); err != nil || len(ids) != 1 || ids[0] != keep {
		t.Fatalf("the other record: %v %v", ids, err)
	}
	for _, pt := range openEverything(t, s) {
		for _, m := range markers {
			if bytes.Contains(pt, []byte(m)) {
				t.Fatalf("marker %q still readable with every key", m)
			}
		}
	}
	// Events keep headers and signatures; the logs and audit still verify.
	evs, _ = s.d.st.RecordEvents(id)
	if len(evs) != 3 {
		t.Fatalf("%d events left, want register, amend and erase", len(evs))
	}
	rep, err := s.VerifyAudit()
	if err != nil || !rep.OK {
		t.Fatalf("audit after erasure: %+v %v", rep, err)
	}
	// Erasing again, or an unknown ID: refused, nothing changed.
	if err := s.Erase(id, "again"); !errors.As(err, &ee) {
		t.Fatalf("erase twice: %v", err)
	}
	if err := s.Erase("BIH-0000-0000-0000", "no such"); err == nil {
		t.Fatal("erase of an unknown ID")
	}
	n, _ := s.d.st.CountEvents()
	if err := s.Erase(keep, ""); !errors.Is(err, registry.ErrBadChange) {
		t.Fatalf("erase without reason: %v", err)
	}
	if m, _ := s.d.st.CountEvents(); m != n {
		t.Fatal("a refused erasure wrote an event")
	}
	s.Lock()
	d.Close()
	scanDir(t, d.Dir(), markers, ciphers)
}

// scanDir fails if any file of dir holds a marker or a ciphertext piece.
func scanDir(t *testing.T, dir string, markers []string, ciphers [][]byte) {
	t.Helper()
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range markers {
			for enc, needle := range encodings(m) {
				if bytes.Contains(b, needle) {
					t.Errorf("marker %q in %s as %s", m, filepath.Base(path), enc)
				}
			}
		}
		for i, c := range ciphers {
			if bytes.Contains(b, c) {
				t.Errorf("erased ciphertext %d still in %s", i, filepath.Base(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// inDir reports whether any file of dir holds needle.
func inDir(t *testing.T, dir string, needle []byte) bool {
	t.Helper()
	found := false
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(path)
			found = found || bytes.Contains(b, needle)
		}
		return nil
	})
	return found
}

func TestEraseRefusedForOfficer(t *testing.T) {
	d, _ := newTestDevice(t)
	sup := unlock(t, d)
	id, err := sup.Register(testPerson("Testperson", "Kept"))
	if err != nil {
		t.Fatal(err)
	}
	o, err := sup.AddOfficer("Officer Plain", []byte("plain officer passphrase"), false)
	if err != nil {
		t.Fatal(err)
	}
	sup.Lock()
	s, err := d.Unlock(o.ID, []byte("plain officer passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	n, _ := d.st.CountEvents()
	if err := s.Erase(id, "officer tries"); !errors.Is(err, ErrNotSupervisor) {
		t.Fatalf("officer erase: %v", err)
	}
	if m, _ := d.st.CountEvents(); m != n {
		t.Fatal("refused erasure wrote an event")
	}
	if _, err := s.Get(id); err != nil {
		t.Fatalf("record gone after a refused erasure: %v", err)
	}
	if _, err := d.st.Erased(id); !errors.Is(err, store.ErrNotFound) {
		t.Fatal("tombstone after a refused erasure")
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// TestExpiryByClock: records past their retention period are erased by
// the device on its own clock (it never syncs), each category after its
// own period; an earlier date set by a supervisor erases sooner and a later
// one is refused; the audit still verifies.
func TestExpiryByClock(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	start := clk.t
	irregular := testPerson("Testirregular", "Five")
	irregular.Category = registry.CategoryIrregular
	idIrr, err := s.Register(irregular)
	if err != nil {
		t.Fatal(err)
	}
	idProt, err := s.Register(testPerson("Testprotection", "Ten"))
	if err != nil {
		t.Fatal(err)
	}
	idEarly, err := s.Register(testPerson("Testearly", "Court"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.SetErasureDate(idEarly, start.AddDate(0, 6, 0), "court decision"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetErasureDate(idEarly, start.AddDate(1, 0, 0), "try to extend"); !errors.Is(err, ErrEraseLater) {
		t.Fatalf("a later date: %v", err)
	}
	if err := s.SetErasureDate(idProt, start.AddDate(20, 0, 0), "extend"); !errors.Is(err, ErrEraseLater) {
		t.Fatalf("extension beyond the rule: %v", err)
	}
	v, _ := s.Get(idEarly)
	if due, _ := d.ErasureDue(v.Record); due.Format(time.DateOnly) != start.AddDate(0, 6, 0).Format(time.DateOnly) {
		t.Fatalf("due after an earlier date: %v", due)
	}
	for _, c := range []struct {
		at   time.Time
		gone []string
	}{
		{start.AddDate(0, 5, 0), nil},
		{start.AddDate(0, 6, 1), []string{idEarly}},
		{start.AddDate(5, 0, -1), nil},
		{start.AddDate(5, 0, 1), []string{idIrr}},
		{start.AddDate(10, 0, 1), []string{idProt}},
	} {
		clk.t = c.at
		got, err := s.SweepExpired(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ",") != strings.Join(c.gone, ",") {
			t.Fatalf("at %s: erased %v, want %v", c.at.Format(time.DateOnly), got, c.gone)
		}
	}
	var ee *ErasedError
	if _, err := s.Get(idIrr); !errors.As(err, &ee) || ee.Reason != "retention: irregular_crossing 5y" {
		t.Fatalf("tombstone of the expired record: %v", err)
	}
	if _, err := s.Get(idEarly); !errors.As(err, &ee) || ee.Reason != "erasure date set by a supervisor" {
		t.Fatalf("tombstone of the record with an earlier date: %v", err)
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK {
		t.Fatalf("audit after the sweeps: %+v %v", rep, err)
	}
}

// TestEraseLeavesNoSearchToken: after an erasure not one search-index key
// of the erased person is left in any file of the data directory, whether
// the record's keys waited in the recent search rows (registered and
// amended one by one, store/recent.go) or had been merged into the index
// (whose merge freed the recent table's pages: a family of 40 saved
// before fills several). The keys are read from the index before the
// erasure; those other records share (birth year, nationality, ...) are
// left out of the check.
func TestEraseLeavesNoSearchToken(t *testing.T) {
	for _, merged := range []bool{false, true} {
		t.Run(map[bool]string{false: "recent", true: "merged"}[merged], func(t *testing.T) {
			d, _ := newTestDevice(t)
			s := unlock(t, d)
			family := make([]*registry.Person, 40)
			for i := range family {
				family[i] = testPerson("Testfamily", fmt.Sprint("Member", i))
			}
			if _, err := s.RegisterGroup(family); err != nil {
				t.Fatal(err)
			}
			markers := []string{"Qztokenfamily", "Qztokengiven", "QZTOKENDOC77", "Qztokenphoto"}
			id, err := s.Register(markedPerson(markers))
			if err != nil {
				t.Fatal(err)
			}
			keep, err := s.Register(testPerson("Testkeep", "Stays"))
			if err != nil {
				t.Fatal(err)
			}
			p := markedPerson(markers)
			p.GivenNames = "Qztokenamended"
			if err := s.Amend(id, p, "test amendment"); err != nil {
				t.Fatal(err)
			}
			// The amendment's keys, and those it replaced (deleted from the
			// recent rows, which must not leave them readable either).
			erased := searchKeys(t, d, id)
			q := markedPerson(markers)
			q.FamilyName, q.GivenNames = "Qztokenother", "Qztokenfirst"
			if err := s.Amend(id, q, "test amendment"); err != nil {
				t.Fatal(err)
			}
			for k := range searchKeys(t, d, id) {
				erased[k] = true
			}
			if merged {
				if err := d.st.MergeRecent(context.Background()); err != nil {
					t.Fatal(err)
				}
				var recent int
				d.st.DB().QueryRow("SELECT count(*) FROM search_recent").Scan(&recent)
				if recent != 0 {
					t.Fatalf("%d recent rows after the merge", recent)
				}
			}
			rows, err := d.st.DB().Query(`SELECT tok FROM search_recent WHERE n <> (SELECT n FROM records WHERE id = ?1)
				UNION SELECT tok FROM search WHERE n <> (SELECT n FROM records WHERE id = ?1)`, id)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k []byte
				rows.Scan(&k)
				delete(erased, string(k))
			}
			rows.Close()
			if len(erased) < 10 {
				t.Fatalf("only %d keys of the erased person's own: the check would prove little", len(erased))
			}
			for k := range erased {
				if !inDir(t, d.Dir(), []byte(k)) {
					t.Fatal("the scan cannot find a stored key: it would prove nothing")
				}
				break
			}
			if err := s.Erase(id, "data subject request"); err != nil {
				t.Fatal(err)
			}
			left := 0
			for k := range erased {
				if inDir(t, d.Dir(), []byte(k)) {
					left++
				}
			}
			if left != 0 {
				t.Fatalf("%d of the erased person's %d search keys are still in the data directory", left, len(erased))
			}
			if ids, err := s.Search(Query{Text: "Testkeep"}); err != nil || len(ids) != 1 || ids[0] != keep {
				t.Fatalf("the other record: %v %v", ids, err)
			}
		})
	}
}

// searchKeys reads the search-index keys of record id, wherever they are
// (the recent rows or the index).
func searchKeys(t *testing.T, d *Device, id string) map[string]bool {
	t.Helper()
	rows, err := d.st.DB().Query(`SELECT tok FROM search_recent WHERE n = (SELECT n FROM records WHERE id = ?1)
		UNION SELECT tok FROM search WHERE n = (SELECT n FROM records WHERE id = ?1)`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var k []byte
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		out[string(k)] = true
	}
	if len(out) == 0 {
		t.Fatalf("record %s has no search keys", id)
	}
	return out
}
