package registry

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// The oracle: how a receiver read and judged a payload before Payload,
// kept as it was (OpenChange, CheckEventPerson, decodeFields with the
// map's own order).

func oracleOpen(b []byte) (*Change, error) {
	var c Change
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

func oracleDecodeFields(fields map[string]json.RawMessage, p *Person) error {
	b := make([]byte, 0, 512)
	b = append(b, '{')
	for k, v := range fields {
		if len(v) == 0 {
			v = json.RawMessage("null")
		} else if !json.Valid(v) {
			return fmt.Errorf("%w: stored values malformed", ErrBadChange)
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(appendKey(b, k), ':')
		b = append(b, v...)
	}
	b = append(b, '}')
	if err := json.Unmarshal(b, p); err != nil {
		return fmt.Errorf("%w: stored values malformed", ErrBadChange)
	}
	return nil
}

// oracleCheck is CheckEventPerson as it was; with ordered, it reads the
// fields in the order of their keys (decodeFields now), for keys that fold
// together, whose verdict and person depended on the map's order.
func oracleCheck(e *Event, c *Change, country string, ordered bool) (*Person, error) {
	if err := checkRecordID(e.Record, country); err != nil {
		return nil, err
	}
	var p Person
	var err error
	if e.Op == OpRegister || e.Op == OpAmend {
		err = oracleDecodeFields(c.Fields, &p)
		if ordered {
			p = Person{}
			err = decodeFields(c.Fields, &p)
		}
	} else {
		err = checkChange(e.Op, c, &p)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEvent, err)
	}
	if err := checkEvent(e, c, &p); err != nil {
		return nil, err
	}
	if e.Op == OpRegister || e.Op == OpAmend {
		return &p, nil
	}
	return nil, nil
}

// foldTwins reports whether two keys of fields are equal ignoring case as
// encoding/json ignores it (strings.EqualFold): the one case where the
// oracle's person depends on the map's order.
func foldTwins(fields map[string]json.RawMessage) bool {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			if strings.EqualFold(keys[i], keys[j]) {
				return true
			}
		}
	}
	return false
}

var payloadOps = []string{OpRegister, OpAmend, OpLink, OpRefer, OpErase, OpEraseBy, "bogus"}

// comparePayload opens pt as event e's payload both ways and judges it
// both ways: the same error (word for word), the same change and the same
// person. Where the oracle's person depends on map order (keys that fold
// together), the new reading is the one decodeFields now gives (keys in
// order), and the verdicts agree.
func comparePayload(t *testing.T, k *seal.Key, e *Event, pt []byte) (fast bool) {
	t.Helper()
	var err error
	if e.Payload, err = seal.Seal(k, pt, e.payloadAD()); err != nil {
		t.Fatal(err)
	}
	pl, err := e.OpenPayload(k)
	oc, oerr := e.oracleOpenEvent(k)
	if (err == nil) != (oerr == nil) || err != nil && err.Error() != oerr.Error() {
		t.Fatalf("open: %v, oracle %v", err, oerr)
	}
	if err != nil {
		return false
	}
	if !reflect.DeepEqual(pl.Change, oc) {
		t.Fatalf("change %#v, oracle %#v", pl.Change, oc)
	}
	p, err := CheckPayload(e, pl, "BIH")
	twins := foldTwins(oc.Fields)
	if twins && pl.fields != nil {
		t.Fatal("keys that fold together read in one pass")
	}
	op, oerr := oracleCheck(e, oc, "BIH", twins)
	if (err == nil) != (oerr == nil) || err != nil && err.Error() != oerr.Error() {
		t.Fatalf("%s: check: %v, oracle %v", e.Op, err, oerr)
	}
	if !reflect.DeepEqual(p, op) {
		t.Fatalf("person %+v, oracle %+v", p, op)
	}
	return pl.fields != nil
}

// oracleOpenEvent is OpenChange as it was.
func (e *Event) oracleOpenEvent(k *seal.Key) (*Change, error) {
	if e.Erased() {
		return nil, fmt.Errorf("event %s: %w", e.ID(), ErrErased)
	}
	b, err := seal.Open(k, e.Payload, e.payloadAD())
	if err != nil {
		return nil, fmt.Errorf("event %s: %w", e.ID(), err)
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("event %s: %w", e.ID(), ErrNotUTF8)
	}
	c, err := oracleOpen(b)
	if err != nil {
		return nil, fmt.Errorf("event %s: payload malformed: %w", e.ID(), err)
	}
	return c, nil
}

// payloadSeeds are payloads an honest device writes and the hostile ones
// whose reading is delicate: keys twice, keys that fold together, "fields"
// twice or spelt otherwise, null and non-object fields, escaped keys,
// nested objects given twice, white space.
func payloadSeeds() []string {
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p := Person{FamilyName: "Fakename", GivenNames: "Testee \"Q\" \u00fc", Sex: "F", Category: CategoryIrregular,
		BirthDate: Date{Year: 1990, Month: 2, Day: 3}, Nationalities: []string{"XXA"}, Languages: []string{"eng"},
		Document: Document{Number: "X123"}, Encounter: Encounter{Kind: "apprehension", At: at, Place: "Fake post"}}
	reg, _ := json.Marshal(&Change{Fields: FieldsOf(&p), By: "Officer Fake"})
	amend, _ := json.Marshal(&Change{Fields: map[string]json.RawMessage{"family_name": json.RawMessage(`"Othername"`), "notes": json.RawMessage(`""`)},
		Prev: map[string]EventID{"family_name": {"dev1", 1, 1}}, Reason: "corrected"})
	return []string{
		string(reg), string(amend),
		`{"fields":{}}`, `{}`, `{"fields":null}`, `{"fields":5}`, `{"fields":[1]}`, `{"fields":"x"}`,
		`{"fields":{"sex":"F","sex":"M"}}`,
		`{"fields":{"sex":"F","SEX":"M"}}`, `{"fields":{"Sex":"F","sex":"M","sEx":"X"}}`,
		`{"fields":{"\u017fex":"M","sex":"F"}}`, `{"fields":{"s\u0065x":"M","sex":"F"}}`, `{"fields":{"s\u0065x":"F"}}`,
		`{"Fields":{"sex":"F"}}`, `{"fields":{"sex":"F"},"FIELDS":{"family_name":"Fake"}}`,
		`{"fields":{"sex":"F"},"fields":null,"fields":{"family_name":"Fake"}}`,
		`{"fields":{"document":{"number":"A1"},"document":{"type":"passport"}}}`,
		`{"fields":{"document":{"number":"A1"},"document":null}}`,
		`{"fields":{"family_name":null,"given_names":"","photo":"AAAA","interpreter":true}}`,
		` { "fields" : { "family_name" : "Fake" , "aliases" : [ "a" , "b\"]" ] , "x" : { "y" : [ {} ] } } , "reason" : "r" } `,
		`{"fields":{"family_name":"Fake"}} trailing`, `{"fields":{"family_name":"Fake"}`, `{"fields":{"family_name":1}}`,
		`{"fields":{"birth_date":"not a date"}}`, `{"fields":{"unknown":{"deep":[1,2,{"a":"}"}]}}}`,
		`{"link":{"other":"BIH","same":true},"fields":{"sex":5}}`, `{"stay":{"centre":"C1"}}`,
		`{"fields":{"family_name":"Fake"},"reason":5}`, `{"fields":{"family_name":"M` + "\xfc" + `ller"}}`,
		`{"fields":{"family_name":"\udcfc"}}`, `{"fields":{"fam\u0000ily":"x"}}`, `null`, `[]`, `{`, ``,
	}
}

func payloadEvent(t testing.TB, op string) *Event {
	id, err := NewRegID("BIH", nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	return &Event{Origin: "dev1", Epoch: 1, Seq: 1, HLC: MakeHLC(at.UnixMilli(), 0), Officer: "o1", Record: id, Op: op}
}

// TestPayloadAsBefore: every seed, under every operation, opens to the
// same change and is judged the same as before, and an honest
// registration takes the one-pass reading.
func TestPayloadAsBefore(t *testing.T) {
	k, _ := seal.NewKey()
	for i, s := range payloadSeeds() {
		for _, op := range payloadOps {
			fast := comparePayload(t, k, payloadEvent(t, op), []byte(s))
			if i < 2 && !fast {
				t.Errorf("seed %d (%s) not read in one pass", i, op)
			}
		}
	}
}

func FuzzPayload(f *testing.F) {
	for _, s := range payloadSeeds() {
		f.Add([]byte(s), uint8(0))
	}
	k, _ := seal.NewKey()
	id, _ := NewRegID("BIH", nil)
	f.Fuzz(func(t *testing.T, pt []byte, op uint8) {
		e := payloadEvent(t, payloadOps[int(op)%len(payloadOps)])
		e.Record = id
		comparePayload(t, k, e, pt)
	})
}

// Two keys that encoding/json takes for one field of Person used to be
// read in the map's order, so two receivers could decode different people
// from one event; now the later key in byte order gives the value, every
// time, on the way in (CheckPayload) and in a fold (decodeFields).
func TestFoldTwinsDecided(t *testing.T) {
	k, _ := seal.NewKey()
	p := Person{FamilyName: "Fakename", GivenNames: "Testee", Sex: "F", Category: CategoryIrregular,
		Encounter: Encounter{Kind: "apprehension", At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}}
	fields := FieldsOf(&p)
	fields["SEX"] = json.RawMessage(`"Q"`) // before "sex" in byte order: "sex" wins
	pt, _ := json.Marshal(&Change{Fields: fields})
	for range 50 {
		e := payloadEvent(t, OpRegister)
		e.Payload, _ = seal.Seal(k, pt, e.payloadAD())
		pl, err := e.OpenPayload(k)
		if err != nil {
			t.Fatal(err)
		}
		got, err := CheckPayload(e, pl, "BIH")
		if err != nil || got.Sex != "F" {
			t.Fatalf("sex %v, %v", got, err)
		}
		var folded Person
		if err := decodeFields(fields, &folded); err != nil || folded.Sex != "F" {
			t.Fatalf("folded sex %q, %v", folded.Sex, err)
		}
	}
}
