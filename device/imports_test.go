package device

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/fieldreg/fieldreg/registry"
)

func TestRegisterImportOnce(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	toks, err := s.ImportTokens([]string{"ref\x00row-1", "ref\x00row-2"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(toks[0], []byte("row-1")) || bytes.Equal(toks[0], toks[1]) {
		t.Fatalf("tokens %x", toks)
	}
	before, err := s.ImportedAs(toks)
	if err != nil || before[0] != "" || before[1] != "" {
		t.Fatalf("before: %q %v", before, err)
	}
	ids, err := s.RegisterImport([]*registry.Person{testPerson("Importtest", "One"), testPerson("Importtest", "Two")}, toks)
	if err != nil {
		t.Fatal(err)
	}
	after, err := s.ImportedAs(toks)
	if err != nil || after[0] != ids[0] || after[1] != ids[1] {
		t.Fatalf("after: %q, saved %q, %v", after, ids, err)
	}
	// A batch holding a line saved meanwhile saves nothing.
	fresh, _ := s.ImportTokens([]string{"ref\x00row-3"})
	_, err = s.RegisterImport([]*registry.Person{testPerson("Importtest", "Three"), testPerson("Importtest", "One")},
		[][]byte{fresh[0], toks[0]})
	if !errors.Is(err, ErrImportedMeanwhile) {
		t.Fatalf("err = %v", err)
	}
	if n, _ := s.Count(); n != 2 {
		t.Fatalf("%d records, want 2", n)
	}
	if got, _ := s.ImportedAs(fresh); got[0] != "" {
		t.Fatalf("token of a batch not saved is stored: %q", got)
	}
	if _, err := s.RegisterImport([]*registry.Person{testPerson("Importtest", "Four")}, nil); err == nil {
		t.Fatal("people without tokens accepted")
	}
}

// TestImportTokensKeyed: another device (another master key) gives the same
// line another token, so a token cannot be checked against a guessed person
// without the device's key.
func TestImportTokensKeyed(t *testing.T) {
	d1, _ := newTestDevice(t)
	d2, _ := newTestDevice(t)
	a, err := unlock(t, d1).ImportTokens([]string{"content\x00{}"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := unlock(t, d2).ImportTokens([]string{"content\x00{}"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a[0], b[0]) {
		t.Fatal("the same token under two device keys")
	}
}

// TestRegisterImportsPipelined: batches are saved in order while the next
// is prepared; a batch with a person who does not validate is not saved
// and the batches after it are (their events numbered on from the last
// saved one); a batch whose write fails stops the import, and the batch
// prepared meanwhile is not saved.
func TestRegisterImportsPipelined(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	seq0, err := d.st.NextSeq(d.info.DeviceID, d.info.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	lines := func(prefix string, n int) ImportBatch {
		var b ImportBatch
		var idents []string
		for i := range n {
			b.People = append(b.People, testPerson("Pipetest", fmt.Sprintf("%s %d", prefix, i)))
			idents = append(idents, fmt.Sprintf("ref\x00%s-%d", prefix, i))
		}
		var err error
		if b.Tokens, err = s.ImportTokens(idents); err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := lines("bad", 3)
	bad.People[1].Category = "no such category"
	batches := []ImportBatch{lines("one", 40), bad, {}, lines("two", 30)}
	var got []int
	err = s.RegisterImports(batches, func(k int, ids []string, err error) bool {
		got = append(got, k)
		switch k {
		case 1:
			var ge *GroupError
			if !errors.As(err, &ge) || ge.Index != 1 || ids != nil {
				t.Errorf("batch 1: ids %v, err %v; want a GroupError for person 2", ids, err)
			}
		case 2:
			if err != nil || ids != nil {
				t.Errorf("empty batch: ids %v, err %v", ids, err)
			}
		default:
			if err != nil || len(ids) != len(batches[k].People) {
				t.Errorf("batch %d: %d ids, err %v", k, len(ids), err)
			}
		}
		return true
	})
	var ge *GroupError
	if !errors.As(err, &ge) || !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Fatalf("err %v, batches told %v", err, got)
	}
	if n, _ := s.Count(); n != 70 {
		t.Fatalf("%d records, want 70", n)
	}
	if rep, err := s.VerifyAudit(); err != nil || !rep.OK {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	// A line saved meanwhile fails its batch's write: the import stops.
	again := lines("three", 5)
	again.Tokens[4] = batches[0].Tokens[0]
	got = nil
	err = s.RegisterImports([]ImportBatch{lines("four", 5), again, lines("five", 5)}, func(k int, ids []string, err error) bool {
		got = append(got, k)
		return true
	})
	if !errors.Is(err, ErrImportedMeanwhile) || !slices.Equal(got, []int{0, 1}) {
		t.Fatalf("err %v, batches told %v", err, got)
	}
	if n, _ := s.Count(); n != 75 {
		t.Fatalf("%d records, want 75", n)
	}
	// The device's log has no gap: the next save follows on.
	if _, err := s.Register(testPerson("Pipetest", "After")); err != nil {
		t.Fatal(err)
	}
	next, err := d.st.NextSeq(d.info.DeviceID, d.info.Epoch)
	if err != nil || next != seq0+76 {
		t.Fatalf("next sequence %d (%v), want %d (76 registrations)", next, err, seq0+76)
	}
}
