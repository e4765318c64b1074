package enrol

import (
	"bytes"
	"errors"
	"testing"

	"github.com/fieldreg/fieldreg/crypto/vault"
)

func pkg() *Package {
	return &Package{Country: "BIH", DeviceID: "a1b2", SignSeed: bytes.Repeat([]byte{1}, 32), RecordsKey: bytes.Repeat([]byte{2}, 32),
		IndexKey: bytes.Repeat([]byte{3}, 32), RootPublic: bytes.Repeat([]byte{4}, 32), HubURL: "https://127.0.0.1:8443",
		HubCert: []byte{5}, ClientCert: []byte{6}}
}

func TestSealOpen(t *testing.T) {
	code, err := NewCode(nil)
	if err != nil || len(code) != CodeLen+1 {
		t.Fatalf("code %q %v", code, err)
	}
	f, err := Seal(pkg(), code, vault.LowParams)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f, pkg().SignSeed) || bytes.Contains(f, pkg().RecordsKey) {
		t.Fatal("secret in the clear")
	}
	// Typed the way an officer might: lower case, no hyphen, O for 0, L for 1.
	typed := []byte(code)
	for i, c := range typed {
		switch c {
		case '0':
			typed[i] = 'O'
		case '1':
			typed[i] = 'l'
		}
	}
	p, err := Open(f, string(bytes.ToLower(bytes.ReplaceAll(typed, []byte("-"), nil))))
	if err != nil || p.DeviceID != "a1b2" || !bytes.Equal(p.RecordsKey, pkg().RecordsKey) {
		t.Fatalf("open: %v", err)
	}
	wrong := []byte(code)
	wrong[0] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"[(bytes.IndexByte([]byte(crockford), wrong[0])+1)%32]
	if _, err := Open(f, string(wrong)); !errors.Is(err, ErrWrongCode) {
		t.Fatalf("wrong code: %v", err)
	}
	tampered := bytes.Replace(f, []byte(`"sealed": "`), []byte(`"sealed": "AA`), 1)
	if _, err := Open(tampered, code); err == nil {
		t.Fatal("tampered file opened")
	}
	for _, bad := range []string{"", "12345", "UUUUU-UUUUU", "7KQ4M-2XD9T-X"} {
		if _, err := NormalizeCode(bad); err == nil {
			t.Errorf("code %q accepted", bad)
		}
	}
}
