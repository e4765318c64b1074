package receipt

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary text to Verify, the path a scanner's or a
// pasted string takes. Whatever the input, Verify must return a verdict from
// the fixed set without panicking, and never vouch for content it could not
// check. The seed corpus is in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	a := newAuthority(f, "BIH", 1)
	genuine := issue(f, a, testContent, t0).Text
	f.Add(genuine)
	f.Add(genuine[:len(genuine)/2])
	f.Add(Prefix)
	f.Add("HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IDOEZPH")
	f.Add(pack(make([]byte, 1<<16)))
	reasons := map[Reason]bool{"": true, ReasonAltered: true, ReasonUnknownIssuer: true, ReasonRevoked: true,
		ReasonExpired: true, ReasonNotReceipt: true, ReasonPolicy: true}
	f.Fuzz(func(t *testing.T, text string) {
		v := Verify(text, a.file, t0)
		if !reasons[v.Reason] || v.Message == "" || v.Valid != (v.Reason == "") {
			t.Fatalf("verdict outside the fixed set: %+v", v)
		}
		if v.Valid && (v.Fields == nil || v.RegistrationID == "" || v.Name == "") {
			t.Fatalf("valid without content: %+v", v)
		}
		if (v.Reason == ReasonAltered || v.Reason == ReasonNotReceipt) && v.Fields != nil {
			t.Fatalf("refused receipt shows content: %+v", v)
		}
		if signed, err := decode(text); err == nil && len(signed) > MaxCOSESize {
			t.Fatalf("inflated %d bytes", len(signed))
		}
	})
}

// TestWriteFuzzCorpus regenerates the committed seed corpus of FuzzDecode
// when RECEIPT_UPDATE_CORPUS is set (after a format change).
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("RECEIPT_UPDATE_CORPUS") == "" {
		t.Skip("set RECEIPT_UPDATE_CORPUS=1 to rewrite testdata/fuzz/FuzzDecode")
	}
	a := newAuthority(t, "BIH", 1)
	genuine := issue(t, a, testContent, t0).Text
	signed := unpack(t, genuine)
	flipped := bytes.Clone(signed)
	flipped[len(flipped)-1] ^= 1
	seeds := map[string]string{
		"genuine":             genuine,
		"genuine-crlf":        genuine + "\r\n",
		"truncated":           genuine[:len(genuine)*2/3],
		"signature-altered":   pack(flipped),
		"trailing-garbage":    genuine + "AB0",
		"not-base45":          Prefix + "abc#",
		"dangling-char":       Prefix + "A",
		"group-too-large":     Prefix + "GGW",
		"zlib-bomb":           pack(make([]byte, 1<<16)),
		"eu-dcc-prefix":       "HC1:NCFOXN%TS3DH3ZSUZK+.V0ETD%65NL-AH-R6IOO6+IDOEZPH",
		"empty-cose":          pack([]byte{0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40}),
		"expired-valid-cose":  issue(t, a, testContent, t0.AddDate(-3, 0, 0)).Text,
		"prefix-only":         Prefix,
		"lowercase":           strings.ToLower(genuine),
		"unicode":             Prefix + "ĆŠ",
		"not-a-receipt-plain": "BIH-7KQ4-M2XD-9TRC",
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, s := range seeds {
		body := "go test fuzz v1\nstring(" + strconv.Quote(s) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
