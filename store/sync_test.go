package store

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
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
