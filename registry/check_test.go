package registry

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestCheckEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id, err := NewRegID("BIH", nil)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := NewRegID("BIH", nil)
	srb, _ := NewRegID("SRB", nil)
	// The same body with its last character changed: the check fails.
	badCheck := id[:len(id)-1] + string(crockford[(strings.IndexByte(crockford, id[len(id)-1])+1)%32])
	person := Person{FamilyName: "Fakename", GivenNames: "Testee", Sex: "F", Category: CategoryIrregular,
		Encounter: Encounter{Kind: "apprehension", At: at.Add(-time.Hour)}}
	reg := &Change{Fields: FieldsOf(&person)}
	noCategory := person
	noCategory.Category = ""
	ev := func(record, op string) *Event {
		return &Event{Origin: "dev1", Epoch: 1, Seq: 1, HLC: MakeHLC(at.UnixMilli(), 0), Officer: "o1", Record: record, Op: op}
	}
	amend := func(field, value string) *Change {
		return &Change{Fields: map[string]json.RawMessage{field: json.RawMessage(value)}, Reason: "corrected"}
	}
	cases := []struct {
		name   string
		e      *Event
		c      *Change
		reason string // "" = accepted; otherwise a word of the reason
	}{
		{"registration", ev(id, OpRegister), reg, ""},
		{"bad check character", ev(badCheck, OpRegister), reg, "check character"},
		{"another country", ev(srb, OpRegister), reg, "another country"},
		{"the reported attack", ev("SRB-XXXX-XXXX-XXXX", OpRegister), reg, "check character"},
		{"not an ID", ev("BIH-FAKE-1", OpRegister), reg, "not a registration ID"},
		{"lower case form", ev(strings.ToLower(id), OpRegister), reg, "not a registration ID"},
		{"no category", ev(id, OpRegister), &Change{Fields: FieldsOf(&noCategory)}, "category"},
		{"no fields at all", ev(id, OpRegister), &Change{}, "family_name"},
		{"unknown category", ev(id, OpRegister), &Change{Fields: FieldsOf(&Person{FamilyName: "Fakename", Sex: "M", Category: "relocation",
			Encounter: Encounter{At: at}})}, "category"},
		{"amend a note", ev(id, OpAmend), amend("notes", `"seen again"`), ""},
		{"amend clears the document", ev(id, OpAmend), amend("document", `{}`), ""},
		{"amend to an unknown sex", ev(id, OpAmend), amend("sex", `"Q"`), "sex"},
		{"amend to a future birth", ev(id, OpAmend), amend("birth_date", `"2027-01-01"`), "birth_date"},
		{"amend nothing", ev(id, OpAmend), &Change{Reason: "x"}, "without fields"},
		{"link", ev(id, OpLink), &Change{Link: &Link{Other: other, Same: true}}, ""},
		{"link to itself", ev(id, OpLink), &Change{Link: &Link{Other: id}}, "link"},
		{"link to garbage", ev(id, OpLink), &Change{Link: &Link{Other: "R1"}}, "link"},
		{"link without link", ev(id, OpLink), &Change{}, "link"},
	}
	for _, c := range cases {
		err := CheckEvent(c.e, c.c, "BIH")
		switch {
		case c.reason == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.reason != "" && (err == nil || !errors.Is(err, ErrBadEvent) || !strings.Contains(err.Error(), c.reason)):
			t.Errorf("%s: %v, want ErrBadEvent saying %q", c.name, err, c.reason)
		}
		if err != nil && strings.Contains(err.Error(), "Fakename") {
			t.Errorf("%s: the reason repeats a value: %v", c.name, err)
		}
	}
	// The person CheckEventPerson returns is what Fold decodes from the
	// event alone: a fold that takes it gives the same record.
	for _, c := range cases {
		if c.reason != "" {
			continue
		}
		p, err := CheckEventPerson(c.e, c.c, "BIH")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (p != nil) != (c.e.Op == OpRegister || c.e.Op == OpAmend) {
			t.Errorf("%s: person %v for operation %s", c.name, p != nil, c.e.Op)
		}
		decoded, err := Fold(c.e.Record, []Opened{{Event: c.e, Change: c.c}})
		if err != nil {
			t.Fatalf("%s: fold: %v", c.name, err)
		}
		taken, err := Fold(c.e.Record, []Opened{{Event: c.e, Change: c.c, Person: p}})
		if err != nil {
			t.Fatalf("%s: fold with the person: %v", c.name, err)
		}
		a, _ := json.Marshal(decoded)
		b, _ := json.Marshal(taken)
		if string(a) != string(b) || !reflect.DeepEqual(decoded.Person, taken.Person) {
			t.Errorf("%s: the fold with the checked person differs from the one that decodes", c.name)
		}
	}
	// The encounter is judged at the time the event was signed: a late
	// event is not refused, one dated after its signature is.
	late := ev(id, OpRegister)
	late.HLC = MakeHLC(at.Add(-30*time.Minute).UnixMilli(), 0)
	if err := CheckEvent(late, reg, "BIH"); err != nil {
		t.Errorf("encounter 30 min before signing: %v", err)
	}
	late.HLC = MakeHLC(at.Add(-2*time.Hour).UnixMilli(), 0)
	if err := CheckEvent(late, reg, "BIH"); err == nil {
		t.Error("an encounter after the event was signed is accepted")
	}
}
