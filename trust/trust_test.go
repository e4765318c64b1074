package trust

import (
	"bytes"
	"testing"
	"time"
)

func TestAuthorityWipe(t *testing.T) {
	a, err := NewAuthority("BIH", nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	b, err := UnmarshalAuthority(a.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	b.Wipe()
	for name, k := range map[string][]byte{"root seed": b.RootSeed, "root key": b.root, "records key": b.RecordsKey, "index key": b.IndexKey} {
		if len(k) == 0 || !bytes.Equal(k, make([]byte, len(k))) {
			t.Errorf("%s not zeroed by Wipe", name)
		}
	}
	// The original, decoded separately, is untouched: nothing is shared.
	if bytes.Equal(a.RootSeed, make([]byte, len(a.RootSeed))) {
		t.Error("wiping a decoded authority zeroed the one it was encoded from")
	}
}
