package hub

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// SetRetention changes periods of the authority's retention rules (sets
// are CATEGORY=PERIOD, over the rules in force), signs them with the root
// key and keeps them: every device takes them at its next sync or bundle.
// Bad settings are refused and nothing changes.
func (h *Hub) SetRetention(ctx context.Context, sets []string) (*trust.RetentionRules, error) {
	signed, err := signDocument(ctx, h, trust.RetentionKind, func(old *trust.RetentionRules) (*trust.RetentionRules, error) {
		base := registry.DefaultRetention
		if old != nil {
			r, err := old.Retention()
			if err != nil {
				return nil, err
			}
			base = r
		}
		rules, err := registry.ParseRetentionSet(base, sets)
		if err != nil {
			return nil, err
		}
		return h.auth.SignRetention(rules, old, h.opts.Now())
	})
	if err != nil {
		return nil, err
	}
	h.log.Info("retention rules set", "issued", signed.Issued)
	return signed, nil
}

// Retention returns the rules in force: the authority's, or the defaults
// of the Regulation when none were set.
func (h *Hub) Retention(ctx context.Context) (registry.Retention, error) {
	r, err := heldDocument(func(key string) ([]byte, error) { return h.st.GetMeta(ctx, key) }, trust.RetentionKind)
	if errors.Is(err, hubstore.ErrNotFound) {
		return registry.DefaultRetention, nil
	}
	if err != nil {
		return nil, err
	}
	return r.Retention()
}

// sweepState is what the sweep keeps of one record: its category (as last
// written, by HLC), when it was registered and the earliest erasure date a
// supervisor set.
type sweepState struct {
	catHLC, created registry.HLC
	category        string
	earlier         time.Time
}

// SweepBatch is how many records one transaction of the sweep erases.
const SweepBatch = 1000

// SweepExpired erases every record whose erasure date has come on the
// hub's clock under the rules in force (Retention): the payloads of its
// events are dropped and its tombstone written, with no event (every node
// sweeps on its own clock); the region learns of it at the next upstream
// push. It reads every event once, opening only registrations, amendments
// and erasure dates. It returns how many records it erased.
func (h *Hub) SweepExpired(ctx context.Context) (int, error) {
	rules, err := h.Retention(ctx)
	if err != nil {
		return 0, err
	}
	now := h.opts.Now()
	recs := map[string]*sweepState{}
	err = h.st.Events(ctx, func(e *registry.Event) error {
		if e.Erased() || (e.Op != registry.OpRegister && e.Op != registry.OpAmend && e.Op != registry.OpEraseBy) {
			return nil
		}
		c, err := e.OpenChange(h.records)
		if err != nil {
			return nil // quarantined or damaged: not this sweep's to judge
		}
		st := recs[e.Record]
		if st == nil {
			st = &sweepState{}
			recs[e.Record] = st
		}
		if e.Op == registry.OpRegister && (st.created == 0 || e.HLC < st.created) {
			st.created = e.HLC
		}
		if raw, ok := c.Fields["category"]; ok && e.HLC >= st.catHLC {
			var cat string
			if json.Unmarshal(raw, &cat) == nil {
				st.category, st.catHLC = cat, e.HLC
			}
		}
		if e.Op == registry.OpEraseBy && c.Erase != nil {
			if d, err := time.Parse(time.DateOnly, c.Erase.Date); err == nil && (st.earlier.IsZero() || d.Before(st.earlier)) {
				st.earlier = d
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	var due []string
	for id, st := range recs {
		if st.created != 0 && !rules.Due(st.category, st.created.Time().UTC(), st.earlier).After(now) {
			due = append(due, id)
		}
	}
	clear(recs)
	sort.Strings(due)
	keyOf, err := h.eventKeys(ctx)
	if err != nil {
		return 0, err
	}
	drop := func(ev *registry.Event) error { return registry.EraseV2(ev, keyOf(ev.Origin)) }
	done := 0
	for len(due) > 0 {
		n := min(SweepBatch, len(due))
		err := h.st.Update(ctx, func(tx hubstore.Tx) error {
			live := make([]string, 0, n)
			for _, id := range due[:n] {
				gone, err := tx.Erased(id)
				if err != nil {
					return err
				}
				if !gone {
					live = append(live, id)
				}
			}
			// Everything stored of them is counted in the transaction that
			// erases them, whatever the counting pass has reached: an
			// erased record keeps its counts.
			if err := h.countRecords(ctx, tx, live); err != nil {
				return err
			}
			for _, id := range live {
				if err := h.ForgetStay(tx, id); err != nil {
					return err
				}
				if err := tx.EraseRecord(id, registry.EventID{}, drop, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return done, err
		}
		done += n
		due = due[n:]
	}
	if done > 0 {
		h.log.Info("retention sweep", "erased", done)
		return done, h.st.Scrub(ctx)
	}
	return 0, nil
}

// SweepEvery is how often reghub serve sweeps for records past their date.
const SweepEvery = 6 * time.Hour

// RunSweep sweeps at once and then every interval until ctx is done
// (records past their date, then expired one-time bundle keys), logging
// failures (the next round retries).
func (h *Hub) RunSweep(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := h.SweepExpired(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("retention sweep failed; retrying later", "err", err.Error())
		}
		if _, err := h.SweepPrekeys(ctx); err != nil && ctx.Err() == nil {
			h.log.Warn("one-time bundle key sweep failed; retrying later", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
