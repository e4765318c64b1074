package enrol

import (
	"testing"

	"github.com/fieldreg/fieldreg/crypto/vault"
)

// FuzzOpen: an enrolment file comes on a USB stick or by mail; it is read
// before its code can check anything. Open never panics, and with a code
// that is not the file's it never opens. Wraps asking for more memory or
// time than the vault's bounds are refused before any key derivation, so
// hostile parameters cannot stall the fuzzer either.
func FuzzOpen(f *testing.F) {
	code, err := NewCode(nil)
	if err != nil {
		f.Fatal(err)
	}
	other, _ := NewCode(nil)
	good, err := Seal(pkg(), code, vault.LowParams)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"fieldreg-enrolment-v1","wrap":"e30=","sealed":""}`))
	f.Add([]byte("\xfc"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := Open(b, other); err == nil {
			t.Fatalf("opened with another code: %+v", p.DeviceID)
		}
	})
}
