package store

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/vector"
)

// TestHeadsMatchVector inserts events of several logs in random order, with
// gaps and duplicates, and checks after every insert that the maintained
// high-water marks equal the vector computed by scanning every event.
func TestHeadsMatchVector(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(7, 8))
	var evs []*registry.Event
	for _, origin := range []string{"aa", "bb"} {
		for epoch := uint64(1); epoch <= 2; epoch++ {
			for seq := uint64(1); seq <= 40; seq++ {
				evs = append(evs, &registry.Event{Origin: origin, Epoch: epoch, Seq: seq, HLC: 1, Officer: "o", Record: "r", Op: "register", Payload: []byte{1}, Sig: []byte{2}})
			}
		}
	}
	for round := 0; round < 2; round++ { // the second round only duplicates
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		for i, e := range evs {
			if err := st.Update(context.Background(), func(tx *Tx) error {
				_, err := tx.InsertEvent(e, time.Now())
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if i%17 != 0 && i != len(evs)-1 {
				continue
			}
			want, err := st.Vector()
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.Heads()
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Fatalf("after %d inserts: heads %s, vector %s", i+1, got, want)
			}
		}
	}
	if v, _ := st.Heads(); v.Total() != uint64(len(evs)) {
		t.Fatalf("total %d, want %d", v.Total(), len(evs))
	}
}

// TestMaxHLCLeavesOutFuture: an event flagged as stamped in the future does
// not set the clock a device starts from.
func TestMaxHLCLeavesOutFuture(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev := func(seq uint64, hlc registry.HLC) *registry.Event {
		return &registry.Event{Origin: "aa", Epoch: 1, Seq: seq, HLC: hlc, Officer: "o", Record: "r", Op: "register", Payload: []byte{1}, Sig: []byte{2}}
	}
	if h, err := st.MaxHLC(); err != nil || h != 0 {
		t.Fatalf("empty store: %d %v", h, err)
	}
	err = st.Update(context.Background(), func(tx *Tx) error {
		for _, e := range []*registry.Event{ev(1, 100), ev(2, 5000)} {
			if _, err := tx.InsertEvent(e, time.Now()); err != nil {
				return err
			}
		}
		return tx.Flag(ev(2, 5000).ID(), "future", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if h, err := st.MaxHLC(); err != nil || h != 100 {
		t.Fatalf("MaxHLC %d %v, want 100 (the future event left out)", h, err)
	}
}

// TestHolesAdvanceHeads fills the slots of a log in random order, some with
// events and some as known-lost holes, and checks after each that the
// maintained high mark is the end of the contiguous run of filled slots;
// a hole never hides an event stored later in its slot.
func TestHolesAdvanceHeads(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rng := rand.New(rand.NewPCG(3, 4))
	k := vector.Key{Origin: "aa", Epoch: 1}
	const n = 60
	order := rng.Perm(n)
	filled := map[uint64]bool{}
	for _, i := range order {
		seq := uint64(i + 1)
		hole := seq%7 == 3
		err := st.Update(context.Background(), func(tx *Tx) error {
			if hole {
				return tx.AddHole(registry.EventID{Origin: k.Origin, Epoch: k.Epoch, Seq: seq}, "damaged", time.Now())
			}
			_, err := tx.InsertEvent(&registry.Event{Origin: k.Origin, Epoch: k.Epoch, Seq: seq, HLC: 1, Officer: "o", Record: "r", Op: "register", Payload: []byte{1}, Sig: []byte{2}}, time.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		filled[seq] = true
		want := uint64(0)
		for filled[want+1] {
			want++
		}
		if got, _ := st.Heads(); got[k] != want {
			t.Fatalf("after filling %d: high %d, want %d", seq, got[k], want)
		}
	}
	holes, err := st.Holes(context.Background(), k, 1, n, 100)
	if err != nil || len(holes) != n/7+1 || holes[0].Seq != 3 {
		t.Fatalf("holes %v %v", holes, err)
	}
	// The real event of a hole arrives later (an older bundle): it is
	// stored, and the slot is no longer listed as lost; a hole for a slot
	// that holds an event is not recorded.
	err = st.Update(context.Background(), func(tx *Tx) error {
		if _, err := tx.InsertEvent(&registry.Event{Origin: k.Origin, Epoch: k.Epoch, Seq: 3, HLC: 1, Officer: "o", Record: "r", Op: "register", Payload: []byte{1}, Sig: []byte{2}}, time.Now()); err != nil {
			return err
		}
		return tx.AddHole(registry.EventID{Origin: k.Origin, Epoch: k.Epoch, Seq: 4}, "damaged", time.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := st.Holes(context.Background(), k, 1, n, 100); len(again) != len(holes)-1 || again[0].Seq != 10 {
		t.Fatalf("after the real event: holes %v", again)
	}
	if got, _ := st.Heads(); got[k] != n {
		t.Fatalf("high %d, want %d", got[k], n)
	}
}
