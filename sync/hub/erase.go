package hub

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// erasedHole is the reason a slot of an erased record's format 1 event is
// known lost.
const erasedHole = "erased: the payload of a format 1 event cannot be kept verifiable"

// takeErasures prepares a chunk for an erased record never to come back:
// an event that passed the acceptance rule for a record erased here is
// stored without its payload (format 2), or, signed in format 1, not
// stored and its slot made a hole. It returns the arrivals to ingest.
func (h *Hub) takeErasures(ctx context.Context, tx hubstore.Tx, arrivals []hubstore.Arrival, now time.Time) ([]hubstore.Arrival, error) {
	// asIs: not for this check (refused, an erasure, or erased already).
	asIs := func(a hubstore.Arrival) bool {
		return a.Reason != "" || a.Event.Op == registry.OpErase || a.Event.Erased()
	}
	var records []string
	for _, a := range arrivals {
		if !asIs(a) {
			records = append(records, a.Event.Record)
		}
	}
	slices.Sort(records)
	gone, err := tx.ErasedAmong(slices.Compact(records))
	if err != nil {
		return nil, err
	}
	var keyOf func(string) ed25519.PublicKey
	out := arrivals[:0:0]
	for _, a := range arrivals {
		e := a.Event
		if asIs(a) {
			out = append(out, a)
			continue
		}
		if !gone[e.Record] {
			out = append(out, a)
			continue
		}
		if keyOf == nil {
			var err error
			if keyOf, err = h.eventKeys(ctx); err != nil {
				return nil, err
			}
		}
		if registry.EraseV2(e, keyOf(e.Origin)) != nil {
			if err := tx.AddHole(e.ID(), erasedHole, now); err != nil {
				return nil, err
			}
			continue
		}
		out = append(out, a)
	}
	return out, nil
}

// applyErasures erases the record of every erase event that passed the
// acceptance rule among arrivals (stored now or before): the payloads of
// its other events are dropped, its quarantined events deleted and its
// tombstone written. The region learns of it at the next upstream push
// (fedEntry).
func (h *Hub) applyErasures(ctx context.Context, tx hubstore.Tx, arrivals []hubstore.Arrival, now time.Time) error {
	var keyOf func(string) ed25519.PublicKey
	for _, a := range arrivals {
		e := a.Event
		if a.Reason != "" || e.Op != registry.OpErase || e.Erased() {
			continue
		}
		if keyOf == nil {
			var err error
			if keyOf, err = h.eventKeys(ctx); err != nil {
				return err
			}
		}
		drop := func(ev *registry.Event) error { return registry.EraseV2(ev, keyOf(ev.Origin)) }
		if err := h.ForgetStay(tx, e.Record); err != nil { // the accommodation entries go with the record
			return err
		}
		if err := tx.EraseRecord(e.Record, e.ID(), drop, now); err != nil {
			return err
		}
		h.log.Info("record erased", "record", e.Record, "event", e.ID().String())
	}
	return nil
}

// eventKeys returns the public key of each origin's events (nil if unknown).
func (h *Hub) eventKeys(ctx context.Context) (func(string) ed25519.PublicKey, error) {
	tr, err := h.loadTrust(ctx)
	if err != nil {
		return nil, err
	}
	return func(origin string) ed25519.PublicKey {
		if t := tr[origin]; t != nil {
			return t.cred.PublicKey
		}
		return nil
	}, nil
}

// ErrRecordErased is a record erased here already.
var ErrRecordErased = errors.New("the record was erased already")

// Erase erases record id on HQ's order, for reason (plain words, no
// personal data): the authority signs an erase event under its own origin
// (trust.HQOrigin, whose credential devices receive in the trust list),
// stores it as if a device had pushed it (its record is erased here at
// once) and every device takes it at its next sync or bundle; the region
// forgets the record at the next upstream push. An unknown ID is
// hubstore.ErrNotFound; a record erased already, ErrRecordErased.
func (h *Hub) Erase(ctx context.Context, id, reason string) error {
	x := &registry.Erasure{Reason: reason, Role: registry.RoleHQ}
	if err := registry.CheckErasure(x); err != nil {
		return err
	}
	if _, err := h.st.Erased(ctx, id); err == nil {
		return ErrRecordErased
	}
	evs, err := h.st.RecordEvents(ctx, id)
	if err != nil {
		return err
	}
	if len(evs) == 0 {
		return fmt.Errorf("record %s: %w", id, hubstore.ErrNotFound)
	}
	now := h.opts.Now()
	cred, err := h.auth.HQCredential(now)
	if err != nil {
		return err
	}
	key, err := h.auth.HQKey()
	if err != nil {
		return err
	}
	defer clear(key)
	tr, err := h.loadTrust(ctx)
	if err != nil {
		return err
	}
	if tr[trust.HQOrigin] == nil {
		err := h.st.Update(ctx, func(tx hubstore.Tx) error {
			return tx.PutCredential(hubstore.CredentialRow{DeviceID: trust.HQOrigin, Credential: cred.Marshal(), Station: h.auth.Country, Scope: "all", Enrolled: now})
		})
		if err != nil {
			return err
		}
	}
	heads, err := h.st.Heads(ctx)
	if err != nil {
		return err
	}
	e := &registry.Event{Origin: trust.HQOrigin, Epoch: 1, Seq: heads[vector.Key{Origin: trust.HQOrigin, Epoch: 1}] + 1,
		HLC: registry.MakeHLC(now.UnixMilli(), 0), Officer: "hq", Record: id, Op: registry.OpErase}
	if err := e.SealChange(h.records, &registry.Change{Erase: x, By: "HQ"}); err != nil {
		return err
	}
	e.Sign(key)
	if tr, err = h.loadTrust(ctx); err != nil {
		return err
	}
	got, err := h.ingest(ctx, &caller{id: trust.HQOrigin, dev: tr[trust.HQOrigin], trust: tr}, []*registry.Event{e}, now)
	if err != nil {
		return err
	}
	if len(got.Quarantined) > 0 {
		return fmt.Errorf("hub: HQ's erasure was refused: %s", got.Quarantined[0].Reason)
	}
	if got.Accepted != 1 {
		return errors.New("hub: another erasure by HQ was stored at the same time; try again")
	}
	return nil
}
