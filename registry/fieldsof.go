package registry

import (
	"encoding/base64"
	"encoding/json"
)

// FieldsOf flattens a person into field values keyed by JSON name. Empty
// values are left out. The values are, byte for byte, those of
// json.Marshal(p) (the fields a registration seals), written without
// reflection; a person json.Marshal cannot encode (an encounter time
// outside years 0 to 9999) gives nil.
func FieldsOf(p *Person) map[string]json.RawMessage {
	at, err := p.Encounter.At.MarshalJSON()
	if err != nil {
		return nil
	}
	m := make(map[string]json.RawMessage, 16)
	text := func(k, v string) {
		if v != "" {
			m[k] = appendJSONString(nil, v)
		}
	}
	list := func(k string, v []string) {
		if len(v) == 0 {
			return
		}
		b := append(make([]byte, 0, 16*len(v)), '[')
		for i, s := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		m[k] = append(b, ']')
	}
	flag := func(k string, v bool) {
		if v {
			m[k] = json.RawMessage("true")
		}
	}
	text("family_name", p.FamilyName)
	text("given_names", p.GivenNames)
	text("original_script_name", p.OriginalScriptName)
	text("original_script_lang", p.OriginalScriptLang)
	list("aliases", p.Aliases)
	list("nationalities", p.Nationalities)
	text("birth_date", p.BirthDate.String())
	text("place_of_birth", p.PlaceOfBirth)
	text("sex", p.Sex)
	if d := p.Document; !d.IsZero() {
		var o object
		o.text("type", d.Type)
		o.text("number", d.Number)
		o.text("issuing_country", d.IssuingCountry)
		o.text("expiry", d.Expiry)
		m["document"] = o.close()
	}
	text("category", p.Category)
	var enc object
	enc.text("kind", p.Encounter.Kind)
	enc.text("place", p.Encounter.Place)
	enc.raw("at", at)
	m["encounter"] = enc.close()
	list("vulnerabilities", p.Vulnerabilities)
	text("relationship", p.Relationship)
	list("languages", p.Languages)
	flag("interpreter", p.Interpreter)
	flag("information_notice", p.InformationNotice)
	text("notice_lang", p.NoticeLang)
	text("notice_version", p.NoticeVersion)
	if len(p.Photo) > 0 {
		b := make([]byte, 0, base64.StdEncoding.EncodedLen(len(p.Photo))+2)
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, p.Photo)
		m["photo"] = append(b, '"')
	}
	text("notes", p.Notes)
	text("group", p.Group)
	return m
}

// object writes a JSON object of omitempty members, as json.Marshal does.
type object struct{ b []byte }

func (o *object) raw(k string, v []byte) {
	if o.b == nil {
		o.b = append(make([]byte, 0, 64), '{')
	} else {
		o.b = append(o.b, ',')
	}
	o.b = append(appendJSONString(o.b, k), ':')
	o.b = append(o.b, v...)
}

func (o *object) text(k, v string) {
	if v != "" {
		o.raw(k, appendJSONString(nil, v))
	}
}

func (o *object) close() json.RawMessage {
	if o.b == nil {
		return json.RawMessage("{}")
	}
	return append(o.b, '}')
}

// appendJSONString appends s as json.Marshal writes a string: plain
// printable ASCII as it is, anything else (escapes, HTML characters,
// other scripts, invalid UTF-8) by json.Marshal itself.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
