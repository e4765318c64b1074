package registry

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// TestAttackDamagedTextRefused: a name read from Latin-1 or cp1250 bytes
// ("M\xfcller") reached the store as "M\ufffdller". Validate refuses text
// that is not UTF-8, or holds the replacement character a decoder left, in
// every free-text field, without repeating the value.
func TestAttackDamagedTextRefused(t *testing.T) {
	for field, set := range map[string]func(*Person, string){
		"family_name":          func(p *Person, s string) { p.FamilyName = s },
		"given_names":          func(p *Person, s string) { p.GivenNames = s },
		"original_script_name": func(p *Person, s string) { p.OriginalScriptName = s },
		"aliases":              func(p *Person, s string) { p.Aliases = []string{"Fakealias", s} },
		"place_of_birth":       func(p *Person, s string) { p.PlaceOfBirth = s },
		"notes":                func(p *Person, s string) { p.Notes = s },
		"encounter":            func(p *Person, s string) { p.Encounter.Place = s },
		"group":                func(p *Person, s string) { p.Group = s },
	} {
		for _, bad := range []string{"M\xfcllerfake", "M\ufffdllerfake", "Dvo\x9a\xe1kfake"} {
			p := validPerson()
			set(p, bad)
			var fe FieldErrors
			if err := Validate(p, now); !errors.As(err, &fe) || !strings.Contains(fe[field], "UTF-8") {
				t.Errorf("%s = %q: got %v", field, bad, err)
			} else if strings.Contains(err.Error(), "fake") {
				t.Errorf("%s: the error repeats the value: %v", field, err)
			}
		}
		p := validPerson()
		set(p, "Müller Dvořák Ђорђевић محمد")
		if err := Validate(p, now); err != nil {
			t.Errorf("%s: real names refused: %v", field, err)
		}
	}
}

// TestAttackPayloadNotUTF8: encoding/json reads invalid UTF-8 in a signed
// payload (a forged event from a stolen device key, in a sync or a bundle)
// as U+FFFD; OpenChange refuses it as it stands.
func TestAttackPayloadNotUTF8(t *testing.T) {
	k, _ := seal.NewKey()
	_, priv, _ := ed25519.GenerateKey(nil)
	e := &Event{Origin: "A", Epoch: 1, Seq: 1, HLC: 1, Officer: "off", Record: "R1", Op: OpRegister}
	pt := []byte(`{"fields":{"family_name":"M` + "\xfc" + `llerfake","sex":"X"}}`)
	var err error
	if e.Payload, err = seal.Seal(k, pt, e.payloadAD()); err != nil {
		t.Fatal(err)
	}
	e.Sign(priv)
	c, err := e.OpenChange(k)
	if !errors.Is(err, ErrNotUTF8) || !errors.Is(err, ErrBadChange) || c != nil || strings.Contains(err.Error(), "fake") {
		t.Fatalf("got %v, %v", c, err)
	}
	// The same payload in UTF-8 opens.
	pt = []byte(`{"fields":{"family_name":"Müllerfake","sex":"X"}}`)
	if e.Payload, err = seal.Seal(k, pt, e.payloadAD()); err != nil {
		t.Fatal(err)
	}
	if c, err = e.OpenChange(k); err != nil || string(c.Fields["family_name"]) != `"Müllerfake"` {
		t.Fatalf("UTF-8 payload: %v", err)
	}
}

// FuzzOpenChange: the plaintext of a payload comes from another device. A
// change that opens reads as valid UTF-8 JSON, and CheckChange never
// panics on it.
func FuzzOpenChange(f *testing.F) {
	k, _ := seal.NewKey()
	for _, s := range []string{`{"fields":{"family_name":"Fakeperson"}}`, `{"fields":{"family_name":"M` + "\xfc" + `ller"}}`,
		`{"link":{"other":"R2","same":true}}`, `{"fields":{"family_name":"\udcfc"}}`, `{`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, pt []byte) {
		e := &Event{Origin: "A", Epoch: 1, Seq: 1, HLC: 1, Officer: "off", Record: "R1", Op: OpRegister}
		var err error
		if e.Payload, err = seal.Seal(k, pt, e.payloadAD()); err != nil {
			t.Fatal(err)
		}
		c, err := e.OpenChange(k)
		if err != nil {
			return
		}
		for _, v := range c.Fields {
			if !json.Valid(v) {
				t.Fatalf("field value %q is not JSON", v)
			}
		}
		for _, op := range []string{OpRegister, OpAmend, OpLink} {
			_ = CheckChange(op, c)
		}
	})
}
