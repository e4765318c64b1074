package accept

import (
	"crypto/ed25519"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/internal/limits"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
)

// fixture is a deployment of two devices, "honest" and "revoked" (revoked
// at revokedAt), sharing a records key, and a device key no one enrolled.
type fixture struct {
	t                      testing.TB
	records, otherRecords  *seal.Key
	honest, revoked, rogue ed25519.PrivateKey
	revokedAt              time.Time
	rule                   *Rule
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, revokedAt: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	var err error
	if f.records, err = seal.NewKey(); err != nil {
		t.Fatal(err)
	}
	if f.otherRecords, err = seal.NewKey(); err != nil {
		t.Fatal(err)
	}
	key := func() ed25519.PrivateKey {
		_, k, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	f.honest, f.revoked, f.rogue = key(), key(), key()
	origins := map[string]Origin{
		"honest":  {Key: f.honest.Public().(ed25519.PublicKey)},
		"revoked": {Key: f.revoked.Public().(ed25519.PublicKey), RevokedAt: f.revokedAt},
	}
	f.rule = &Rule{Country: "BIH", Records: f.records, Origin: func(id string) (Origin, bool) {
		o, ok := origins[id]
		return o, ok
	}}
	return f
}

// event is a registration of a fake person by origin, stamped at, its
// payload sealed under records and signed with key.
func (f *fixture) event(origin string, at time.Time, record string, records *seal.Key, key ed25519.PrivateKey, p registry.Person) *registry.Event {
	f.t.Helper()
	e := &registry.Event{Origin: origin, Epoch: 1, Seq: 1, HLC: registry.MakeHLC(at.UnixMilli(), 0), Officer: "o1", Record: record, Op: registry.OpRegister}
	if err := e.SealChange(records, &registry.Change{Fields: registry.FieldsOf(&p), By: "Officer Fakename"}); err != nil {
		f.t.Fatal(err)
	}
	e.Sign(key)
	return e
}

func person(at time.Time) registry.Person {
	return registry.Person{FamilyName: "Fakename", GivenNames: "Testee", Sex: "F", Category: registry.CategoryIrregular,
		Encounter: registry.Encounter{Kind: "apprehension", At: at.Add(-time.Hour)}}
}

func TestRuleAgainstAttacks(t *testing.T) {
	f := newFixture(t)
	before, after := f.revokedAt.Add(-time.Minute), f.revokedAt
	id, err := registry.NewRegID("BIH", nil)
	if err != nil {
		t.Fatal(err)
	}
	srb, _ := registry.NewRegID("SRB", nil)
	good := func() *registry.Event { return f.event("honest", before, id, f.records, f.honest, person(before)) }
	noCategory := person(before)
	noCategory.Category = ""
	cases := []struct {
		name      string
		e         *registry.Event
		want      error // nil: taken
		signed    bool
		authentic bool
	}{
		{"an honest registration", good(), nil, true, true},
		{"a revoked device's work signed before its revocation", f.event("revoked", before, id, f.records, f.revoked, person(before)), nil, true, true},
		{"attack: a device no one enrolled", f.event("rogue", before, id, f.records, f.rogue, person(before)), ErrUnknownOrigin, false, false},
		{"attack: an honest device's name, another key", f.event("honest", before, id, f.records, f.rogue, person(before)), ErrBadSignature, false, false},
		{"attack: the record changed after signing", func() *registry.Event {
			e := good()
			e.Seq = 2
			return e
		}(), ErrBadSignature, false, false},
		{"attack: no signature", func() *registry.Event {
			e := good()
			e.Sig = nil
			return e
		}(), ErrBadSignature, false, false},
		{"attack: signed at the revocation", f.event("revoked", after, id, f.records, f.revoked, person(after)), ErrRevoked, true, false},
		{"attack: signed later", f.event("revoked", after.Add(time.Hour), id, f.records, f.revoked, person(after)), ErrRevoked, true, false},
		{"attack: payload sealed under another deployment's key", f.event("honest", before, id, f.otherRecords, f.honest, person(before)), ErrSealed, true, true},
		{"attack: signed payload that is not UTF-8", f.notUTF8("honest", before, id, f.honest), ErrNotUTF8, true, true},
		{"attack: another country's record", f.event("honest", before, srb, f.records, f.honest, person(before)), registry.ErrBadEvent, true, true},
		{"attack: the reported attack", f.event("honest", before, "SRB-XXXX-XXXX-XXXX", f.records, f.honest, person(before)), registry.ErrBadEvent, true, true},
		{"attack: a registration no device writes", f.event("honest", before, id, f.records, f.honest, noCategory), registry.ErrBadEvent, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			v := f.rule.Check(c.e)
			if c.want == nil {
				if v.Err != nil || v.Reason() != "" || v.Change == nil || v.Change.By != "Officer Fakename" {
					t.Fatalf("refused: %v", v.Err)
				}
			} else if !errors.Is(v.Err, c.want) || v.Change != nil {
				t.Fatalf("got %v, want %v", v.Err, c.want)
			}
			if v.Signed != c.signed || v.Authentic() != c.authentic {
				t.Fatalf("signed %v authentic %v, want %v %v", v.Signed, v.Authentic(), c.signed, c.authentic)
			}
			if strings.Contains(strings.ToLower(v.Reason()), "fakename") || strings.Contains(v.Reason(), "Testee") {
				t.Fatalf("reason names a value: %q", v.Reason())
			}
		})
	}
}

// notUTF8 is a signed event whose payload opens to bytes that are not
// UTF-8 (the associated data is the event header, as registry seals it).
func (f *fixture) notUTF8(origin string, at time.Time, record string, key ed25519.PrivateKey) *registry.Event {
	f.t.Helper()
	e := &registry.Event{Origin: origin, Epoch: 1, Seq: 1, HLC: registry.MakeHLC(at.UnixMilli(), 0), Officer: "o1", Record: record, Op: registry.OpRegister}
	ad := seal.AD("event", e.Origin, strconv.FormatUint(e.Epoch, 10), strconv.FormatUint(e.Seq, 10), e.Record, e.Op)
	var err error
	if e.Payload, err = seal.Seal(f.records, []byte(`{"fields":{"family_name":"M`+"\xfc"+`llerfake"}}`), ad); err != nil {
		f.t.Fatal(err)
	}
	e.Sign(key)
	if _, err := e.OpenChange(f.records); !errors.Is(err, registry.ErrNotUTF8) {
		f.t.Fatalf("the fixture's payload: %v", err)
	}
	return e
}

// CheckAll gives each event its own verdict, in order, whatever the
// number of workers.
func TestCheckAllInOrder(t *testing.T) {
	f := newFixture(t)
	at := f.revokedAt.Add(-time.Minute)
	id, _ := registry.NewRegID("BIH", nil)
	var evs []*registry.Event
	for i := 0; i < 200; i++ {
		key := f.honest
		if i%7 == 3 {
			key = f.rogue
		}
		evs = append(evs, f.event("honest", at, id, f.records, key, person(at)))
	}
	for i, v := range f.rule.CheckAll(evs) {
		if bad := i%7 == 3; bad != errors.Is(v.Err, ErrBadSignature) || !bad && v.Err != nil {
			t.Fatalf("event %d: %v", i, v.Err)
		}
	}
	if len(f.rule.CheckAll(nil)) != 0 {
		t.Fatal("verdicts for no events")
	}
}

// signV1 signs e in format 1, as builds before format 2 did: the whole
// event, payload included (registry/event.go).
func signV1(tb testing.TB, e *registry.Event, key ed25519.PrivateKey) {
	tb.Helper()
	em, err := cbor.CoreDetEncOptions().EncMode()
	if err != nil {
		tb.Fatal(err)
	}
	u := *e
	u.Sig = nil
	b, err := em.Marshal(&u)
	if err != nil {
		tb.Fatal(err)
	}
	e.Sig = ed25519.Sign(key, append([]byte("fieldreg event v1\x00"), b...))
	if v, err := e.VerifyFormat(key.Public().(ed25519.PublicKey)); err != nil || v != 1 {
		tb.Fatalf("the fixture's format 1 event: %d %v", v, err)
	}
}

// TestAttackForgedInBatch: CheckAll verifies in batches; a forged event
// anywhere in one (here in the middle of the second) is refused exactly as
// Check refuses it, and every neighbour gets Check's verdict too: honest
// events taken, format 1 and erased events judged on their own, unknown
// origins, revocations and bad content refused for their own reasons.
func TestAttackForgedInBatch(t *testing.T) {
	f := newFixture(t)
	before := f.revokedAt.Add(-time.Minute)
	id, _ := registry.NewRegID("BIH", nil)
	good := func() *registry.Event { return f.event("honest", before, id, f.records, f.honest, person(before)) }
	var evs []*registry.Event
	for i := 0; i < 3*batchSize+5; i++ {
		evs = append(evs, good())
	}
	forged := batchSize + batchSize/2
	evs[forged].Seq = 2 // changed after signing
	signV1(t, evs[3], f.honest)
	evs[4].EraseAs(2)
	evs[batchSize+1] = f.event("rogue", before, id, f.records, f.rogue, person(before))
	evs[batchSize+2] = f.event("revoked", f.revokedAt, id, f.records, f.revoked, person(before))
	evs[2*batchSize] = f.event("honest", before, id, f.otherRecords, f.honest, person(before))
	evs[2*batchSize+1] = f.event("honest", before, id, f.records, f.rogue, person(before))
	got := f.rule.CheckAll(evs)
	for i, e := range evs {
		want := f.rule.Check(e)
		g := got[i]
		if (g.Err == nil) != (want.Err == nil) || g.Reason() != want.Reason() || g.Signed != want.Signed || (g.Change == nil) != (want.Change == nil) {
			t.Fatalf("event %d: CheckAll %+v, Check %+v", i, g, want)
		}
	}
	if !errors.Is(got[forged].Err, ErrBadSignature) || got[forged+1].Err != nil || got[forged-1].Err != nil {
		t.Fatalf("the forged event and its neighbours: %v, %v, %v", got[forged-1].Err, got[forged].Err, got[forged+1].Err)
	}
	if got[3].Err != nil || got[3].Change == nil || got[4].Err != nil || !got[4].Signed || got[4].Change != nil {
		t.Fatalf("format 1 and erased events: %+v %+v", got[3], got[4])
	}
	taken := 0
	for _, v := range got {
		if v.Err == nil {
			taken++
		}
	}
	if want := len(evs) - 5; taken != want {
		t.Fatalf("%d taken, want %d", taken, want)
	}
}

// A refused event's slot is lost when its origin put it there: signed by
// it, or delivered by it. A relayed event with a bad signature loses
// nothing, and a taken event is no hole.
func TestLosesSlot(t *testing.T) {
	e := &registry.Event{Origin: "honest"}
	cases := []struct {
		v         Verdict
		deliverer string
		want      bool
	}{
		{Verdict{}, "honest", false},
		{Verdict{Err: registry.ErrBadEvent, Signed: true}, "other", true},
		{Verdict{Err: ErrRevoked, Signed: true}, "other", true},
		{Verdict{Err: ErrBadSignature}, "honest", true},
		{Verdict{Err: ErrBadSignature}, "other", false},
		{Verdict{Err: ErrUnknownOrigin}, "", false},
	}
	for _, c := range cases {
		if got := c.v.LosesSlot(e, c.deliverer); got != c.want {
			t.Errorf("%v delivered by %q: %v, want %v", c.v.Err, c.deliverer, got, c.want)
		}
	}
}

func TestSame(t *testing.T) {
	f := newFixture(t)
	at := f.revokedAt.Add(-time.Minute)
	id, _ := registry.NewRegID("BIH", nil)
	a := f.event("honest", at, id, f.records, f.honest, person(at))
	replay := *a
	if !Same(a, &replay) {
		t.Fatal("a replay is not the same event")
	}
	fork := f.event("honest", at, id, f.records, f.honest, person(at)) // a new seal: another payload
	if Same(a, fork) {
		t.Fatal("a fork is the same event")
	}
	resigned := *a
	resigned.Sig = ed25519.Sign(f.honest, append([]byte("x"), a.SignedBytes()...))
	if Same(a, &resigned) {
		t.Fatal("another signature is the same event")
	}
}

// TestAttackAcknowledgementBeyondOwnLog: a peer (or something answering in
// its place) claiming more of the receiver's own log than it wrote is cut
// down to what exists; other logs are taken as claimed, a log the receiver
// does not hold of its own becomes zero.
func TestAttackAcknowledgementBeyondOwnLog(t *testing.T) {
	own := vector.Key{Origin: "self", Epoch: 2}
	oldEpoch := vector.Key{Origin: "self", Epoch: 1}
	other := vector.Key{Origin: "other", Epoch: 1}
	local := vector.Vector{own: 3, oldEpoch: 10, other: 5}
	cases := []struct {
		name          string
		claimed, want vector.Vector
	}{
		{"honest", vector.Vector{own: 2, other: 40}, vector.Vector{own: 2, other: 40}},
		{"too much of the own log", vector.Vector{own: 999_999, oldEpoch: 11, other: 40}, vector.Vector{own: 3, oldEpoch: 10, other: 40}},
		{"an own log never written", vector.Vector{{Origin: "self", Epoch: 9}: 7}, vector.Vector{{Origin: "self", Epoch: 9}: 0}},
		{"nothing", nil, vector.Vector{}},
	}
	for _, c := range cases {
		if got := Acknowledged("self", c.claimed, local); got.String() != c.want.String() {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// BenchmarkCheckAll judges a chunk of 1,000 honest registrations, as the
// hub does per push and a device per pulled chunk (ns/op per chunk).
func BenchmarkCheckAll(b *testing.B) {
	f := newFixture(b)
	at := f.revokedAt.Add(-time.Minute)
	id, _ := registry.NewRegID("BIH", nil)
	evs := make([]*registry.Event, 1000)
	for i := range evs {
		evs[i] = f.event("honest", at, id, f.records, f.honest, person(at))
	}
	b.ResetTimer()
	for b.Loop() {
		for _, v := range f.rule.CheckAll(evs) {
			if v.Err != nil {
				b.Fatal(v.Err)
			}
		}
	}
}

// BenchmarkJudgeContent is the cost of judging one honest registration
// whose signature has verified: opening its payload, reading the change
// and its fields as a person, and the content rules (µs/event, one core).
// CheckAll spends it on top of verifying the signature.
func BenchmarkJudgeContent(b *testing.B) {
	f := newFixture(b)
	at := f.revokedAt.Add(-time.Minute)
	id, _ := registry.NewRegID("BIH", nil)
	evs := make([]*registry.Event, 256)
	for i := range evs {
		evs[i] = f.event("honest", at, id, f.records, f.honest, person(at))
	}
	o, _ := f.rule.Origin("honest")
	for b.Loop() {
		for _, e := range evs {
			if v := f.rule.checkSigned(e, o); v.Err != nil || v.Person == nil {
				b.Fatal(v.Err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1000/float64(b.N*len(evs)), "µs/event")
}

// BenchmarkVerifyEvent is the cost of checking one event's signature
// (µs/event, one core): one by one (registry.Event.VerifyFormat), in
// CheckAll's batches (registry.VerifyBatch), and the stdlib single
// verification of the limits package beside them (limit-verify-µs, the
// same run).
func BenchmarkVerifyEvent(b *testing.B) {
	f := newFixture(b)
	at := f.revokedAt.Add(-time.Minute)
	id, _ := registry.NewRegID("BIH", nil)
	evs := make([]*registry.Event, batchSize)
	keys := make([]ed25519.PublicKey, batchSize)
	for i := range evs {
		evs[i] = f.event("honest", at, id, f.records, f.honest, person(at))
		keys[i] = f.honest.Public().(ed25519.PublicKey)
	}
	limit := float64(limits.Verify().Nanoseconds()) / 1000
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			for i, e := range evs {
				if e.Verify(keys[i]) != nil {
					b.Fatal("does not verify")
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1000/float64(b.N*len(evs)), "µs/event")
		b.ReportMetric(limit, "limit-verify-µs")
	})
	b.Run("batch", func(b *testing.B) {
		for b.Loop() {
			if !registry.VerifyBatch(evs, keys) {
				b.Fatal("does not verify")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/1000/float64(b.N*len(evs)), "µs/event")
		b.ReportMetric(limit, "limit-verify-µs")
	})
}
