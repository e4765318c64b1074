package vault

import (
	"testing"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// FuzzUnmarshalWrap: a wrap is read from the database, an enrolment file or
// a federation package before anything in it can be checked. Decoding never
// panics, and a decoded wrap with parameters out of bounds is refused
// before any key derivation (it could ask for gigabytes).
func FuzzUnmarshalWrap(f *testing.F) {
	k, _ := seal.NewKey()
	w, err := WrapKey(k, []byte("fake passphrase"), Params{MemoryKiB: minMemoryKiB, Time: 1, Threads: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(w.Marshal())
	f.Add([]byte(`{"v":1,"params":{"m":4294967295,"t":1,"p":1},"salt":"AAAA","sealed":"AAAA"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := UnmarshalWrap(b)
		if err != nil {
			return
		}
		if w.Params.validate() != nil {
			if _, err := w.Unwrap([]byte("fake passphrase")); err == nil {
				t.Fatal("a wrap with parameters out of bounds opened")
			}
		}
	})
}
