package registry

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// fieldsOfJSON is FieldsOf as it was written before, through a full
// json.Marshal of the person: the reference the faster one must match
// byte for byte, since the values are sealed and signed.
func fieldsOfJSON(p *Person) map[string]json.RawMessage {
	b, _ := json.Marshal(p)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	for k, v := range m {
		switch string(v) {
		case `""`, "null", "false", "[]", "{}":
			delete(m, k)
		}
	}
	return m
}

// sameFields reports how got differs from want, "" when it does not.
func sameFields(got, want map[string]json.RawMessage) string {
	if (got == nil) != (want == nil) {
		return "one is nil"
	}
	if len(got) != len(want) {
		return "different fields"
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			return "field " + k + " differs"
		}
	}
	return ""
}

func TestFieldsOfMatchesJSON(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 4, 5, 123456789, time.FixedZone("", 3600))
	full := Person{FamilyName: "Fakename", GivenNames: "Testee Maria", OriginalScriptName: "فاكنيم",
		OriginalScriptLang: "ara", Aliases: []string{"Tester", ""}, Nationalities: []string{"SYR", "XXA"},
		BirthDate: Date{Year: 1990, Month: 3}, PlaceOfBirth: "Nowhere <\"&\">", Sex: "F",
		Document: Document{Type: "passport", Number: "X1234567", IssuingCountry: "SYR", Expiry: "2030-01-01"},
		Category: CategoryIrregular, Encounter: Encounter{Kind: "apprehension", Place: "Test crossing", At: at},
		Vulnerabilities: []string{VulnMedical}, Relationship: "head", Languages: []string{"ara", "eng"},
		Interpreter: true, InformationNotice: true, NoticeLang: "ara", NoticeVersion: "2026-01",
		Photo: []byte{0xff, 0xd8, 0xff, 0x00, 0x01}, Notes: "line one\nline two\t\u2028 \x01 \x7f", Group: "G-1"}
	cases := map[string]Person{
		"empty": {},
		"each escape alone": {FamilyName: "a<b", GivenNames: "a>b", PlaceOfBirth: "a&b", Notes: "a\\b", Group: "a\"b",
			Relationship: "a\x1fb", Sex: "a\x7fb", Category: "a\u2029b", NoticeLang: "ä", NoticeVersion: "\xc3"},
		"full":              full,
		"document in part":  {FamilyName: "Fakename", Document: Document{Number: "A1"}},
		"estimated birth":   {BirthDate: Date{Year: 1990, Estimated: true}},
		"invalid UTF-8":     {FamilyName: "Dvo\x9a\xe1k", Notes: "\xff"},
		"empty lists":       {Aliases: []string{}, Languages: []string{}, Photo: []byte{}},
		"time in UTC":       {Encounter: Encounter{At: at.UTC()}},
		"time out of range": {FamilyName: "Fakename", Encounter: Encounter{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
	for name, p := range cases {
		if d := sameFields(FieldsOf(&p), fieldsOfJSON(&p)); d != "" {
			t.Errorf("%s: %s", name, d)
		}
	}
	if FieldsOf(&Person{Encounter: Encounter{At: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}) != nil {
		t.Error("a person json.Marshal refuses gives fields")
	}
}

// FuzzFieldsOf checks FieldsOf against the json.Marshal encoding for any
// text, photo, date and encounter time.
func FuzzFieldsOf(f *testing.F) {
	f.Add("Fakename", "Testee", "ara", "SYR", "passport", "X1", "notes <&>", []byte{1, 2, 3}, 1990, 3, 4, false, true, int64(1772359445), 3600)
	f.Fuzz(func(t *testing.T, name, given, lang, nat, docType, docNumber, notes string, photo []byte, year, month, day int, estimated, flag bool, at int64, offset int) {
		p := Person{FamilyName: name, GivenNames: given, OriginalScriptName: notes, OriginalScriptLang: lang,
			Aliases: []string{given, name}, Nationalities: []string{nat},
			BirthDate: Date{Year: year, Month: month, Day: day, Estimated: estimated}, PlaceOfBirth: docNumber,
			Sex: lang, Document: Document{Type: docType, Number: docNumber, Expiry: notes},
			Category: nat, Encounter: Encounter{Kind: docType, Place: notes, At: time.Unix(at, int64(offset)&0x3fffffff).In(time.FixedZone("", offset%(18*3600)))},
			Relationship: name, Languages: []string{lang, notes}, Interpreter: flag, InformationNotice: estimated,
			NoticeLang: lang, NoticeVersion: given, Photo: photo, Notes: notes, Group: docType}
		if flag {
			p.Aliases, p.Nationalities, p.Languages = nil, nil, []string{}
		}
		if d := sameFields(FieldsOf(&p), fieldsOfJSON(&p)); d != "" {
			t.Fatalf("FieldsOf differs from json.Marshal: %s", d)
		}
	})
}
