package vault

import (
	"errors"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

func TestWrapUnwrap(t *testing.T) {
	master, _ := seal.NewKey()
	w, err := WrapKey(master, []byte("correct horse battery"), LowParams)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := UnmarshalWrap(w.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	got, err := w2.Unwrap([]byte("correct horse battery"))
	if err != nil || *got != *master {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := w2.Unwrap([]byte("correct horse batterY")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: got %v", err)
	}
}

func TestTamperedParamsRefused(t *testing.T) {
	master, _ := seal.NewKey()
	w, _ := WrapKey(master, []byte("pw"), LowParams)
	for _, p := range []Params{
		{MemoryKiB: 1 << 30, Time: 2, Threads: 1},     // 1 TiB
		{MemoryKiB: 1 << 20, Time: 2, Threads: 1},     // 1 GiB: more than a tablet should give
		{MemoryKiB: 19 * 1024, Time: 11, Threads: 1},  // minutes of work
		{MemoryKiB: 19 * 1024, Time: 2, Threads: 200}, // threads
		{MemoryKiB: 19 * 1024, Time: 0, Threads: 1},   // no pass
		{MemoryKiB: 1024, Time: 2, Threads: 1},        // too weak
	} {
		w.Params = p
		// Refused before any key is derived: not a wrong passphrase.
		if _, err := w.Unwrap([]byte("pw")); err == nil || errors.Is(err, ErrWrongPassphrase) || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("parameters %+v: %v", p, err)
		}
	}
	if err := DefaultParams.validate(); err != nil {
		t.Fatalf("default parameters refused: %v", err)
	}
	if _, err := WrapKey(master, []byte("pw"), Params{MemoryKiB: 1, Time: 1, Threads: 1}); err == nil {
		t.Fatal("weak parameters accepted")
	}
}

func TestRecoveryWrap(t *testing.T) {
	master, _ := seal.NewKey()
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	wrapped, err := WrapToRecipient(master, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	got, err := UnwrapWithIdentity(wrapped, id)
	if err != nil || *got != *master {
		t.Fatalf("recovery: %v", err)
	}
	if _, err := UnwrapWithIdentity(wrapped, other); err == nil {
		t.Fatal("other identity opened the recovery wrap")
	}
}

func BenchmarkUnwrapDefault(b *testing.B) {
	master, _ := seal.NewKey()
	w, _ := WrapKey(master, []byte("pw"), DefaultParams)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := w.Unwrap([]byte("pw")); err != nil {
			b.Fatal(err)
		}
	}
}
