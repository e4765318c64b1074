package vault

import (
	"errors"
	"testing"
)

func TestVerifier(t *testing.T) {
	v, err := NewVerifier([]byte("correct horse battery"), LowParams)
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnmarshalVerifier(v.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := got.Check([]byte("correct horse battery")); err != nil {
		t.Fatalf("right passphrase: %v", err)
	}
	if err := got.Check([]byte("correct horse batterY")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// Parameters that would cost minutes or gigabytes are refused before
	// any work; a damaged hash is refused, not taken as a mismatch.
	huge := *got
	huge.Params.MemoryKiB = 4 << 20
	if err := huge.Check([]byte("x")); err == nil || errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("huge parameters: %v", err)
	}
	short := *got
	short.Hash = short.Hash[:8]
	if err := short.Check([]byte("correct horse battery")); err == nil || errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("short hash: %v", err)
	}
	if _, err := UnmarshalVerifier([]byte("{")); err == nil {
		t.Fatal("damaged JSON accepted")
	}
	if _, err := NewVerifier([]byte("x"), Params{MemoryKiB: 1}); err == nil {
		t.Fatal("bad parameters accepted")
	}
}
