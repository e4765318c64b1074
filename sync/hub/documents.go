package hub

import (
	"context"
	"errors"
	"fmt"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/trust"
)

// heldDocument reads the authority's document of kind k the hub keeps (the
// hub signed it: its form is checked, not its signature) through get, the
// store's or a transaction's GetMeta; hubstore.ErrNotFound if there is none.
func heldDocument[D trust.Document](get func(string) ([]byte, error), k trust.Kind[D]) (D, error) {
	b, err := get(k.Name())
	if err != nil {
		var none D
		return none, err
	}
	return k.Decode(b)
}

// signDocument replaces the authority's document of kind k, in one
// transaction: sign is given the one kept (nil if none) and returns its
// successor, dated after it (trust.NextIssued) so that devices always take
// it; the successor is kept and devices receive it at their next sync or
// bundle. An error from sign, or a kept document that is damaged, changes
// nothing.
func signDocument[D trust.Document](ctx context.Context, h *Hub, k trust.Kind[D], sign func(prev D) (D, error)) (D, error) {
	var signed D
	err := h.st.Update(ctx, func(tx hubstore.Tx) error {
		prev, err := heldDocument(tx.GetMeta, k)
		if err != nil && !errors.Is(err, hubstore.ErrNotFound) {
			return err
		}
		if signed, err = sign(prev); err != nil {
			return err
		}
		return tx.PutMeta(k.Name(), signed.Marshal())
	})
	if err != nil {
		var none D
		return none, fmt.Errorf("hub: %s: %w", k.What(), err)
	}
	return signed, nil
}

// eachDocument calls fn with each authority document the hub keeps (raw,
// as signed) and its kind: what devices receive by sync and in bundles.
func (h *Hub) eachDocument(ctx context.Context, fn func(trust.DocKind, []byte) error) error {
	for _, k := range trust.DocKinds {
		raw, err := h.st.GetMeta(ctx, k.Name())
		if err != nil {
			continue // none set (or unreadable now: devices keep what they hold)
		}
		if err := fn(k, raw); err != nil {
			return err
		}
	}
	return nil
}
