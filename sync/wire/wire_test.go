package wire

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/fieldreg/fieldreg/registry"
)

func testEvent(seq uint64) *registry.Event {
	return &registry.Event{Origin: "a1b2c3d4e5f60718", Epoch: 7, Seq: seq, HLC: 1 << 20, Officer: "o1", Record: "BIH-7KQ4-M2XD-9TRC",
		Op: registry.OpRegister, Payload: []byte("sealed"), Sig: bytes.Repeat([]byte{1}, 64)}
}

func frames(evs ...*registry.Event) []byte {
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, e := range evs {
		_ = w.Event(EncodeEvent(e))
	}
	_ = w.Close(true)
	return b.Bytes()
}

func TestRoundTrip(t *testing.T) {
	r := NewReader(bytes.NewReader(frames(testEvent(1), testEvent(2))))
	for i := uint64(1); i <= 2; i++ {
		b, err := r.Next()
		if err != nil {
			t.Fatal(err)
		}
		e, err := DecodeEvent(b)
		if err != nil || e.Seq != i || string(e.SignedBytes()) != string(testEvent(i).SignedBytes()) {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if _, err := r.Next(); err != io.EOF || !r.Trailer().More || r.Trailer().Events != 2 {
		t.Fatalf("trailer: %v %+v", err, r.Trailer())
	}
}

func TestTruncatedAndLimits(t *testing.T) {
	full := frames(testEvent(1), testEvent(2))
	for cut := 0; cut < len(full); cut++ {
		r := NewReader(bytes.NewReader(full[:cut]))
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err == io.EOF {
			t.Fatalf("cut at %d read as complete", cut)
		}
	}
	var b bytes.Buffer
	w := NewWriter(&b)
	for i := 0; i <= MaxChunkEvents; i++ {
		_ = w.Event([]byte{0xa0})
	}
	r := NewReader(&b)
	var err error
	for err == nil {
		_, err = r.Next()
	}
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over-long chunk: %v", err)
	}
	bad := []*registry.Event{testEvent(0), {Origin: "x", Seq: 1, Op: "register", Officer: "o", Record: "r"}}
	bad[1].Sig = make([]byte, 64)
	bad[1].Op = "drop table"
	for _, e := range bad {
		if _, err := DecodeEvent(EncodeEvent(e)); err == nil {
			t.Errorf("accepted %+v", e)
		}
	}
	if _, err := ToVector([]Head{{"a", 1, 1}, {"a", 1, 2}}); err == nil {
		t.Error("vector naming a log twice accepted")
	}
}

// FuzzReader feeds arbitrary bodies to the frame reader and the event
// decoder: they must never panic and never return an event that fails the
// form checks.
func FuzzReader(f *testing.F) {
	f.Add(frames(testEvent(1)))
	f.Add([]byte("E\x05hello"))
	f.Add([]byte("Z\x02{}"))
	f.Add([]byte("Z-" + `{"events":0,"holes":[{"o":"a1","e":7,"s":2}]}`)) // a trailer naming a lost event
	f.Fuzz(func(t *testing.T, body []byte) {
		r := NewReader(bytes.NewReader(body))
		for i := 0; i < 2*MaxChunkEvents; i++ {
			b, err := r.Next()
			if err != nil {
				return
			}
			if e, err := DecodeEvent(b); err == nil && (e.Seq == 0 || len(e.Sig) != 64) {
				t.Fatalf("decoded an invalid event: %+v", e)
			}
		}
	})
}

func TestHitDetailsDescribe(t *testing.T) {
	var none *HitDetails
	if none.Describe() != "" {
		t.Error("nil details described")
	}
	d := &HitDetails{Surnames: "Fakename", Forenames: "Example Testee", NameInOriginalScript: "فيك", OtherNames: []string{"Fake Alias"},
		Sex: "F", DateOfBirth: "1990", PlaceOfBirth: "Nowhere", Nationalities: []string{"XXA", "XXB"},
		TravelDocument: &HitDocument{Type: "identity_card", Number: "ZZ0001", IssuingCountry: "XXA", Expiry: "2030-01-02"}}
	want := "FAKENAME, Example Testee (فيك); also known as Fake Alias; born 1990 in Nowhere; sex F; nationality XXA, XXB; identity card ZZ0001 issued by XXA, valid until 2030-01-02"
	if got := d.Describe(); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	if got := (&HitDetails{Forenames: "Example"}).Describe(); got != "Example" {
		t.Errorf("forenames only: %q", got)
	}
	// An estimated year reads as one.
	if got := (&HitDetails{Forenames: "Example", DateOfBirth: "2019", DateOfBirthEstimated: true}).Describe(); got != "Example; born about 2019" {
		t.Errorf("estimated year: %q", got)
	}
}

// TestTrailerHoles: a pull trailer carries the lost events of the logs
// sent; too many, or a malformed one, make the body unreadable.
func TestTrailerHoles(t *testing.T) {
	read := func(holes []registry.EventID) (Trailer, error) {
		var b bytes.Buffer
		w := NewWriter(&b)
		_ = w.Event(EncodeEvent(testEvent(1)))
		_ = w.CloseWithHoles(false, holes)
		r := NewReader(&b)
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err != io.EOF {
			return Trailer{}, err
		}
		return r.Trailer(), nil
	}
	h := registry.EventID{Origin: "a1b2c3d4e5f60718", Epoch: 7, Seq: 2}
	if tr, err := read([]registry.EventID{h}); err != nil || len(tr.Holes) != 1 || tr.Holes[0] != h {
		t.Fatalf("one hole: %+v %v", tr, err)
	}
	many := make([]registry.EventID, MaxTrailerHoles+1)
	for i := range many {
		many[i] = registry.EventID{Origin: "a", Epoch: 1, Seq: uint64(i + 1)}
	}
	if _, err := read(many); !errors.Is(err, ErrTooLarge) {
		t.Errorf("%d holes: %v", len(many), err)
	}
	for _, bad := range []registry.EventID{{Origin: "", Epoch: 1, Seq: 1}, {Origin: "a b", Epoch: 1, Seq: 1}, {Origin: "a", Epoch: 1, Seq: 0}} {
		if _, err := read([]registry.EventID{bad}); err == nil {
			t.Errorf("hole %+v accepted", bad)
		}
	}
}

// The older side is named and told who updates, whichever side it is.
func TestMismatch(t *testing.T) {
	tests := []struct {
		device, hub int
		region      bool
		want        string
	}{
		{1, 2, false, "this app is older than the hub (it speaks sync protocol 1, the hub speaks 2): update the app on this device"},
		{2, 1, false, "the hub is older than this app (it speaks sync protocol 1, this app speaks 2): HQ must update the hub"},
		{1, 2, true, "this country hub is older than the regional joint database (it speaks sync protocol 1, the regional joint database speaks 2): HQ must update reghub"},
		{3, 1, true, "the regional joint database is older than this country hub (it speaks sync protocol 1, this country hub speaks 3): the regional authority must update the regional joint database"},
	}
	for _, tt := range tests {
		if got := Mismatch(tt.device, tt.hub, tt.region); got != tt.want {
			t.Errorf("Mismatch(%d, %d, %v) =\n %q\nwant\n %q", tt.device, tt.hub, tt.region, got, tt.want)
		}
	}
}
