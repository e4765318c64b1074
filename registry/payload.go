package registry

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// Payload is an event's opened change together with the JSON object its
// fields were read from, so that a receiver checking it (CheckPayload)
// decodes a registration's or an amendment's fields as a person straight
// from that object, once, instead of rebuilding an object from
// Change.Fields and reading it again. Change must not be modified between
// OpenPayload and CheckPayload.
type Payload struct {
	Change *Change
	// fields is the payload's "fields" object when reading it as a person
	// is the same as reading Change.Fields (decodeFields): it occurs once,
	// and its keys are ASCII without capitals and distinct, so no two of
	// them can name the same field of Person (encoding/json matches keys
	// to fields ignoring case). Nil otherwise (no fields, or the rare
	// payload that takes decodeFields).
	fields []byte
}

// changeWire reads a change in one pass, keeping its "fields" object as
// it stands: the outer Fields hides Change's own (a shallower field wins
// in encoding/json).
type changeWire struct {
	Change
	Fields fieldsObject `json:"fields,omitempty"`
}

// fieldsObject is every value given under the key "fields" (or a key
// encoding/json takes for it), in order.
type fieldsObject struct {
	raw [][]byte
}

// UnmarshalJSON keeps data, which is part of the opened payload: the
// payload is not written to afterwards.
func (f *fieldsObject) UnmarshalJSON(data []byte) error {
	f.raw = append(f.raw, data)
	return nil
}

// OpenPayload opens e's payload as OpenChange does, with the same errors
// and the same Change for every input, reading it in one pass where it
// can.
func (e *Event) OpenPayload(key *seal.Key) (Payload, error) {
	if e.Erased() {
		return Payload{}, fmt.Errorf("event %s: %w", e.ID(), ErrErased)
	}
	b, err := seal.Open(key, e.Payload, e.payloadAD())
	if err != nil {
		return Payload{}, fmt.Errorf("event %s: %w", e.ID(), err)
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD without a word;
	// a signed payload that is not UTF-8 is refused as it stands.
	if !utf8.Valid(b) {
		return Payload{}, fmt.Errorf("event %s: %w", e.ID(), ErrNotUTF8)
	}
	if pl, ok := readPayload(b); ok {
		return pl, nil
	}
	// Anything unusual (a malformed payload, "fields" twice or not an
	// object, keys that are not plain) is read straight into a Change, the
	// fields as encoding/json makes the map, with its errors.
	var c Change
	if err := json.Unmarshal(b, &c); err != nil {
		return Payload{}, fmt.Errorf("event %s: payload malformed: %w", e.ID(), err)
	}
	return Payload{Change: &c}, nil
}

// readPayload reads b, valid UTF-8, in one pass; false when it must be
// read the ordinary way: it is malformed, it holds "fields" other than
// once as an object, or the keys of its fields are not plain (plainKey)
// or not distinct.
func readPayload(b []byte) (Payload, bool) {
	var w changeWire
	if err := json.Unmarshal(b, &w); err != nil {
		return Payload{}, false
	}
	c := w.Change
	switch len(w.Fields.raw) {
	case 0:
		return Payload{Change: &c}, true
	case 1:
	default:
		return Payload{}, false
	}
	obj := w.Fields.raw[0]
	m, ok := splitObject(obj)
	if !ok {
		return Payload{}, false
	}
	c.Fields = m
	return Payload{Change: &c, fields: obj}, true
}

// splitObject reads obj, one valid JSON value, as encoding/json reads it
// into a map[string]json.RawMessage, when it is an object whose keys are
// plain: distinct, and ASCII without a capital letter, so no two of them
// fold to one name. False otherwise, and for a key with an escape
// (decoded the ordinary way instead).
func splitObject(obj []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return nil, false
	}
	// Where each key and value is, first, so the map is made to size.
	type span struct{ key, start, stop int }
	spans := make([]span, 0, 32)
	i = skipSpace(obj, i+1)
	for i < len(obj) && obj[i] != '}' {
		if obj[i] != '"' {
			return nil, false
		}
		end := skipString(obj, i)
		if !plainKey(obj[i+1 : end-1]) {
			return nil, false // or escaped: read the ordinary way
		}
		key := i
		if i = skipSpace(obj, end); i >= len(obj) || obj[i] != ':' {
			return nil, false
		}
		start := skipSpace(obj, i+1)
		stop := skipValue(obj, start)
		spans = append(spans, span{key, start, stop})
		if i = skipSpace(obj, stop); i < len(obj) && obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
	}
	// The values are parts of obj (the opened payload, which nothing else
	// holds), each capped so that appending to one cannot write over the
	// next.
	m := make(map[string]json.RawMessage, len(spans))
	for _, s := range spans {
		m[string(obj[s.key+1:skipString(obj, s.key)-1])] = json.RawMessage(obj[s.start:s.stop:s.stop])
	}
	if len(m) != len(spans) {
		return nil, false // a key given twice
	}
	return m, true
}

// plainKey reports whether k is ASCII without a capital letter (nor a
// backslash, so that, as a key written in JSON, it stands for itself).
// Distinct plain keys never fold to one name as encoding/json matches keys
// to the fields of a struct (bytes.EqualFold), so the order in which they
// are read into a Person does not matter.
func plainKey[S ~string | ~[]byte](k S) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c == '\\' || c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// skipSpace returns the index of the first byte at or after i that is not
// JSON white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i], a
// quote, in valid JSON.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the value starting at b[i] in
// valid JSON.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}

// CheckPayload is CheckEventPerson of pl.Change, decoding the fields of a
// registration or an amendment from the object they were read from when
// OpenPayload kept it: the same verdict and the same person.
func CheckPayload(e *Event, pl Payload, country string) (*Person, error) {
	return checkEventPerson(e, pl.Change, pl.fields, country)
}
