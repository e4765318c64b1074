package bundle

import (
	"bytes"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/registry"
)

// FuzzOpen feeds the decoder untrusted bytes two ways: as a whole file
// (mostly exercising age's header) and as a plaintext encrypted to the
// receiver (exercising every frame, limit and the trailer). It must never
// panic, and must never hand events to Apply from a bundle whose signature
// does not verify.
func FuzzOpen(f *testing.F) {
	idb, err := os.ReadFile(filepath.Join("testdata", "vectors", "identity.txt"))
	if err != nil {
		f.Fatal(err)
	}
	id, err := age.ParseX25519Identity(string(bytes.TrimSpace(idb)))
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := os.ReadFile(filepath.Join("testdata", "vectors", "signer.seed"))
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	vectors, _ := filepath.Glob(filepath.Join("testdata", "vectors", "*.bundle"))
	for _, v := range vectors {
		b, _ := os.ReadFile(v)
		f.Add(b)
		if r, err := age.Decrypt(bytes.NewReader(b), id); err == nil {
			var pt bytes.Buffer
			if _, err := pt.ReadFrom(r); err == nil {
				f.Add(pt.Bytes())
			}
		}
	}
	trust := func(*Header) (ed25519.PublicKey, error) { return pub, nil }
	self := id.Recipient().String()
	f.Fuzz(func(t *testing.T, data []byte) {
		try := func(b []byte) {
			bd, err := Open(bytes.NewReader(b), id, self, trust, Options{})
			if err != nil {
				return
			}
			_ = bd.Apply(func(evs []*registry.Event) error {
				for _, e := range evs {
					if e == nil {
						t.Fatal("nil event")
					}
				}
				return nil
			})
		}
		try(data)
		if len(data) < 1<<16 {
			var buf bytes.Buffer
			w, _ := age.Encrypt(&buf, id.Recipient())
			w.Write(data)
			w.Close()
			try(buf.Bytes())
		}
	})
}
