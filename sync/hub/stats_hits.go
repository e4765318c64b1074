package hub

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/stats"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// countHit counts the first "registered elsewhere" hit the region
// answered for record id, on day: the record's fact keeps the day (a
// recount keeps it, as on a device) and the aggregate gains one hit at the
// record's station and category. A device may ask before its record
// reached the hub: the fact then holds the day alone, counts nothing, and
// the hit is counted with the record when its events arrive. Asking again
// counts nothing more; an erased record is not counted.
func (h *Hub) countHit(ctx context.Context, id, day string) error {
	return h.st.Update(ctx, func(tx hubstore.Tx) error {
		if gone, err := tx.Erased(id); err != nil || gone {
			return err
		}
		old, err := h.countedFact(tx, id)
		if err != nil {
			return err
		}
		if old != nil && old.ElsewhereDay != "" {
			return nil
		}
		now := stats.Fact{ElsewhereDay: day}
		if old != nil {
			now = *old
			now.ElsewhereDay = day
		}
		b, _ := json.Marshal(now)
		sealed, err := seal.Seal(h.records, b, seal.AD("stats", "fact", id))
		if err != nil {
			return err
		}
		return hubstore.PutCounted(tx, h.records, []hubstore.Fact{{Record: id, Sealed: sealed}}, stats.Delta(old, &now))
	})
}

// countedFact opens the fact record id is counted with (locking it on
// PostgreSQL); nil when it is not counted yet.
func (h *Hub) countedFact(tx hubstore.Tx, id string) (*stats.Fact, error) {
	sealed, err := tx.RecordFact(id)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return h.openFact(id, sealed)
}
