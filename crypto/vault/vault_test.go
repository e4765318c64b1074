package vault

import (
	"errors"
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
	w.Params.MemoryKiB = 1 << 30
	if _, err := w.Unwrap([]byte("pw")); err == nil {
		t.Fatal("absurd memory parameter accepted")
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
