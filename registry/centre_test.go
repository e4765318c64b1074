package registry

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"crypto/ed25519"
	"github.com/fieldreg/fieldreg/crypto/seal"
)

func TestFit(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	man := &Person{Sex: SexMale, BirthDate: Date{Year: 1990}}
	woman := &Person{Sex: SexFemale, BirthDate: Date{Year: 1992}}
	child := &Person{Sex: SexMale, BirthDate: Date{Year: 2014}, Vulnerabilities: []string{VulnUnaccompaniedChild}}
	lone16 := &Person{Sex: SexFemale, BirthDate: Date{Year: 2010}}
	ill := &Person{Sex: SexMale, BirthDate: Date{Year: 1960}, Vulnerabilities: []string{VulnMedical}}
	kid := &Person{Sex: SexFemale, BirthDate: Date{Year: 2019}}
	for _, c := range []struct {
		name   string
		people []*Person
		want   []string
	}{
		{"single man", []*Person{man}, []string{SectionSingleMen}},
		{"single woman", []*Person{woman}, []string{SectionSingleWomen}},
		{"unaccompanied child", []*Person{child}, []string{SectionUnaccompanied, SectionVulnerable}},
		{"a 16-year-old alone", []*Person{lone16}, []string{SectionUnaccompanied, SectionVulnerable}},
		{"vulnerable first", []*Person{ill}, []string{SectionVulnerable, SectionSingleMen}},
		{"family", []*Person{man, woman, kid}, []string{SectionFamilies}},
		{"family with a sick father", []*Person{ill, woman, kid}, []string{SectionVulnerable, SectionFamilies}},
		{"unaccompanied child with adults", []*Person{man, child}, []string{SectionVulnerable}},
	} {
		if got := Fit(c.people, at); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	err := CheckFit([]*Person{child}, SectionSingleMen, at)
	if !errors.Is(err, ErrDoesNotFit) || !strings.Contains(err.Error(), "unaccompanied child goes only to unaccompanied_children or vulnerable") {
		t.Errorf("child to single_men: %v", err)
	}
	if err := CheckFit([]*Person{man, woman, kid}, SectionSingleMen, at); !errors.Is(err, ErrDoesNotFit) || !strings.Contains(err.Error(), "stays together") {
		t.Errorf("family to single_men: %v", err)
	}
	if err := CheckFit([]*Person{ill}, SectionSingleMen, at); err != nil {
		t.Errorf("a vulnerable man may still go to single_men: %v", err)
	}
}

func TestStayFold(t *testing.T) {
	k, _ := seal.NewKey()
	_, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	reg := b.event("A", 1, 100, OpRegister, &Change{Fields: FieldsOf(validPerson())})
	refer := b.event("A", 2, 200, OpRefer, &Change{Stay: &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies}})
	in := b.event("B", 1, 300, OpCheckIn, &Change{Stay: &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies}})
	away := b.event("B", 2, 400, OpAbsent, &Change{Stay: &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies}})
	move := b.event("B", 3, 500, OpTransfer, &Change{Stay: &Occupancy{Centre: "BIH-TWO", Section: SectionVulnerable}})
	out := b.event("C", 1, 600, OpCheckOut, &Change{Stay: &Occupancy{Centre: "BIH-TWO", Reason: LeftNotArrived}})
	steps := []struct {
		evs                    []Opened
		centre, section, state string
	}{
		{[]Opened{reg, refer}, "BIH-ONE", SectionFamilies, StayReferred},
		{[]Opened{in, reg, refer}, "BIH-ONE", SectionFamilies, StayResident},
		{[]Opened{away, in, reg, refer}, "BIH-ONE", SectionFamilies, StayAbsent},
		{[]Opened{reg, move, away, in, refer}, "BIH-TWO", SectionVulnerable, StayReferred},
		{[]Opened{out, reg, move, away, in, refer}, "BIH-TWO", SectionVulnerable, StayLeft},
	}
	for i, s := range steps {
		r, err := Fold("R1", s.evs)
		if err != nil {
			t.Fatal(err)
		}
		if r.Stay == nil || r.Stay.Centre != s.centre || r.Stay.Section != s.section || r.Stay.State != s.state {
			t.Errorf("step %d: %+v", i, r.Stay)
		}
		if r.Person.FamilyName != "Testperson" || len(r.Versions) != len(s.evs) {
			t.Errorf("step %d: the record's own fields or history changed: %+v", i, r.Versions)
		}
	}
	if r, _ := Fold("R1", []Opened{reg}); r.Stay != nil || r.Stay.Open() {
		t.Error("a record never referred has a stay")
	}
}

func TestCheckOccupancyEvent(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	id, _ := NewRegID("BIH", nil)
	other, _ := NewRegID("BIH", nil)
	ev := func(op string) *Event {
		return &Event{Origin: "dev1", Epoch: 1, Seq: 1, HLC: MakeHLC(at.UnixMilli(), 0), Officer: "o1", Record: id, Op: op}
	}
	for _, c := range []struct {
		name string
		op   string
		o    *Occupancy
		ok   bool
	}{
		{"referral", OpRefer, &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies, Group: []string{id, other}}, true},
		{"check-in", OpCheckIn, &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies, WalkIn: true}, true},
		{"absence", OpAbsent, &Occupancy{Centre: "BIH-ONE"}, true},
		{"check-out", OpCheckOut, &Occupancy{Centre: "BIH-ONE", Reason: LeftReturned}, true},
		{"no centre", OpRefer, nil, false},
		{"bad centre code", OpRefer, &Occupancy{Centre: "bih one", Section: SectionFamilies}, false},
		{"unknown section", OpRefer, &Occupancy{Centre: "BIH-ONE", Section: "attic"}, false},
		{"no section", OpCheckIn, &Occupancy{Centre: "BIH-ONE"}, false},
		{"unknown reason", OpCheckOut, &Occupancy{Centre: "BIH-ONE", Reason: "vanished"}, false},
		{"group without the record", OpRefer, &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies, Group: []string{other}}, false},
		{"group of garbage", OpRefer, &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies, Group: []string{id, "X"}}, false},
		{"control characters", OpRefer, &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies, Transport: "bus\x1b[2J"}, false},
	} {
		err := CheckEvent(ev(c.op), &Change{Stay: c.o}, "BIH")
		if (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
		if err != nil && !errors.Is(err, ErrBadEvent) {
			t.Errorf("%s: not ErrBadEvent: %v", c.name, err)
		}
	}
}

// FoldStay, from occupancy events alone in any order, gives the stay the
// record's fold gives.
func TestFoldStayAgreesWithFold(t *testing.T) {
	k, _ := seal.NewKey()
	_, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	evs := []Opened{
		b.event("A", 1, 100, OpRegister, &Change{Fields: FieldsOf(validPerson())}),
		b.event("A", 2, 200, OpRefer, &Change{Stay: &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies}}),
		b.event("B", 1, 300, OpCheckIn, &Change{Stay: &Occupancy{Centre: "BIH-ONE", Section: SectionFamilies}}),
		b.event("C", 1, 300, OpAbsent, &Change{Stay: &Occupancy{Centre: "BIH-ONE"}}),
	}
	r, err := Fold("R1", evs)
	if err != nil {
		t.Fatal(err)
	}
	var se []StayEvent
	for _, o := range []Opened{evs[3], evs[1], evs[2], evs[3]} {
		se = append(se, StayEvent{Event: o.Event.ID(), HLC: o.Event.HLC, Op: o.Event.Op, Stay: *o.Change.Stay})
	}
	got := FoldStay(se)
	if got == nil || got.State != r.Stay.State || got.Event != r.Stay.Event || got.Centre != r.Stay.Centre {
		t.Fatalf("FoldStay %+v, Fold %+v", got, r.Stay)
	}
	if FoldStay(nil) != nil {
		t.Error("a stay from nothing")
	}
}

func TestMoves(t *testing.T) {
	day := func(d int) HLC { return MakeHLC(time.Date(2026, 3, d, 10, 0, 0, 0, time.UTC).UnixMilli(), 0) }
	ev := func(seq uint64, d int, op, centre string) StayEvent {
		return StayEvent{Event: EventID{"A", 1, seq}, HLC: day(d), Op: op, Stay: Occupancy{Centre: centre, Section: SectionFamilies}}
	}
	evs := []StayEvent{
		ev(6, 8, OpCheckOut, "BIH-TWO"),
		ev(1, 1, OpRefer, "BIH-ONE"),
		ev(2, 2, OpCheckIn, "BIH-ONE"),
		ev(3, 3, OpAbsent, "BIH-ONE"),
		ev(4, 4, OpCheckIn, "BIH-ONE"), // back: no arrival
		ev(5, 5, OpTransfer, "BIH-TWO"),
		ev(7, 6, OpCheckIn, "BIH-TWO"),
		ev(2, 2, OpCheckIn, "BIH-ONE"), // a repeat
	}
	got := Moves(evs)
	want := []Move{{"2026-03-02", "BIH-ONE", true}, {"2026-03-05", "BIH-ONE", false}, {"2026-03-06", "BIH-TWO", true}, {"2026-03-08", "BIH-TWO", false}}
	if !slices.Equal(got, want) {
		t.Fatalf("moves %v, want %v", got, want)
	}
}
