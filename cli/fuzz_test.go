package cli

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/registry"
)

// FuzzDecodeLine: a JSON line of `fieldreg register` is untrusted input. It
// must never panic, and whatever passes validation must be a sane person,
// read from UTF-8 without a replacement character.
func FuzzDecodeLine(f *testing.F) {
	f.Add([]byte(`{"family_name":"TESTPERSON","given_names":"Alpha","sex":"F","birth_date":"1990","category":"irregular_crossing"}`))
	f.Add([]byte(`{"family_name":1}`))
	f.Add([]byte(`{"age":-5,"sex":"M","category":"illegal_stay","family_name":"X"}`))
	f.Add([]byte(`{"encounter":{"at":"2026-13-01T00:00:00Z"}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"photo":"!!!"}`))
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := decodeLine(b)
		if err != nil {
			return
		}
		p, err := in.person(now, "TEST")
		if err != nil {
			return
		}
		registry.Normalize(p)
		if registry.Validate(p, now) != nil {
			return
		}
		if p.FamilyName == "" && p.GivenNames == "" {
			t.Fatal("validated a person without a name")
		}
		if !utf8.Valid(b) || !registry.ValidText(p.FamilyName+p.GivenNames+p.Notes+p.PlaceOfBirth+p.Encounter.Place) {
			t.Fatal("validated text that is not UTF-8, or holds U+FFFD")
		}
	})
}
