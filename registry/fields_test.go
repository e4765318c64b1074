package registry

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// decodeFields reads a change's values as json.Marshal of the map would,
// and refuses a value that is not one JSON value (it could carry a key of
// its own into the person).
func TestDecodeFields(t *testing.T) {
	p := &Person{FamilyName: "Fakeperson", GivenNames: "Testee <&>", Sex: SexFemale, BirthDate: Date{Year: 1990, Month: 1, Day: 2},
		Nationalities: []string{"XXA"}, Category: CategoryIrregular, Languages: []string{"eng"}, Notes: "\"quoted\" \u00fc",
		Encounter: Encounter{Kind: "apprehension", Place: "Fake crossing point", At: time.UnixMilli(1_700_000_000_000).UTC()}}
	fields := FieldsOf(p)
	var got, want Person
	if err := decodeFields(fields, &got); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(fields)
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
	for name, v := range map[string]string{
		"a second key":     `"Fake","sex":"F"`,
		"an unclosed text": `"Fake`,
		"two values":       `1 2`,
	} {
		bad := map[string]json.RawMessage{"family_name": json.RawMessage(v)}
		if err := CheckChange(OpRegister, &Change{Fields: bad}); !errors.Is(err, ErrBadChange) {
			t.Errorf("%s: %v", name, err)
		}
	}
	var empty Person
	if err := decodeFields(map[string]json.RawMessage{"family_name": nil}, &empty); err != nil || empty.FamilyName != "" {
		t.Fatalf("an empty value reads as null: %+v %v", empty, err)
	}
}
