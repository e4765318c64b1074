package federation

import (
	"bytes"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/enrol"
)

func shared(key []byte, a, b *registry.Person) Shared {
	ta, tb := Tokens(key, KeysOf(a)), Tokens(key, KeysOf(b))
	m := map[string]bool{}
	for _, t := range ta {
		m[string(t.Token)] = true
	}
	var s Shared
	for _, t := range tb {
		if m[string(t.Token)] {
			s.Add(t.Kind)
		}
	}
	return s
}

func person(family, given, birth, doc string) *registry.Person {
	d, err := registry.ParseDate(birth)
	if err != nil {
		panic(err)
	}
	return &registry.Person{FamilyName: family, GivenNames: given, BirthDate: d, Sex: "M", Document: registry.Document{Number: doc}}
}

// The hit rule on obviously fake people: transliteration variants are hits,
// unrelated people and namesakes of another generation are not.
func TestHitRule(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	a := person("Fakehassan", "Mohammed Testee", "1990-03-04", "ZZFAKE0001")
	for _, c := range []struct {
		name string
		b    *registry.Person
		hit  bool
	}{
		{"transliteration", person("Fakehasan", "Muhammad Testee", "1990-03-04", ""), true},
		{"cyrillic", person("Фейкхасан", "Мухаммед Тести", "1991", ""), true},
		{"same document", person("Other", "Name", "", "ZZFAKE0001"), true},
		{"one document slip", person("Fakehassan", "Mohammed", "", "ZZFAKE0007"), true},
		{"unrelated", person("Nobodyelse", "Example Sample", "1975-01-01", "QQ999"), false},
		{"one common word", person("Fakehassan", "Quux", "1950", ""), false},
	} {
		s := shared(key, a, c.b)
		if hit, why := s.Hit(); hit != c.hit {
			t.Errorf("%s: hit %v (%s), want %v; shared %+v", c.name, hit, why, c.hit, s)
		}
	}
	// Names the person was registered under besides the primary one: an
	// alias, and the name in original script (Cyrillic here), are found
	// from another country under that name.
	other := person("Xyzfake", "Testee", "1990-03-04", "")
	if s := shared(key, other, person("Fakeomar", "Testalias", "1990", "")); s.Pair > 0 || s.Name > 0 {
		t.Fatalf("without aliases the names share a pair: %+v", s)
	}
	other.Aliases = []string{"Fakeomar Testalias"}
	other.OriginalScriptName = "Мухаммед Тести Фейкхасан"
	for name, b := range map[string]*registry.Person{
		"alias":           person("Fakeomar", "Testalias", "1990", ""),
		"original script": person("Fakehasan", "Muhammad Testee", "1991-05-06", ""),
	} {
		if hit, why := shared(key, other, b).Hit(); !hit {
			t.Errorf("%s: no hit (%s)", name, why)
		}
	}
	if hit, _ := shared(key, other, person("Nobodyelse", "Example Sample", "1990", "")).Hit(); hit {
		t.Error("an unrelated person hits through the aliases")
	}
	// Another key, no shared tokens.
	if s := shared(bytes.Repeat([]byte{8}, 32), a, a); s != (Shared{}) {
		// shared uses one key for both sides; check tokens differ across keys
		ta, tb := Tokens(bytes.Repeat([]byte{7}, 32), KeysOf(a)), Tokens(bytes.Repeat([]byte{8}, 32), KeysOf(a))
		if bytes.Equal(ta[0].Token, tb[0].Token) {
			t.Error("tokens do not depend on the key")
		}
	}
}

func TestPackageRoundTrip(t *testing.T) {
	p := &Package{Region: "WBR", Country: "BIH", ClientID: "abc", SignSeed: bytes.Repeat([]byte{1}, 32), ClientCert: []byte{1},
		RegionURL: "https://localhost:9443", RegionCert: []byte{2}, IndexKey: bytes.Repeat([]byte{3}, 32), Sharing: "index"}
	code, _ := enrol.NewCode(nil)
	f, err := Seal(p, code, vault.LowParams)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Open(f, code)
	if err != nil || got.Country != "BIH" || !bytes.Equal(got.IndexKey, p.IndexKey) {
		t.Fatalf("%+v %v", got, err)
	}
	other, _ := enrol.NewCode(nil)
	if _, err := Open(f, other); err != ErrWrongCode {
		t.Fatalf("wrong code: %v", err)
	}
	if _, err := Open([]byte("not a package"), code); err == nil {
		t.Fatal("garbage opened")
	}
	f[len(f)/2] ^= 1
	if _, err := Open(f, code); err == nil {
		t.Fatal("altered package opened")
	}
}

// Sharing modes: full needs the region's details recipient; index must not
// carry one; unknown modes are refused in plain words.
func TestPackageSharing(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	base := func(sharing, recipient string) *Package {
		return &Package{Region: "WBR", Country: "BIH", ClientID: "abc", SignSeed: bytes.Repeat([]byte{1}, 32), ClientCert: []byte{1},
			RegionURL: "https://localhost:9443", RegionCert: []byte{2}, IndexKey: bytes.Repeat([]byte{3}, 32), Sharing: sharing, DetailsRecipient: recipient}
	}
	p, err := Unmarshal(base(SharingFull, id.Recipient().String()).Marshal())
	if err != nil || p.Sharing != SharingFull || p.DetailsRecipient != id.Recipient().String() {
		t.Fatalf("full: %+v %v", p, err)
	}
	for name, c := range map[string]*Package{
		"full without key":  base(SharingFull, ""),
		"full, bad key":     base(SharingFull, "age1notakey"),
		"index with a key":  base(SharingIndex, id.Recipient().String()),
		"unknown mode":      base("everything", ""),
		"empty mode":        base("", ""),
		"mode in uppercase": base("FULL", id.Recipient().String()),
	} {
		if _, err := Unmarshal(c.Marshal()); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := CheckSharing("fulll"); err == nil || !strings.Contains(err.Error(), `"index"`) || !strings.Contains(err.Error(), `"fulll"`) {
		t.Errorf("CheckSharing: %v", err)
	}
	for _, ok := range []string{SharingIndex, SharingFull} {
		if err := CheckSharing(ok); err != nil {
			t.Errorf("CheckSharing(%q): %v", ok, err)
		}
	}
}

// Details open only with the region's identity, only as the data of the
// country and reference they were sealed for, and not when altered.
func TestDetails(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	data := []byte(`{"surnames":"Fakehassan"}`)
	c, err := SealDetails(id.Recipient().String(), "BIH", "BIH-1", data)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(c, []byte("Fakehassan")) {
		t.Fatal("details in the clear")
	}
	got, err := OpenDetails(id, "BIH", "BIH-1", c)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("open: %q %v", got, err)
	}
	bad := bytes.Clone(c)
	bad[len(bad)-5] ^= 1
	for name, tc := range map[string]struct {
		id           *age.X25519Identity
		country, ref string
		b            []byte
	}{
		"other identity":  {other, "BIH", "BIH-1", c},
		"other reference": {id, "BIH", "BIH-2", c},
		"other country":   {id, "SRB", "BIH-1", c},
		"altered":         {id, "BIH", "BIH-1", bad},
		"empty":           {id, "BIH", "BIH-1", nil},
		"garbage":         {id, "BIH", "BIH-1", []byte("age-encryption.org/v1\ngarbage")},
		"oversized":       {id, "BIH", "BIH-1", make([]byte, MaxDetails+1)},
	} {
		if _, err := OpenDetails(tc.id, tc.country, tc.ref, tc.b); err != ErrDetails {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := SealDetails("age1notakey", "BIH", "BIH-1", data); err == nil {
		t.Error("sealed to a malformed recipient")
	}
	if _, err := SealDetails(id.Recipient().String(), "BIH", "BIH-1", make([]byte, MaxDetails)); err == nil {
		t.Error("oversized details sealed")
	}
}
