package registry

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func TestParseDate(t *testing.T) {
	good := map[string]string{"1990-05-12": "full", "1990-05": "month", "1990": "year", "~1990": "estimated", "": "unknown", "2000-02-29": "full"}
	for in, prec := range good {
		d, err := ParseDate(in)
		if err != nil || d.Precision() != prec || d.String() != in {
			t.Errorf("%q: %v %v %q", in, d.Precision(), err, d.String())
		}
	}
	for _, in := range []string{"1990-13", "1990-02-30", "2001-02-29", "90", "1990/05/12", "1990-5-1", "~1990-05", "abcd", "1850"} {
		if _, err := ParseDate(in); !errors.Is(err, ErrBadDate) {
			t.Errorf("%q accepted", in)
		}
	}
	d, _ := EstimateFromAge(30, now)
	if d.String() != "~1996" {
		t.Errorf("estimate: %s", d)
	}
}

func validPerson() *Person {
	return &Person{FamilyName: "Testperson", GivenNames: "Alpha", Sex: "F", Category: CategoryIrregular,
		BirthDate: Date{Year: 1990}, Nationalities: []string{"SYR"}, Encounter: Encounter{At: now.Add(-time.Hour), Place: "Test post"}}
}

func TestValidate(t *testing.T) {
	if err := Validate(validPerson(), now); err != nil {
		t.Fatalf("valid person refused: %v", err)
	}
	cases := map[string]func(*Person){
		"family_name":     func(p *Person) { p.FamilyName, p.GivenNames = "", " " },
		"sex":             func(p *Person) { p.Sex = "Q" },
		"birth_date":      func(p *Person) { p.BirthDate = Date{Year: 2027, Month: 1, Day: 1} },
		"nationalities":   func(p *Person) { p.Nationalities = []string{"ZZZ"} },
		"category":        func(p *Person) { p.Category = "tourist" },
		"encounter":       func(p *Person) { p.Encounter.At = now.Add(24 * time.Hour) },
		"document":        func(p *Person) { p.Document = Document{Number: "AB12", Expiry: "2030-02-30"} },
		"vulnerabilities": func(p *Person) { p.Vulnerabilities = []string{"tall"} },
		"languages":       func(p *Person) { p.Languages = []string{"arabic"} },
	}
	for field, mutate := range cases {
		p := validPerson()
		mutate(p)
		err := Validate(p, now)
		var fe FieldErrors
		if !errors.As(err, &fe) || fe[field] == "" {
			t.Errorf("%s: got %v", field, err)
		}
	}
	p := validPerson()
	p.Document = Document{Number: "X123", Expiry: "2020-01-01"}
	if err := Validate(p, now); err != nil {
		t.Fatalf("expired document must warn, not refuse: %v", err)
	}
	if w := Warnings(p, now); len(w) == 0 {
		t.Fatal("no warning for expired document")
	}
}

func TestWarningsAskToCheck(t *testing.T) {
	has := func(w []string, part string) bool {
		for _, s := range w {
			if strings.Contains(s, part) {
				return true
			}
		}
		return false
	}
	p := validPerson()
	p.Sex, p.Vulnerabilities = "M", []string{VulnPregnancy}
	if err := Validate(p, now); err != nil {
		t.Fatalf("a warning refused the record: %v", err)
	}
	if !has(Warnings(p, now), "pregnancy") {
		t.Error("pregnancy for a man is not questioned")
	}
	p.Sex = "F"
	if has(Warnings(p, now), "pregnancy") {
		t.Error("pregnancy for a woman questioned")
	}
	p.Vulnerabilities = []string{VulnUnaccompaniedChild}
	for _, c := range []struct {
		dob  Date
		warn bool
	}{
		{Date{Year: 1990, Month: 3, Day: 4}, true},    // 36
		{Date{Year: 2008, Month: 11, Day: 27}, true},  // 18 today
		{Date{Year: 2008, Month: 11, Day: 28}, false}, // 18 tomorrow
		{Date{Year: 2008}, false},                     // may still be 17
		{Date{Year: 2007}, true},                      // 18 by 31 December 2025 at the latest
		{Date{Year: 2008, Month: 11}, false},          // may be born on the 30th
		{Date{Year: 1990, Estimated: true}, false},    // an estimate is not contradicted
		{Date{}, false},
	} {
		p.BirthDate = c.dob
		if got := has(Warnings(p, now), "unaccompanied"); got != c.warn {
			t.Errorf("born %v: warning %v, want %v", c.dob, got, c.warn)
		}
	}
}

// fold tests build events by hand.
type builder struct {
	key  *seal.Key
	priv ed25519.PrivateKey
}

func (b *builder) event(origin string, seq uint64, hlc HLC, op string, c *Change) Opened {
	e := &Event{Origin: origin, Epoch: 1, Seq: seq, HLC: hlc, Officer: "off", Record: "R1", Op: op}
	if err := e.SealChange(b.key, c); err != nil {
		panic(err)
	}
	e.Sign(b.priv)
	c2, err := e.OpenChange(b.key)
	if err != nil {
		panic(err)
	}
	return Opened{Event: e, Change: c2}
}

func raw(v any) json.RawMessage { b, _ := json.Marshal(v); return b }

func TestFoldOrderIndependentAndConflicts(t *testing.T) {
	k, _ := seal.NewKey()
	_, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	reg := b.event("A", 1, 100, OpRegister, &Change{Fields: FieldsOf(validPerson())})
	regID := reg.Event.ID()
	// Two devices amend the family name concurrently (both saw only the registration),
	// and A amends notes later.
	a := b.event("A", 2, 200, OpAmend, &Change{Fields: map[string]json.RawMessage{"family_name": raw("Testperson-A")}, Prev: map[string]EventID{"family_name": regID}, Reason: "r"})
	c := b.event("B", 1, 201, OpAmend, &Change{Fields: map[string]json.RawMessage{"family_name": raw("Testperson-B")}, Prev: map[string]EventID{"family_name": regID}, Reason: "r"})
	n := b.event("A", 3, 300, OpAmend, &Change{Fields: map[string]json.RawMessage{"notes": raw("later")}, Reason: "r"})
	all := []Opened{reg, a, c, n, a} // with a duplicate
	var first []byte
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50; i++ {
		rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
		r, err := Fold("R1", all)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(r)
		if first == nil {
			first = got
			if r.Person.FamilyName != "Testperson-B" || r.Person.Notes != "later" || len(r.Versions) != 4 {
				t.Fatalf("state: %+v", r.Person)
			}
			if len(r.Conflicts) != 1 || r.Conflicts[0].Field != "family_name" || len(r.Conflicts[0].Values) != 2 {
				t.Fatalf("conflict not kept: %+v", r.Conflicts)
			}
		} else if string(got) != string(first) {
			t.Fatal("fold depends on delivery order")
		}
	}
	// A supervisor resolves by writing with the latest writer as prev.
	res := b.event("A", 4, 400, OpAmend, &Change{Fields: map[string]json.RawMessage{"family_name": raw("Testperson")}, Prev: map[string]EventID{"family_name": c.Event.ID()}, Reason: "resolved"})
	r, _ := Fold("R1", append(all, res))
	if len(r.Conflicts) != 0 || r.Person.FamilyName != "Testperson" {
		t.Fatalf("resolution: %+v %s", r.Conflicts, r.Person.FamilyName)
	}
}

func TestEventSignatureAndPayloadBinding(t *testing.T) {
	k, _ := seal.NewKey()
	pub, priv, _ := ed25519.GenerateKey(nil)
	b := &builder{k, priv}
	o := b.event("A", 1, 1, OpRegister, &Change{Fields: FieldsOf(validPerson())})
	if err := o.Event.Verify(pub); err != nil {
		t.Fatal(err)
	}
	e := *o.Event
	e.Seq = 2
	if err := e.Verify(pub); !errors.Is(err, ErrForged) {
		t.Fatal("changed header still verifies")
	}
	if _, err := e.OpenChange(k); err == nil {
		t.Fatal("payload opened under another event's header")
	}
}

func TestDiffClearsFields(t *testing.T) {
	a := validPerson()
	a.Notes = "something"
	b := validPerson()
	d := Diff(a, b)
	if string(d["notes"]) != `""` || len(d) != 1 {
		t.Fatalf("diff: %v", d)
	}
}

func TestClockMonotonic(t *testing.T) {
	wall := now
	c := NewClock(func() time.Time { return wall }, 0)
	a := c.Now()
	wall = wall.Add(-time.Hour) // clock set back
	b := c.Now()
	if b <= a {
		t.Fatal("clock went backwards")
	}
	c.Observe(MakeHLC(now.Add(time.Hour).UnixMilli(), 5))
	if c.Now() <= MakeHLC(now.Add(time.Hour).UnixMilli(), 5) {
		t.Fatal("observe ignored")
	}
}

// TestAttackFieldKeyInjection: a received change's keys are the sender's;
// one holding quotes cannot add a field to the person decodeFields reads
// (FuzzAppendKey holds appendKey to json.Marshal).
func TestAttackFieldKeyInjection(t *testing.T) {
	var p Person
	err := decodeFields(map[string]json.RawMessage{`family_name":"Injected","x`: json.RawMessage(`"1"`)}, &p)
	if err != nil || p.FamilyName != "" {
		t.Fatalf("a key with quotes set a field: %q %v", p.FamilyName, err)
	}
}
