package pg

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"github.com/fieldreg/fieldreg/sync/hubstore/storetest"
)

// TestHolesAdvanceHeads fills a log's slots in random order, some with
// events and some as known-lost holes, and checks after each that the mark
// is the end of the run of filled slots; a hole never hides an event
// stored later in its slot. (The rule of store's migration 5.)
func TestHolesAdvanceHeads(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.DB(t))
	rng := rand.New(rand.NewPCG(3, 4))
	k := vector.Key{Origin: "dev-a", Epoch: 1}
	const n = 40
	filled := map[uint64]bool{}
	now := time.Unix(1_700_000_000, 0)
	for _, i := range rng.Perm(n) {
		seq := uint64(i + 1)
		err := s.Update(ctx, func(tx hubstore.Tx) error {
			if rng.IntN(3) == 0 {
				return tx.(*Tx).AddHole(registry.EventID{Origin: k.Origin, Epoch: k.Epoch, Seq: seq}, "bad signature", now)
			}
			_, err := tx.InsertEvents([]*registry.Event{storetest.Event(k.Origin, seq, "R")}, now)
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
		if v, _ := s.Heads(ctx); v[k] != want {
			t.Fatalf("after slot %d: mark %d, want %d", seq, v[k], want)
		}
	}
	holes, err := s.Holes(ctx, k, 1, n, 100)
	if err != nil {
		t.Fatal(err)
	}
	// An event arriving for a hole is stored, and the hole no longer listed.
	if len(holes) > 0 {
		h := holes[0]
		err := s.Update(ctx, func(tx hubstore.Tx) error {
			got, err := tx.InsertEvents([]*registry.Event{storetest.Event(h.Origin, h.Seq, "R")}, now)
			if err == nil && !got[0] {
				t.Error("an event for a hole was not stored")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		after, _ := s.Holes(ctx, k, 1, n, 100)
		if len(after) != len(holes)-1 {
			t.Fatalf("holes %d then %d", len(holes), len(after))
		}
	}
}
