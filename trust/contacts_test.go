package trust

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func testAuthority(t testing.TB, country string) *Authority {
	t.Helper()
	a, err := NewAuthority(country, nil, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func validContacts() Contacts {
	return Contacts{Controller: "Ministry of Testing", ControllerContact: "info@example.ba", DPO: "dpo@example.ba",
		Supervisor: "Test Agency", SupervisorContact: "agency@example.ba", LegalBasis: "Test Law 1/26"}
}

func TestContactsSignVerify(t *testing.T) {
	a := testAuthority(t, "BIH")
	c, err := a.SignContacts(validContacts(), nil, time.Unix(1_800_000_100, 0))
	if err != nil {
		t.Fatal(err)
	}
	if c.Country != "BIH" || c.Issued != 1_800_000_100 {
		t.Errorf("signed %+v", c)
	}
	d, err := UnmarshalContacts(c.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(a.RootPublic()); err != nil {
		t.Fatal(err)
	}
	// Another authority's key, or any changed field, does not verify.
	if err := d.Verify(testAuthority(t, "SRB").RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("another root: %v", err)
	}
	d.DPO = "attacker@example.com"
	if err := d.Verify(a.RootPublic()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("changed DPO: %v", err)
	}
}

func TestContactsRefused(t *testing.T) {
	a := testAuthority(t, "BIH")
	for name, f := range map[string]func(*Contacts){
		"no controller": func(c *Contacts) { c.Controller = " " },
		"no DPO":        func(c *Contacts) { c.DPO = "" },
		"no supervisor": func(c *Contacts) { c.SupervisorContact = "" },
		"too long":      func(c *Contacts) { c.LegalBasis = strings.Repeat("x", MaxContactField+1) },
		"control char":  func(c *Contacts) { c.Controller = "Ministry\x1b[31m" },
		"newline":       func(c *Contacts) { c.DPO = "dpo@example.ba\nforged line" },
		"invalid UTF-8": func(c *Contacts) { c.Supervisor = "Agency \xff" },
	} {
		c := validContacts()
		f(&c)
		if _, err := a.SignContacts(c, nil, time.Now()); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	if _, err := a.SignContacts(Contacts{}, nil, time.Now()); !errors.Is(err, ErrContactsIncomplete) {
		t.Errorf("empty contacts: %v", err)
	}
}

func TestUnmarshalContactsRefuses(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":     nil,
		"not CBOR":  []byte("{}"),
		"too large": make([]byte, MaxContactsSize+1),
	} {
		if _, err := UnmarshalContacts(b); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseContactsInput(t *testing.T) {
	c, err := ParseContactsInput([]byte(`{"controller":"M","controller_contact":"c","dpo":"d","supervisor":"s","supervisor_contact":"sc"}`))
	if err != nil || c.Controller != "M" || c.SupervisorContact != "sc" {
		t.Errorf("%+v, %v", c, err)
	}
	for name, in := range map[string]string{
		"unknown key": `{"controller":"M","dpo_email":"x"}`,
		"not JSON":    `controller=M`,
		"too large":   `{"controller":"` + strings.Repeat("x", MaxContactsSize) + `"}`,
	} {
		if _, err := ParseContactsInput([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzUnmarshalContacts(f *testing.F) {
	a := testAuthority(f, "BIH")
	c, err := a.SignContacts(validContacts(), nil, time.Unix(1_800_000_100, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.Marshal())
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := UnmarshalContacts(b)
		if err != nil {
			return
		}
		// Whatever decodes is checked plain text; it verifies only if signed.
		if d.check() != nil {
			t.Fatal("decoded contacts fail their own check")
		}
		_ = d.Verify(a.RootPublic())
	})
}
