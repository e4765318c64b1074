package federation

import (
	"bytes"
	"testing"
)

// FuzzUnmarshal: a federation package's plaintext is checked after its
// code opened it; a hostile regional operator could still send anything.
// Whatever is accepted is complete and re-encodes to an accepted package.
func FuzzUnmarshal(f *testing.F) {
	p := &Package{Region: "WBR", Country: "BIH", ClientID: "abc", SignSeed: bytes.Repeat([]byte{1}, 32), ClientCert: []byte{1},
		RegionURL: "https://localhost:9443", RegionCert: []byte{2}, IndexKey: bytes.Repeat([]byte{3}, 32), Sharing: SharingIndex}
	f.Add(p.Marshal())
	f.Add([]byte{0xa0})
	f.Add([]byte{0x62, 0xc3, 0x28})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Unmarshal(b)
		if err != nil {
			return
		}
		if len(p.SignSeed) != 32 || len(p.IndexKey) != 32 || p.Country == "" || CheckSharing(p.Sharing) != nil {
			t.Fatalf("accepted an incomplete package %+v", p)
		}
		if _, err := Unmarshal(p.Marshal()); err != nil {
			t.Fatalf("an accepted package does not decode again: %v", err)
		}
	})
}
