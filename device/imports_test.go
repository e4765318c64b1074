package device

import (
	"bytes"
	"errors"
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
